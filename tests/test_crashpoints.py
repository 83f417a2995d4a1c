"""Crash-point enumeration (issue 17): kill the ingest at the n-th hit of every named failpoint
(:mod:`index.failpoints`: each LanceDB add, merge, update and delete, each journal statement), with 1 worker
and with ``--workers 2``, resume, and compare the index with an uninterrupted run key for key.

The run under test is a second ingest of a library that changed since the first: a new video, a duplicate,
a file whose content changed, a moved file, a deleted file (``--prune``) and a text file, so the kills land
in every kind of write an ingest makes. One uninterrupted run lists the failpoints it reaches and how often
(``VIDEOKB_FAILPOINT_LOG``); each case arms ``name:n`` for n in {1, 2, last}. The default run takes a
seeded sample of the cases (the seed is printed; ``VIDEOKB_TEST_SEED`` replays it); ``-m slow`` runs them all,
and kills the run that recovers from a first kill at each failpoint it reaches (the sweep of orphaned rows,
the discard of a resumed attempt's unfinished stages, the journal's resume).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from test_integrity import light, light_env, make_video
from test_library_ingest import snapshot

from videokb.index import schema as S
from videokb.index.failpoints import read_log
from videokb.index.store import Store
from videokb.ingest import RunOptions, ingest
from videokb.ingest.discover import content_hash
from videokb.ingest.journal import Journal, journal_path

DEFAULT_SAMPLE = 3  # cases of each worker count in the default (fast) run


@pytest.fixture(scope="module")
def scene(tmp_path_factory, shared_cache) -> dict:
    """The library after its changes, the index as the first run left it (a template to copy), and the
    uninterrupted second run's snapshot."""
    root = tmp_path_factory.mktemp("crash")
    lib = root / "lib"
    lib.mkdir()
    make_video(lib / "a.mp4", seconds=3)
    make_video(lib / "b.mp4", seconds=3, pattern="smptebars")
    shutil.copy(lib / "a.mp4", lib / "copy of a.mp4")
    make_video(lib / "e.mp4", seconds=3, pattern="testsrc2")
    for i in range(3):  # enough library that pruning one file is not "most of it"
        make_video(lib / f"keep{i}.mp4", seconds=2, pattern="rgbtestsrc", size=f"{160 + 16 * i}x120")
    template = root / "template"
    first = ingest([lib], Store(template), light(shared_cache), progress=False)
    assert len(first.by_status("ingested")) == 6, first.outcomes
    # What changed before the second run.
    (lib / "a.mp4").rename(lib / "a moved.mp4")
    make_video(lib / "b.mp4", seconds=3, pattern="mandelbrot")  # same name, new content
    (lib / "e.mp4").unlink()
    make_video(lib / "new.mp4", seconds=3, pattern="life")
    shutil.copy(lib / "new.mp4", lib / "new copy.mp4")
    (lib / "notes.txt").write_text("not a video")
    ref = root / "ref"
    shutil.copytree(template, ref)
    second = ingest([lib], Store(ref), light(shared_cache), run=RunOptions(prune=True), progress=False)
    assert {o.status for o in second.outcomes} == {"ingested", "skipped", "removed", "ignored"}, second.outcomes
    return {"lib": lib, "template": template, "reference": snapshot(Store(ref)), "root": root}


def _cmd(lib: Path, db: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "videokb", "ingest", str(lib), "--db", str(db), "--prune", "--no-progress",
            "--workers", str(workers)]


