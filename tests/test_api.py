"""The Python API (videokb.open -> KnowledgeBase) on a small real index with real video files."""

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
import tiny_kb
from PIL import Image

import videokb


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kb")
    tiny_kb.build(folder)
    return folder


@pytest.fixture
def kb(kb_dir):
    return videokb.open(kb_dir / "db", device="cpu")


def test_import_is_cheap():
    code = ("import sys, videokb; print(sorted(m for m in ('torch', 'lancedb', 'pyarrow', 'duckdb', 'PIL', "
            "'videokb.api') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == []


def test_videos_and_video(kb, kb_dir):
    vids = kb.videos()
    assert [v.video_id for v in vids] == ["bakery_tour", "pet_adoption_day"]
    assert vids[0].video_path == str(kb_dir / "videos" / "bakery_tour.mp4")
    assert vids[0].models == {"text": tiny_kb.MINILM} and vids[0].duration_s == 6.0
    assert kb.video("pet_adop").video_id == "pet_adoption_day"  # a unique part of the path
    assert json.loads(json.dumps(vids[1].to_json()))["video_id"] == "pet_adoption_day"


def test_search_text_returns_typed_moments(kb):
    top = kb.search("how much is the adoption fee", k=3, modalities=["speech"])[0]
    assert isinstance(top, videokb.Moment)
    assert (top.video_id, top.start_s, top.end_s, top.modalities) == ("pet_adoption_day", 3.0, 5.5, ["speech"])
    assert "speech: The adoption fee is $75 for every dog." in top.evidence
    assert top.video_path.endswith("pet_adoption_day.mp4")
    assert top.to_json()["hits"][0]["text"] == "The adoption fee is $75 for every dog."
    # All modalities: the on-screen "ADOPT A FRIEND" (0.5-5 s) overlaps it and joins the moment, but the moment's
    # bounds are those of the evidence that matches best (the sentence), not widened by the weaker slide.
    top = kb.search("how much is the adoption fee", k=3)[0]
    assert (top.video_id, top.start_s, top.end_s, top.modalities) == ("pet_adoption_day", 3.0, 5.5, ["speech", "ocr"])


def test_search_options(kb):
    ocr_only = kb.search("fresh bread", modalities=["ocr"], k=1)
    assert [(m.video_id, m.modalities) for m in ocr_only] == [("bakery_tour", ["ocr"])]
    only_pets = kb.search("sourdough loaf price", videos=["pet_adoption"])
    assert only_pets and {m.video_id for m in only_pets} == {"pet_adoption_day"}


def test_search_errors_are_videokb_errors(kb, tmp_path):
    with pytest.raises(videokb.InvalidInputError, match="unknown modality smell"):
        kb.search("bread", modalities=["smell"])
    with pytest.raises(videokb.VideoNotFoundError, match="no indexed video matches 'zoo'"):
        kb.search("bread", videos=["zoo"])
    with pytest.raises(videokb.InvalidInputError, match="one of them"):
        kb.search()
    (tmp_path / "x.jpg").write_text("not a picture")
    with pytest.raises(videokb.InvalidInputError, match="x.jpg: not a readable image"):
        kb.search(tmp_path / "x.jpg")
    # A picture is a visual query; this index has no image vectors, and says so.
    with pytest.raises(videokb.InvalidInputError, match="no visual vectors are indexed"):
        kb.search(Image.new("RGB", (32, 32)))
    with pytest.raises(videokb.VideokbError, match="has no videos yet"):
        videokb.open(tmp_path / "empty").search("bread")


def test_sql_is_arrow(kb):
    table = kb.sql("SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind")
    assert isinstance(table, pa.Table)
    assert table.to_pylist() == [{"kind": "ocr", "n": 2}, {"kind": "shot", "n": 4}, {"kind": "speech", "n": 4}]
    with pytest.raises(videokb.QueryError, match="SQL error"):
        kb.sql("SELECT nope FROM events")


def test_timeline_and_transcript(kb):
    events = kb.timeline("bakery_tour")
    assert [(e.kind, e.start_s) for e in events] == [
        ("shot", 0.0), ("speech", 0.0), ("ocr", 1.0), ("shot", 3.0), ("speech", 3.0)]
    assert events[2].text == "FRESH BREAD DAILY" and events[2].bbox_xyxy == [10.0, 10.0, 200.0, 40.0]
    assert [e.text for e in kb.transcript("bakery", 4.0, 6.0)] == [
        "Our sourdough loaf costs $4.50 and we open at 6 AM."]
    with pytest.raises(videokb.InvalidInputError, match="unknown event kind"):
        kb.timeline("bakery", kinds=["smell"])


def test_keyframes_and_frame(kb, kb_dir):
    frames = kb.keyframes("bakery_tour")
    assert [f.t_s for f in frames] == [0.0, 3.0] and frames[1].image().size == (64, 48)
    img = kb.frame("bakery_tour", 3.0)
    assert img.size == tiny_kb.SIZE
    # The same frame as ffmpeg decodes it at 3 s.
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", "3", "-i",
                          str(kb_dir / "videos" / "bakery_tour.mp4"), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    ref = np.frombuffer(raw, np.uint8).reshape(tiny_kb.SIZE[1], tiny_kb.SIZE[0], 3).astype(int)
    assert np.abs(np.asarray(img, dtype=int) - ref).mean() < 3
    # ...and not the frame a second earlier (testsrc2 moves).
    assert np.abs(np.asarray(kb.frame("bakery_tour", 2.0), dtype=int) - ref).mean() > 10
    with pytest.raises(videokb.InvalidInputError, match=r"t_s=9 is outside bakery_tour.mp4 \(0-6.000 s\)"):
        kb.frame("bakery_tour", 9)
