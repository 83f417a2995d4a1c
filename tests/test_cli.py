"""The videokb command through click's runner: exit codes and the exact shape of its output."""

import json

import pytest
from click.testing import CliRunner

from videokb.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def db(tmp_path, video_dir, runner, tiny_siglip2):
    """An index of two corpus videos (tiny SigLIP2, real OCR and text model; speech off to stay fast)."""
    db = tmp_path / "db"
    res = runner.invoke(cli, ["ingest", str(video_dir), "--db", str(db), "--visual", "siglip2", "--siglip2-model",
                              str(tiny_siglip2), "--no-asr", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "2 ingested, 0 skipped, 0 failed, 0 ignored"
    assert f"visual: SigLIP2 {tiny_siglip2}" in res.stderr  # which model serves each modality, up front
    return db


def test_search_json_lines_best_first(runner, db, video_dir):
    res = runner.invoke(cli, ["search", "riverside playground", "--db", str(db), "--json", "-k", "3"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert 1 <= len(rows) <= 3
    top = rows[0]
    assert set(top) >= {"video_id", "video_path", "start_s", "end_s", "score", "modalities", "snippet"}
    assert top["video_path"] == str(video_dir / "city_council_meeting.mp4")
    assert "ocr" in top["modalities"] and "Riverside playground" in top["snippet"]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_search_human_output(runner, db):
    res = runner.invoke(cli, ["search", "riverside playground", "--db", str(db), "-k", "1"])
    assert res.exit_code == 0, res.output
    first, snippet = res.stdout.splitlines()
    assert first.startswith(" 1. city_council_meeting.mp4  00:1") and "ocr" in first
    assert snippet.strip().startswith("[")


def test_search_one_video_and_by_image(runner, db, corpus, tmp_path):
    res = runner.invoke(cli, ["search", "price", "--db", str(db), "--video", "bakery", "--json"])
    assert res.exit_code == 0, res.output
    assert {json.loads(x)["video_path"].rsplit("/", 1)[1] for x in res.stdout.splitlines()} == {"bakery_tour.mp4"}
    from videokb.sample import render_photo

    pic = tmp_path / "q.png"
    render_photo("coins", (854, 480)).save(pic)
    res = runner.invoke(cli, ["search", "--image", str(pic), "--db", str(db), "--json", "-k", "1"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["modalities"] == ["visual"]


def test_videos_and_sql(runner, db):
    res = runner.invoke(cli, ["videos", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    vids = [json.loads(x) for x in res.stdout.splitlines()]
    assert [v["video_path"].rsplit("/", 1)[1] for v in vids] == ["bakery_tour.mp4", "city_council_meeting.mp4"]
    assert vids[0]["models"]["visual"].startswith("siglip2:") and vids[0]["models"]["asr"] is None
    assert vids[0]["duration_s"] > 20 and len(vids[0]["video_id"]) == 32
    res = runner.invoke(cli, ["sql", "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind",
                              "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    kinds = {json.loads(x)["kind"] for x in res.stdout.splitlines()}
    assert kinds == {"ocr", "shot"}  # no speech (off) and no classifier labels (SigLIP2)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search"], 2, "give a QUERY or --image PATH"),
        (["search", "x", "--modality", "smell"], 1, "unknown modality smell"),
        (["search", "x"], 1, "has no videos yet: run `videokb ingest` first"),
        (["search", "x", "--video", "nope"], 1, "no indexed video matches 'nope'"),
        (["sql", "SELECT * FROM nowhere"], 1, "SQL error"),
        (["ingest", "x.mp4", "--visual", "clip"], 2, "Invalid value for '--visual'"),
    ],
)
def test_errors_have_exit_codes_and_reasons(runner, tmp_path, args, code, message):
    res = runner.invoke(cli, [*args, "--db", str(tmp_path / "empty")])
    assert res.exit_code == code
    assert message in res.output


def test_bad_image_and_bad_files(runner, db, bad_files):
    res = runner.invoke(cli, ["search", "--image", str(bad_files["not_a_video"]), "--db", str(db)])
    assert res.exit_code == 1 and "notes.txt: not a readable image" in res.output
    res = runner.invoke(cli, ["ingest", str(bad_files["truncated"]), str(bad_files["not_a_video"]), "--db", str(db),
                              "--visual", "efficientnet-lite0", "--no-asr", "--no-progress"])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0] == "0 ingested, 0 skipped, 2 failed, 0 ignored"
    assert any("broken.mp4: not a readable video" in x and "moov atom not found" in x for x in lines)
    assert any("notes.txt: not a readable video" in x for x in lines)


def test_optimize_compacts_and_search_answers_the_same(runner, db):
    query = ["search", "riverside playground", "--db", str(db), "--json", "-k", "5"]
    before = runner.invoke(cli, query)
    res = runner.invoke(cli, ["optimize", "--db", str(db), "--keep-hours", "0", "--json"])
    assert res.exit_code == 0, res.output
    tables = {r["table"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert {"videos", "keyframes", "ocr_spans"} <= set(tables)
    assert all(r["fragments_after"] <= r["fragments_before"] for r in tables.values())
    assert all(r["rows_after"] == r["rows_before"] for r in tables.values())
    assert runner.invoke(cli, query).stdout == before.stdout


def test_status_of_an_index_after_ingest(runner, db):
    res = runner.invoke(cli, ["status", "--db", str(db)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"index: {db}: 2 videos, ")
    assert ", finished" in lines[1] and lines[2] == "files: 2 done"
