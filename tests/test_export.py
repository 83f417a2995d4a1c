"""videokb export: subtitles ffmpeg muxes and reads back, JSON of a video, JSON lines of the library."""

import json
import subprocess

import pysubs2
import pytest
import tiny_kb
from click.testing import CliRunner

from videokb.cli import cli

SRT = """1
00:00:00,000 --> 00:00:02,500
Welcome to the bakery tour.

2
00:00:03,000 --> 00:00:05,500
Our sourdough loaf costs $4.50 and we open at 6 AM.
"""


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kb")
    tiny_kb.build(folder)
    return folder


def run(kb_dir, *args):
    return CliRunner().invoke(cli, ["export", *args, "--db", str(kb_dir / "db")])


def test_srt_and_vtt(kb_dir):
    srt = run(kb_dir, "bakery", "--format", "srt")
    assert srt.exit_code == 0, srt.output
    assert srt.output.strip() == SRT.strip()
    vtt = run(kb_dir, "bakery", "--format", "vtt")
    assert vtt.exit_code == 0 and vtt.output.startswith("WEBVTT")
    assert "00:00:03.000 --> 00:00:05.500\nOur sourdough loaf costs $4.50 and we open at 6 AM." in vtt.output


@pytest.mark.parametrize("fmt,container,codec", [("srt", "mp4", "mov_text"), ("vtt", "mkv", "webvtt")])
def test_ffmpeg_muxes_the_subtitles(kb_dir, tmp_path, fmt, container, codec):
    subs = tmp_path / f"bakery.{fmt}"
    assert run(kb_dir, "bakery", "--format", fmt, "-o", str(subs)).exit_code == 0
    video = kb_dir / "videos" / "bakery_tour.mp4"
    out = tmp_path / f"subtitled.{container}"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(video), "-i", str(subs), "-map", "0",
                    "-map", "1", "-c", "copy", "-c:s", codec, str(out)], check=True)
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(out)],
                                      capture_output=True, text=True, check=True).stdout)
    assert [s["codec_type"] for s in probe["streams"]] == ["video", "audio", "subtitle"]
    assert probe["streams"][2]["codec_name"] == codec
    # ffmpeg decodes the muxed subtitle stream back to the same cues (Matroska may shift all of them by the
    # AAC priming delay of the copied audio, 23 ms here).
    back = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(out), "-map", "0:s:0", "-f", "srt",
                           "-"], capture_output=True, text=True, check=True).stdout
    got, want = pysubs2.SSAFile.from_string(back), pysubs2.SSAFile.from_string(SRT)
    assert [e.plaintext for e in got] == [e.plaintext for e in want]
    assert all(abs(g.start - w.start) <= 50 and abs(g.end - w.end) <= 50 for g, w in zip(got, want))


def test_json_of_one_video(kb_dir):
    result = run(kb_dir, "pet_adoption_day", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["video"]["video_id"] == "pet_adoption_day" and doc["video"]["duration_s"] == 6.0
    assert [s["text"] for s in doc["transcript"]] == ["Twenty two dogs are waiting for a home.",
                                                      "The adoption fee is $75 for every dog."]
    assert doc["ocr_spans"] == [{"kind": "ocr", "start_s": 0.5, "end_s": 5.0, "text": "ADOPT A FRIEND",
                                 "bbox_xyxy": [10.0, 10.0, 200.0, 40.0]}]
    assert sorted({e["kind"] for e in doc["events"]}) == ["ocr", "shot", "speech"] and len(doc["events"]) == 5


def test_all_as_jsonl(kb_dir, tmp_path):
    out = tmp_path / "library.jsonl"
    result = run(kb_dir, "--all", "--format", "jsonl", "-o", str(out))
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["video"]["video_id"] for d in docs] == ["bakery_tour", "pet_adoption_day"]
    assert docs[1] == json.loads(run(kb_dir, "pet_adoption_day", "--format", "json").output)


def test_bad_input(kb_dir):
    assert run(kb_dir, "--format", "srt").exit_code == 2  # neither VIDEO nor --all
    both = run(kb_dir, "--all", "--format", "srt")
    assert both.exit_code == 2 and "use --format jsonl" in both.output
    missing = run(kb_dir, "zoo")
    assert missing.exit_code == 1 and "no indexed video matches 'zoo'" in missing.output
