"""Library-scale ingest: kill -9 and resume, parallel workers, prune, status, and searching while ingesting.

Every test compares against one uninterrupted, single-worker ingest of the same three videos with the
default offline models (speech, OCR and EfficientNet-Lite0), made once for the module.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from videokb.index import schema as S
from videokb.index.events import connect_events
from videokb.index.store import Store
from videokb.ingest import IngestConfig, RunOptions, ingest
from videokb.ingest.journal import Journal, journal_path
from videokb.ingest.models import ModelConfig
from videokb.retrieval import SearchError, SearchOptions, search

# Natural keys of each table: two rows with the same key are a duplicate.
KEYS = {
    S.VIDEOS: ("video_id",),
    S.KEYFRAMES: ("video_id", "frame_idx"),
    S.SEGMENTS: ("video_id", "segment_idx"),
    S.OCR_SPANS: ("video_id", "span_idx"),
}
REGION_KEY = ("video_id", "frame_idx", "region_idx")
CLIP_KEY = ("video_id", "clip_idx")  # clips_<space> tables (HiCo), content: n_tokens
CONTENT = {S.KEYFRAMES: "labels", S.SEGMENTS: "text", S.OCR_SPANS: "text", S.VIDEOS: "video_path"}


def snapshot(store: Store, strict: bool = True) -> dict[str, list[tuple]]:
    """Every table as a sorted list of (key..., content) tuples, after checking it has no duplicate keys
    and (``strict``) no row outside a live attempt; else only the live rows, as search sees them."""
    live = {(v, i) for v, i in store.live_attempts().items()}
    out = {}
    for name in store.table_names():
        t = store.db.open_table(name).to_arrow()
        if not strict:
            mask = [p in live for p in zip(t.column("video_id").to_pylist(), t.column("ingest_id").to_pylist())]
            t = t.filter(pa.array(mask, type=pa.bool_()))
        clips = name.startswith(S.CLIPS_PREFIX)
        key = KEYS.get(name, CLIP_KEY if clips else REGION_KEY)
        cols = [t.column(c).to_pylist() for c in key]
        content = t.column(CONTENT.get(name, "n_tokens" if clips else "kind")).to_pylist()
        rows = sorted(zip(*cols, content), key=repr)
        keys = [r[:-1] for r in rows]
        assert len(keys) == len(set(keys)), f"{name}: duplicate keys"
        pairs = set(zip(t.column("video_id").to_pylist(), t.column("ingest_id").to_pylist()))
        assert pairs <= live, f"{name}: rows of attempts that are not live: {pairs - live}"
        out[name] = rows
    return out


def default_config(shared_cache) -> IngestConfig:
    return IngestConfig(models=ModelConfig(visual="efficientnet-lite0", device="cpu", cache_dir=shared_cache))


@pytest.fixture(scope="module")
def folder(corpus, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("lib")
    for v in corpus[:3]:
        shutil.copy(v.path, d / v.path.name)
    return d


@pytest.fixture(scope="module")
def reference(folder, tmp_path_factory, shared_cache) -> dict:
    store = Store(tmp_path_factory.mktemp("ref"))
    report = ingest([folder], store, default_config(shared_cache), progress=False)
    assert len(report.by_status("ingested")) == 3, report.outcomes
    return snapshot(store)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "videokb", *args]


def _env(shared_cache: Path, home: Path) -> dict:
    return {**os.environ, "VIDEOKB_CACHE": str(shared_cache), "VIDEOKB_HOME": str(home), "HF_HUB_OFFLINE": "1",
            "VIDEOKB_VISUAL": "efficientnet-lite0", "VIDEOKB_DEVICE": "cpu"}


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_index(folder, reference, shared_cache,
                                                                             tmp_path):
    db = tmp_path / "db"
    env = _env(shared_cache, tmp_path / "home")
    rng = random.Random(os.environ.get("VIDEOKB_TEST_SEED", time.time_ns()))
    kills: list[dict] = []
    cmd = _cli("ingest", str(folder), "--db", str(db), "--no-progress", "--json")
    # Each kill comes at a random moment after the run reaches a later phase: a video started, a stage of one
    # checkpointed, one video committed, two committed. After a restart a phase may already be reached, and
    # the kill then lands during start-up or the sweep of the last kill's leftovers.
    phases = [  # (condition, longest random delay after it)
        ("SELECT count(*) FROM files WHERE state IN ('running', 'done')", 3.0),
        # Right after a stage checkpoint, before the video commits: the next run must resume from it.
        ("SELECT count(*) FROM stages", 0.05),
        ("SELECT count(*) FROM files WHERE state = 'done'", 3.0),
        ("SELECT count(*) >= 2 FROM files WHERE state = 'done'", 3.0),
    ]
    for phase, delay in phases:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if journal_path(str(db)).exists():
                j = Journal(journal_path(str(db)))
                reached = next(iter(j.query(phase)[0].values()))
                j.close()
                if reached:
                    break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, delay))
        if proc.poll() is not None:
            break  # it finished before the kill came
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        j = Journal(journal_path(str(db)))
        kills.append(j.summary())
        j.close()
        print(f"kill {len(kills)}: files {kills[-1]['files']}, interrupted: "
              f"{[(Path(r['path']).name, r['stages_done']) for r in kills[-1]['remaining'] if r['state'] == 'running']}")
        # Whatever moment it died, search sees only whole videos (rows of the attempt it was on are not live).
        seen = snapshot(Store(db), strict=False)
        for row in Store(db).videos().to_pylist():
            assert sum(r[0] == row["video_id"] for r in seen[S.KEYFRAMES]) == row["n_keyframes"]
            assert row["video_id"] in {r[0] for r in reference[S.VIDEOS]}
            for name, rows in seen.items():
                mine = [r for r in rows if r[0] == row["video_id"]]
                assert mine == [r for r in reference[name] if r[0] == row["video_id"]], name
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stdout + final.stderr
    assert kills, "no kill landed before the ingest finished"
    assert any(k["remaining"] for k in kills), "every kill landed between videos"
    assert any(r["stages_done"] for k in kills for r in k["remaining"]), "no kill landed after a stage checkpoint"
    assert snapshot(Store(db)) == reference
    # The journal says everything is done, and a further run adds nothing.
    j = Journal(journal_path(str(db)))
    assert j.summary()["remaining"] == []
    j.close()
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    statuses = [json.loads(line)["status"] for line in again.stdout.splitlines()]
    assert statuses.count("skipped") == 3 and "ingested" not in statuses
    assert snapshot(Store(db)) == reference


def test_two_workers_give_the_same_index(folder, reference, shared_cache, tmp_path):
    store = Store(tmp_path / "db")
    report = ingest([folder], store, default_config(shared_cache), run=RunOptions(workers=2), progress=False)
    assert len(report.by_status("ingested")) == 3, report.outcomes
    assert snapshot(store) == reference


def test_prune_removes_deleted_files_and_status_reports(folder, reference, shared_cache, tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(folder, lib)
    db = tmp_path / "db"
    store = Store(db)
    cfg = default_config(shared_cache)
    ingest([lib], store, cfg, progress=False)
    gone = sorted(lib.glob("*.mp4"))[0]
    gone.unlink()
    (lib / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)

    kept = ingest([lib], store, cfg, progress=False)  # without --prune, a vanished file stays indexed
    assert store.videos().num_rows == 3 and not kept.by_status("removed")
    pruned = ingest([lib], store, cfg, run=RunOptions(prune=True), progress=False)
    assert [(o.path, o.reason) for o in pruned.by_status("removed")] == [(gone, "file no longer exists")]
    assert store.videos().num_rows == 2
    left = snapshot(store)
    for name, rows in left.items():
        assert all(r[0] != _video_id(reference, gone) for r in rows), name
    con = connect_events(store)
    assert con.sql("SELECT count(DISTINCT video_id) FROM events").fetchall()[0][0] == 2

    env = _env(shared_cache, tmp_path / "home")
    out = subprocess.run(_cli("status", "--db", str(db), "--json"), env=env, capture_output=True, text=True,
                         check=True)
    status = json.loads(out.stdout)
    assert status["videos"] == 2 and status["last_run"]["status"] == "finished"
    assert status["files"]["done"] == 2 and status["files"]["removed"] == 1 and status["files"]["failed"] == 1
    assert status["failed"][0]["path"].endswith("broken.mp4") and status["failed"][0]["reason"]
    text = subprocess.run(_cli("status", "--db", str(db)), env=env, capture_output=True, text=True, check=True)
    assert "broken.mp4: " in text.stdout and "2 videos" in text.stdout


def _video_id(snap: dict, path: Path) -> str:
    (vid,) = [r[0] for r in snap[S.VIDEOS] if r[-1].endswith(path.name)]
    return vid


def test_searching_while_ingesting_never_errors_nor_sees_half_a_video(folder, reference, shared_cache, tmp_path):
    db = tmp_path / "db"
    store = Store(db)
    env = _env(shared_cache, tmp_path / "home")
    proc = subprocess.Popen(_cli("ingest", str(folder), "--db", str(db), "--no-progress"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    expected_keyframes = {r[0]: 0 for r in reference[S.VIDEOS]}
    for r in reference[S.KEYFRAMES]:
        expected_keyframes[r[0]] += 1
    queries = ["sourdough bread price", "city council vote", "rocket launch window", "opening hours"]
    errors: list[BaseException] = []
    seen: set[str] = set()
    n_searches = 0
    while proc.poll() is None or n_searches == 0:
        try:
            for m in search(store, queries[n_searches % len(queries)], None, SearchOptions(k=5, device="cpu")):
                seen.add(m.video_id)
                # A video search returns is whole: all its keyframes are there, under its live attempt.
                live = store.find_video(video_id=m.video_id)
                assert live is not None
                kf = store.db.open_table(S.KEYFRAMES).count_rows(
                    f"video_id = '{m.video_id}' AND ingest_id = '{live['ingest_id']}'")
                assert kf == expected_keyframes[m.video_id] == live["n_keyframes"]
            connect_events(store).sql("SELECT kind, count(*) FROM events GROUP BY kind").fetchall()
        except SearchError as e:
            if "has no videos yet" not in str(e):  # the honest answer until the first video commits
                errors.append(e)
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(e)
        n_searches += 1
    assert proc.wait() == 0, proc.stderr.read().decode()
    assert not errors, errors[:3]
    assert n_searches >= 5 and seen
    assert snapshot(store) == reference


def test_ray_engine_on_a_local_ray_instance_gives_the_same_index(folder, reference, shared_cache, tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        store = Store(tmp_path / "db")
        run = RunOptions(engine="ray", workers=2, cpus_per_worker=1)
        report = ingest([folder], store, default_config(shared_cache), run=run, progress=False)
        assert len(report.by_status("ingested")) == 3, report.outcomes
        assert snapshot(store) == reference
        again = ingest([folder], store, default_config(shared_cache), run=run, progress=False)
        assert len(again.by_status("skipped")) == 3
    finally:
        ray.shutdown()


def test_watch_ingests_new_files_and_prunes_deleted_ones(corpus, shared_cache, tmp_path):
    watched = tmp_path / "watched"
    watched.mkdir()
    db = tmp_path / "db"
    env = {**_env(shared_cache, tmp_path / "home"), "VIDEOKB_ASR": "false"}
    proc = subprocess.Popen(_cli("watch", str(watched), "--db", str(db), "--prune"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines: list[str] = []
    out_lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:  # read stderr as it comes (a full pipe would block the watcher)
        for line in proc.stderr:
            err_lines.append(line)
            if line.startswith("watching "):
                ready.set()

    def drain_out() -> None:
        out_lines.extend(proc.stdout)

    readers = [threading.Thread(target=f, daemon=True) for f in (drain, drain_out)]
    for r in readers:
        r.start()
    clip = watched / "new clip.mp4"
    try:
        assert _wait_for(lambda: ready.is_set() or proc.poll() is not None) and ready.is_set(), "".join(err_lines)
        shutil.copy(corpus[0].path, clip)
        assert _wait_for(lambda: Store(db).videos().num_rows == 1), "not ingested:\n" + "".join(err_lines)
        assert Store(db).videos().to_pylist()[0]["video_path"] == str(clip)
        assert _wait_for(lambda: _said(out_lines, f"ingested  {clip}")), "".join(out_lines + err_lines)
        clip.unlink()
        # What the user reads: the removal is reported (before the maintenance pass that follows it).
        assert _wait_for(lambda: _said(out_lines, f"removed   {clip}")), "".join(out_lines + err_lines)
        assert Store(db).videos().num_rows == 0
        assert snapshot(Store(db)) == {name: [] for name in Store(db).table_names()}
    finally:
        proc.send_signal(signal.SIGTERM)  # not SIGINT: a shell starting CI in the background ignores it
        proc.wait(timeout=60)
        for r in readers:
            r.join(10)
    assert proc.returncode == 0, "".join(err_lines)
    assert "stopped\n" in err_lines


def _said(lines: list[str], start: str) -> bool:
    """A line starts with START, followed by its end or by ": reason"."""
    return any(line.rstrip("\n") == start or line.startswith(start + ": ") for line in lines)


def _wait_for(condition, timeout_s: float = 180) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False