def _hits(scene: dict, workers: int, env: dict) -> dict[str, int]:
    """The failpoints an uninterrupted second run reaches, and how often (cached per worker count)."""
    key = f"hits{workers}"
    if key not in scene:
        db, log = scene["root"] / f"enum{workers}", scene["root"] / f"enum{workers}.log"
        shutil.copytree(scene["template"], db)
        out = subprocess.run(_cmd(scene["lib"], db, workers), env={**env, "VIDEOKB_FAILPOINT_LOG": str(log)},
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        scene[key] = dict(read_log(log))
        assert snapshot(Store(db)) == scene["reference"]
    return scene[key]


def cases(hits: dict[str, int]) -> list[tuple[str, int]]:
    return sorted({(name, n) for name, last in hits.items() for n in (1, 2, last) if n <= last})


def survivors(token: str) -> list[psutil.Process]:
    """Processes started with ``VIDEOKB_CRASH_RUN=token`` (the killed run's driver and workers) still alive."""
    alive = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("VIDEOKB_CRASH_RUN") == token and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return alive


def crash_and_resume(scene: dict, workers: int, name: str, n: int, shared_cache: Path, tmp_path: Path,
                     start: Path | None = None) -> None:
    """Copy ``start`` (default: the first run's index), run the second ingest killed at ``name:n``, check no
    process of it survives, resume, compare with the uninterrupted run."""
    db = tmp_path / f"db-{workers}-{name}-{n}"
    shutil.copytree(start or scene["template"], db)
    kill_at(scene, db, workers, name, n, shared_cache, tmp_path)
    resume_and_compare(scene, db, workers, shared_cache)


def kill_at(scene: dict, db: Path, workers: int, name: str, n: int, shared_cache: Path, tmp_path: Path) -> None:
    """The second ingest on ``db``, killed at the ``n``-th hit of ``name``; no process of it may survive."""
    log = tmp_path / f"{db.name}.log"
    token = uuid.uuid4().hex
    env = {**light_env(shared_cache, tmp_path / "home"), "VIDEOKB_FAILPOINT": f"{name}:{n}",
           "VIDEOKB_FAILPOINT_LOG": str(log), "VIDEOKB_CRASH_RUN": token}
    killed = subprocess.run(_cmd(scene["lib"], db, workers), env=env, capture_output=True, text=True, timeout=300)
    hits = read_log(log)
    assert hits[name] >= n, f"{name}:{n} never hit (hits: {dict(hits)}); rc {killed.returncode}: {killed.stderr}"
    # The driver died there (rc -9), or a worker did and the driver went on or stopped with a clear error.
    assert killed.returncode in (-9, 0, 1), killed.stderr
    if killed.returncode == 1:
        assert "worker" in (killed.stdout + killed.stderr).lower(), killed.stdout + killed.stderr
    deadline = time.time() + 10  # the kernel kills workers with their driver; 10 s is how long we look
    while (alive := survivors(token)) and time.time() < deadline:
        time.sleep(0.2)
    assert not alive, f"processes of the killed run still alive: {[(p.pid, p.cmdline()) for p in alive]}"


def resume_and_compare(scene: dict, db: Path, workers: int, shared_cache: Path) -> None:
    # Resume (no failpoint armed in this process) and compare key for key with the uninterrupted run.
    resumed = ingest([scene["lib"]], Store(db), light(shared_cache), run=RunOptions(workers=workers, prune=True),
                     progress=False)
    assert not resumed.by_status("failed"), resumed.outcomes
    assert_same_index(snapshot(Store(db)), scene["reference"], f"{db.name}: {workers} worker(s)")
    j = Journal(journal_path(str(db)))
    try:
        assert j.summary()["remaining"] == []
        assert j.query("SELECT count(*) AS n FROM runs WHERE status = 'running'")[0]["n"] == 0
    finally:
        j.close()


def assert_same_index(got: dict, want: dict, what: str) -> None:
    """Key for key equal; only which of two copies of one video its ``videos`` row names may differ (a killed
    run can commit the copy the uninterrupted one skipped as "same content as" the other)."""
    assert got.keys() == want.keys(), what
    for name in want:
        if name != S.VIDEOS:
            assert got[name] == want[name], f"{what}: {name}"
    assert [r[0] for r in got[S.VIDEOS]] == [r[0] for r in want[S.VIDEOS]], what
    for (vid, path), (_, wanted) in zip(got[S.VIDEOS], want[S.VIDEOS]):
        assert path == wanted or content_hash(Path(path)) == vid, f"{what}: {vid} at {path}, not {wanted}"


def _only(cases: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``VIDEOKB_FAILPOINT_CASES=name:n,...`` replays only those cases."""
    chosen = os.environ.get("VIDEOKB_FAILPOINT_CASES")
    return cases if not chosen else [c for c in cases if f"{c[0]}:{c[1]}" in chosen.split(",")]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_kill_at_sampled_failpoints_then_resume_gives_the_uninterrupted_index(scene, workers, shared_cache,
                                                                                 tmp_path):
    seed = int(os.environ.get("VIDEOKB_TEST_SEED", time.time_ns() % 2**32))
    print(f"seed {seed} (VIDEOKB_TEST_SEED replays it)")
    env = light_env(shared_cache, tmp_path / "home")
    all_cases = cases(_hits(scene, workers, env))
    picked = random.Random(seed).sample(all_cases, DEFAULT_SAMPLE)
    print(f"{workers} worker(s): {len(all_cases)} cases, running {picked}")
    for name, n in picked:
        crash_and_resume(scene, workers, name, n, shared_cache, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_kill_at_every_failpoint_then_resume_gives_the_uninterrupted_index(scene, workers, shared_cache,
                                                                              tmp_path):
    env = light_env(shared_cache, tmp_path / "home")
    hits = _hits(scene, workers, env)
    print(f"{workers} worker(s): failpoints reached: {hits}")
    for name, n in _only(cases(hits)):
        print(f"kill at {name}:{n}")
        crash_and_resume(scene, workers, name, n, shared_cache, tmp_path)


# A first kill that leaves work for recovery: an attempt with its stage checkpointed but not committed, and a
# changed file's old version half-deleted (its videos row gone, its rows not yet: orphans the next run sweeps).
FIRST_KILLS = [("store.commit_video", 1), ("store.delete_video_rows", 1)]


def _recovery_cases(scene: dict, shared_cache: Path, tmp_path: Path) -> list[tuple[str, int, str, int]]:
    """(first kill, n, recovery failpoint, 1) for every failpoint the resumed run reaches before it has
    caught up with the first kill's leftovers and the rest of the run."""
    out = []
    for first, n in FIRST_KILLS:
        crashed = tmp_path / f"after-{first}"
        shutil.copytree(scene["template"], crashed)
        kill_at(scene, crashed, 1, first, n, shared_cache, tmp_path)
        probe, log = tmp_path / f"probe-{first}", tmp_path / f"probe-{first}.log"
        shutil.copytree(crashed, probe)
        env = {**light_env(shared_cache, tmp_path / "home"), "VIDEOKB_FAILPOINT_LOG": str(log)}
        done = subprocess.run(_cmd(scene["lib"], probe, 1), env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        out += [(first, n, name, 1) for name in sorted(read_log(log))]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("sample", [True, False], ids=["sampled", "all"])
def test_a_kill_during_recovery_then_resume_gives_the_uninterrupted_index(scene, sample, shared_cache, tmp_path):
    seed = int(os.environ.get("VIDEOKB_TEST_SEED", time.time_ns() % 2**32))
    print(f"seed {seed} (VIDEOKB_TEST_SEED replays it)")
    all_cases = _recovery_cases(scene, shared_cache, tmp_path)
    reached = {c[2] for c in all_cases}
    assert {"store.sweep", "store.discard_attempt", "journal.resume", "journal.start_run"} <= reached, reached
    picked = random.Random(seed).sample(all_cases, 2) if sample else all_cases
    print(f"{len(all_cases)} recovery cases, running {picked}")
    for first, n, name, m in picked:
        crash_and_resume(scene, 1, name, m, shared_cache, tmp_path / f"{first}-{name}",
                         start=tmp_path / f"after-{first}")


def test_a_dead_worker_fails_its_video_alone_and_the_run_goes_on(shared_cache, tmp_path):
    """A worker process killed on a video (as by a segfault or the OOM killer) fails that video, charged with
    the crash; the other videos of the run are indexed, and the next run resumes the failed one."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for i, pattern in enumerate(["testsrc", "smptebars", "testsrc2", "rgbtestsrc"]):
        make_video(lib / f"v{i}.mp4", seconds=3, pattern=pattern)
    ref = Store(tmp_path / "ref")
    ingest([lib], ref, light(shared_cache), progress=False)
    db, log = tmp_path / "db", tmp_path / "fp.log"
    env = {**light_env(shared_cache, tmp_path / "home"), "VIDEOKB_FAILPOINT": "store.add:2",
           "VIDEOKB_FAILPOINT_LOG": str(log)}
    run = subprocess.run([sys.executable, "-m", "videokb", "ingest", str(lib), "--db", str(db), "--no-progress",
                          "--workers", "2", "--json"], env=env, capture_output=True, text=True, timeout=300)
    outcomes = [json.loads(line) for line in run.stdout.splitlines()]
    failed = [o for o in outcomes if o["status"] == "failed"]
    assert run.returncode == 1 and len(failed) == 1, run.stdout + run.stderr
    assert failed[0]["reason"].startswith("the worker process died on it (signal 9 (SIGKILL)"), failed[0]
    assert sorted(o["status"] for o in outcomes) == ["failed", "ingested", "ingested", "ingested"], outcomes
    j = Journal(journal_path(str(db)))
    try:
        crashes = {Path(r["path"]).name: r["crashes"] for r in j.query("SELECT path, crashes FROM files")}
    finally:
        j.close()
    assert crashes == {Path(o["path"]).name: int(o["status"] == "failed") for o in outcomes}, crashes
    again = ingest([lib], Store(db), light(shared_cache), run=RunOptions(workers=2), progress=False)
    assert [(o.path.name, o.status) for o in again.by_status("ingested")] == [(Path(failed[0]["path"]).name,
                                                                             "ingested")]
    assert snapshot(Store(db)) == snapshot(ref)


@pytest.mark.slow
def test_kills_at_the_failpoints_outside_an_ordinary_ingest(scene, shared_cache, tmp_path):
    """The failpoints the enumerations above do not reach: a first ingest's table and index creation,
    ``videokb optimize``'s rewrite, the cache's publish, and the driver's record of a dead worker's crash.
    (``store.update_schema_metadata`` is reached only with HiCo clip tokens, which need a visual model: it has
    its own test below.)"""
    env = light_env(shared_cache, tmp_path / "home")
    # A first ingest into an empty index, killed as it creates a table, or its first full-text index.
    first_ref = Store(tmp_path / "first-ref")
    ingest([scene["lib"]], first_ref, light(shared_cache), progress=False)
    for arm in ("store.create_table:2", "index.create_index:1"):
        db = tmp_path / f"first-{arm}"
        killed = subprocess.run(_cmd(scene["lib"], db, 1), env={**env, "VIDEOKB_FAILPOINT": arm},
                                capture_output=True, text=True, timeout=300)
        assert killed.returncode == -9, killed.stderr
        ingest([scene["lib"]], Store(db), light(shared_cache), progress=False)
        assert_same_index(snapshot(Store(db)), snapshot(first_ref), arm)
    # optimize killed while it rewrites a table: the index is as before, and optimize runs again.
    db = tmp_path / "optimized"
    shutil.copytree(scene["root"] / "ref", db)
    optimize = [sys.executable, "-m", "videokb", "optimize", "--db", str(db), "--keep-hours", "0"]
    killed = subprocess.run(optimize, env={**env, "VIDEOKB_FAILPOINT": "index.optimize:2"}, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    assert snapshot(Store(db)) == scene["reference"]
    again = subprocess.run(optimize, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert snapshot(Store(db)) == scene["reference"]
    # The cache's publish killed just before its rename: no half entry, and the next publish makes it.
    target = tmp_path / "cache" / "entry"
    publish = (f"from pathlib import Path; from videokb.index.cache import publish_atomically as p; "
               f"p(Path({str(target)!r}), lambda d: (d / 'weights.bin').write_bytes(b'x' * 4096) and None, "
               f"lambda t: (t / 'weights.bin').exists())")
    killed = subprocess.run([sys.executable, "-c", publish], env={**env, "VIDEOKB_FAILPOINT": "cache.publish:1"},
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9 and not target.exists(), killed.stderr
    subprocess.run([sys.executable, "-c", publish], env=env, check=True, timeout=120)
    assert (target / "weights.bin").read_bytes() == b"x" * 4096
    # The driver killed as it records a dead worker's crash (a worker killed first, at its second add).
    db = tmp_path / "crashed"
    shutil.copytree(scene["template"], db)
    log = tmp_path / "crashed.log"
    killed = subprocess.run(_cmd(scene["lib"], db, 2), capture_output=True, text=True, timeout=300,
                            env={**env, "VIDEOKB_FAILPOINT": "store.add:2,journal.crashed:1",
                                 "VIDEOKB_FAILPOINT_LOG": str(log)})
    assert killed.returncode == -9 and read_log(log)["journal.crashed"] == 1, killed.stderr
    resume_and_compare(scene, db, 2, shared_cache)


CLIP_SCRIPT = """
import sys
from videokb.index import schema as S
from videokb.index.store import Store
spec = S.EmbedderSpec("test", "tiny", 4)
Store(sys.argv[1]).ensure_clips_table(S.clips_table_name("tiny"), S.clips_schema(4),
                                      {"tokens": spec, "vector": spec}, sys.argv[2])
"""


def test_a_kill_as_the_clip_settings_change_keeps_the_old_settings_and_rows(tmp_path):
    """``store.update_schema_metadata``: a re-ingest with other HiCo settings rewrites the clips table's
    metadata; killed just before, the table keeps its rows and its old settings, and the next run updates it."""
    db, old, new = tmp_path / "db", '{"tokens": 8}', '{"tokens": 16}'
    subprocess.run([sys.executable, "-c", CLIP_SCRIPT, str(db), old], check=True, timeout=120)
    store = Store(db)
    name = S.clips_table_name("tiny")
    store.add(store.db.open_table(name), [
        {"video_id": "v", "ingest_id": "a", "clip_idx": 0, "start_s": 0.0, "end_s": 1.0, "n_keyframes": 1,
         "n_merged": 1, "n_patches": 4, "n_tokens": 1, "settings": old, "tokens": [[1.0, 0.0, 0.0, 0.0]],
         "token_bbox_xyxy": [[0.0, 0.0, 1.0, 1.0]], "token_start_s": [0.0], "token_end_s": [1.0],
         "token_sizes": [4], "vector": [1.0, 0.0, 0.0, 0.0]}])
    killed = subprocess.run([sys.executable, "-c", CLIP_SCRIPT, str(db), new], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "VIDEOKB_FAILPOINT": "store.update_schema_metadata:1"})
    assert killed.returncode == -9, killed.stderr
    ds = Store(db).dataset(name)
    assert S.hico_settings(ds.schema) == json.loads(old) and ds.count_rows() == 1
    subprocess.run([sys.executable, "-c", CLIP_SCRIPT, str(db), new], check=True, timeout=120)
    ds = Store(db).dataset(name)
    assert S.hico_settings(ds.schema) == json.loads(new) and ds.count_rows() == 1


def test_a_failpoint_spec_is_checked_and_a_hit_kills_only_at_its_count(tmp_path):
    from videokb.index.failpoints import parse

    assert parse("store.add:2, journal.finish:1") == {"store.add": 2, "journal.finish": 1}
    assert parse("") == {}
    for bad in ("store.add", "store.add:0", ":3", "store.add:x"):
        with pytest.raises(ValueError, match="is not name:n"):
            parse(bad)
    log = tmp_path / "hits.log"
    script = "from videokb.index.failpoints import hit\nfor _ in range(5):\n    hit('a')\n    hit('b')\n"
    env = {**os.environ, "VIDEOKB_FAILPOINT": "b:3", "VIDEOKB_FAILPOINT_LOG": str(log)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == -9, done.stderr
    assert read_log(log) == {"a": 3, "b": 3}  # died at the third b, before a fourth a
