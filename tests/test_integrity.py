"""Issue 17: never lose or corrupt the library. Each test reproduces one way a messy real library broke the
index on commit c2f598e (it fails there) and checks it cannot happen now.

Light models throughout (no visual model, no OCR, no speech: keyframes and the text embedder still run), on
small generated videos, so the whole file stays fast; the real-model families live in test_integrity_slow.py.
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

import psutil
import pytest
from click.testing import CliRunner

from videokb.cli import cli
from videokb.index import schema as S
from videokb.index.store import Store
from videokb.ingest import IngestConfig, RunOptions, ingest
from videokb.ingest.journal import Journal, journal_path
from videokb.ingest.models import ModelConfig


def make_video(path: Path, seconds: float = 4, size: str = "160x120", pattern: str = "testsrc",
               codec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")) -> Path:
    """A small video with a moving test pattern (a keyframe every second) and a tone."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{pattern}=size={size}:rate=10",
                    "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds), *codec, "-g", "10",
                    "-c:a", "aac", os.fsdecode(path)], check=True)
    return path


def light(shared_cache: Path) -> IngestConfig:
    return IngestConfig(models=ModelConfig(visual="none", ocr=False, asr=False, device="cpu", cache_dir=shared_cache))


def light_env(shared_cache: Path, home: Path) -> dict:
    return {**os.environ, "VIDEOKB_CACHE": str(shared_cache), "VIDEOKB_HOME": str(home), "HF_HUB_OFFLINE": "1",
            "VIDEOKB_VISUAL": "none", "VIDEOKB_OCR": "false", "VIDEOKB_ASR": "false", "VIDEOKB_DEVICE": "cpu"}


def rows_by_attempt(store: Store) -> dict[str, set[tuple]]:
    """Every non-videos table as {table: {(video_id, ingest_id, key...)}}, to compare indexes key for key."""
    out = {}
    for name in store.table_names():
        if name == S.VIDEOS:
            continue
        t = store.db.open_table(name).to_arrow()
        key = {S.KEYFRAMES: "frame_idx", S.SEGMENTS: "segment_idx", S.OCR_SPANS: "span_idx"}.get(name, "frame_idx")
        out[name] = set(zip(t.column("video_id").to_pylist(), t.column("ingest_id").to_pylist(),
                            t.column(key).to_pylist()))
    return out


def live_rows(store: Store) -> dict[str, list[tuple]]:
    """The rows search can see, without the attempt ids: (video_id, key) per table, sorted; and no rows of
    attempts that are not live, no duplicate keys."""
    live = set(store.live_attempts().items())
    out = {}
    for name, rows in rows_by_attempt(store).items():
        assert {(v, i) for v, i, _ in rows} <= live, f"{name}: rows outside live attempts"
        keys = sorted((v, k) for v, _, k in rows)
        assert len(keys) == len(set(keys)), f"{name}: duplicate keys"
        out[name] = keys
    return out


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=6)


@pytest.fixture(scope="module")
def other_clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip2") / "other.mp4", seconds=5, pattern="smptebars")


# -- item 1: a non-UTF-8 name -------------------------------------------------------------------------------
def test_non_utf8_names_are_kept_and_shown_and_never_stop_the_run(clip, shared_cache, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (Path(os.fsdecode(os.fsencode(lib) + b"/caf\xe9 notes.txt"))).write_bytes(b"Latin-1 name")
    latin = Path(os.fsdecode(os.fsencode(lib) + b"/vid\xe9o.mp4"))
    shutil.copy(clip, latin)
    db = tmp_path / "db"
    report = ingest([lib], Store(db), light(shared_cache), progress=False)
    assert [(o.path, o.status) for o in report.outcomes if o.status != "ignored"] == [(latin, "ingested")]
    assert [o.reason for o in report.by_status("ignored")] == ["not a video file extension (.txt)"]
    # Shown readably (valid UTF-8, the odd byte escaped), kept losslessly (it maps back to the file).
    from videokb.ingest.names import on_disk

    row = Store(db).videos().to_pylist()[0]
    assert row["video_path"] == str(lib) + "/vid\\xe9o.mp4"
    assert on_disk(row["video_path"]) == latin
    out = CliRunner().invoke(cli, ["videos", "--db", str(db)])
    assert out.exit_code == 0 and "vid\\xe9o.mp4" in out.output
    out = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert out.exit_code == 0 and "files: 1 done, 1 ignored" in out.output
    # The file is there: a prune keeps it, and a second run finds it unchanged.
    again = ingest([lib], Store(db), light(shared_cache), run=RunOptions(prune=True), progress=False)
    assert [(o.status, o.reason) for o in again.outcomes if o.status != "ignored"] == [("skipped", "unchanged")]
    assert Store(db).videos().num_rows == 1


def test_a_name_that_collides_once_shown_fails_alone(clip, other_clip, shared_cache, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(clip, Path(os.fsdecode(os.fsencode(lib) + b"/caf\xe9.mp4")))
    shutil.copy(other_clip, lib / "caf\\xe9.mp4")  # literally a backslash, x, e, 9
    report = ingest([lib], Store(tmp_path / "db"), light(shared_cache), progress=False)
    assert len(report.by_status("ingested")) == 1
    [ignored] = report.by_status("ignored")
    assert "shows the same as another file's" in ignored.reason


# -- item 2: URIs reach LanceDB ----------------------------------------------------------------------------
def test_db_uris_reach_lancedb_untouched(monkeypatch, tmp_path):
    from videokb.cli_common import open_store
    from videokb.config import default_db

    monkeypatch.chdir(tmp_path)
    for uri in ("s3://bucket/kb", "gs://bucket/kb", "az://container/kb", "memory://kb"):
        assert open_store(uri).uri == uri
        monkeypatch.setenv("VIDEOKB_DB", uri)
        assert default_db() == uri
    assert not (tmp_path / "s3:").exists() and not (tmp_path / "memory:").exists()
    monkeypatch.setenv("VIDEOKB_DB", "~/kb")
    assert default_db() == str(Path.home() / "kb")


# -- item 3: copies of one file in parallel ----------------------------------------------------------------
def test_copies_of_one_video_ingested_in_parallel_keep_all_its_rows(clip, other_clip, shared_cache, tmp_path):
    ref = Store(tmp_path / "ref")
    ingest([clip, other_clip], ref, light(shared_cache), progress=False)
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        shutil.copy(clip, lib / name)
    shutil.copy(other_clip, lib / "d.mp4")
    store = Store(tmp_path / "db")
    report = ingest([lib], store, light(shared_cache), run=RunOptions(workers=2), progress=False)
    assert live_rows(store) == live_rows(ref)
    # One copy is ingested, the others wait for it and are then the same content.
    assert sorted((o.path.name, o.status) for o in report.outcomes) == [
        ("a.mp4", "ingested"), ("b.mp4", "skipped"), ("c.mp4", "skipped"), ("d.mp4", "ingested")]
    # And later runs agree: nothing to repair, nothing changes.
    ingest([lib], store, light(shared_cache), run=RunOptions(workers=2), progress=False)
    assert live_rows(store) == live_rows(ref)


def test_a_changed_file_never_takes_its_copys_video_with_it(clip, other_clip, shared_cache, tmp_path):
    """Found by tests/test_concurrency_history.py: a file changed to other bytes dropped its old version even
    though a copy (done as "same content as" it) still held those bytes; and a file changed to the bytes of
    another indexed file left its old version live."""
    from videokb.ingest.discover import content_hash

    lib = tmp_path / "lib"
    lib.mkdir()
    a, b = shutil.copy(clip, lib / "a.mp4"), shutil.copy(other_clip, lib / "b.mp4")
    c = make_video(tmp_path / "c.mp4", seconds=3, pattern="testsrc2")
    db = tmp_path / "db"
    ingest([lib], Store(db), light(shared_cache), progress=False)
    # A copy of a.mp4 appears (planned first: done as the same content as a.mp4), and a.mp4 gets other bytes.
    shutil.copy(clip, lib / "a copy.mp4")
    shutil.copy(c, a)
    ingest([lib], Store(db), light(shared_cache), progress=False)
    where = {r["video_id"]: Path(r["video_path"]).name for r in Store(db).videos().to_pylist()}
    assert where == {content_hash(clip): "a copy.mp4", content_hash(c): "a.mp4", content_hash(b): "b.mp4"}
    shutil.copy(b, a)  # a.mp4 now holds b.mp4's bytes: its previous version (c) goes
    ingest([lib], Store(db), light(shared_cache), progress=False)
    where = {r["video_id"]: Path(r["video_path"]).name for r in Store(db).videos().to_pylist()}
    assert where == {content_hash(clip): "a copy.mp4", content_hash(b): "b.mp4"}
    j = Journal(journal_path(str(db)))
    try:
        done = {Path(r["path"]).name: r["video_id"] for r in j.query("SELECT path, video_id FROM files")}
    finally:
        j.close()
    assert set(done.values()) == set(where) and all(v in where for v in done.values())
    live_rows(Store(db))  # no duplicates, no rows outside live attempts


# -- item 4: workers die with their driver ------------------------------------------------------------------
def test_workers_die_with_a_killed_driver_and_the_resumed_run_matches(shared_cache, tmp_path):
    seed = int(os.environ.get("VIDEOKB_TEST_SEED", time.time_ns() % 2**32))
    print(f"seed {seed} (VIDEOKB_TEST_SEED replays it)")
    rng = random.Random(seed)
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(6):
        make_video(lib / f"v{i}.mp4", seconds=40, size="320x240", pattern=["testsrc", "testsrc2", "smptebars"][i % 3])
    ref = Store(tmp_path / "ref")
    ingest([lib], ref, light(shared_cache), progress=False)
    db = tmp_path / "db"
    env = light_env(shared_cache, tmp_path / "home")
    cmd = [sys.executable, "-m", "videokb", "ingest", str(lib), "--db", str(db), "--workers", "2", "--no-progress"]
    driver = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ps = psutil.Process(driver.pid)
    deadline = time.time() + 120
    workers: list[psutil.Process] = []
    while time.time() < deadline and driver.poll() is None:
        j = Journal(journal_path(str(db))) if journal_path(str(db)).exists() else None
        started = j is not None and j.query("SELECT count(*) AS n FROM files WHERE state = 'running'")[0]["n"] > 0
        if j is not None:
            j.close()
        workers = [c for c in ps.children(recursive=True) if c.is_running()]
        if started and len(workers) >= 2:
            break
        time.sleep(0.05)
    time.sleep(rng.uniform(0, 1.5))
    assert driver.poll() is None, "the ingest finished before the kill: make the videos longer"
    workers = ps.children(recursive=True)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    # The kernel kills them with their parent (PR_SET_PDEATHSIG); 10 s is only how long we look.
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"worker processes outlived the killed driver: {[p.pid for p in alive]}"
    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert live_rows(Store(db)) == live_rows(ref)


# -- item 5: prune on a missing, emptied or remounted folder ------------------------------------------------
def test_prune_refuses_a_folder_that_looks_unmounted(clip, other_clip, shared_cache, tmp_path):
    from videokb.ingest.prune import PruneRefusedError

    lib = tmp_path / "mnt" / "videos"
    lib.mkdir(parents=True)
    shutil.copy(clip, lib / "a.mp4")
    shutil.copy(other_clip, lib / "b.mp4")
    db = tmp_path / "db"
    ingest([lib], Store(db), light(shared_cache), progress=False)
    prune_run = RunOptions(prune=True)
    lib.rename(tmp_path / "away")  # missing
    with pytest.raises(PruneRefusedError, match="does not exist"):
        ingest([lib], Store(db), light(shared_cache), run=prune_run, progress=False)
    lib.mkdir()  # an empty mount point
    with pytest.raises(PruneRefusedError, match="is empty"):
        ingest([lib], Store(db), light(shared_cache), run=prune_run, progress=False)
    (lib / "notes.txt").write_text("not the drive")  # something there, but on another device than before
    j = Journal(journal_path(str(db)))
    j.set_root_device(lib, lib.stat().st_dev + 1)
    j.close()
    with pytest.raises(PruneRefusedError, match="another device"):
        ingest([lib], Store(db), light(shared_cache), run=prune_run, progress=False)
    assert Store(db).videos().num_rows == 2
    # --dry-run says what would go and removes nothing; --force removes.
    out = CliRunner().invoke(cli, ["ingest", str(lib), "--db", str(db), "--prune", "--dry-run", "--no-progress"],
                             env={"VIDEOKB_VISUAL": "none", "VIDEOKB_OCR": "false", "VIDEOKB_ASR": "false"})
    assert out.exit_code == 0, out.output
    assert f"would remove  {lib / 'a.mp4'}: file no longer exists" in out.output
    assert Store(db).videos().num_rows == 2
    forced = ingest([lib], Store(db), light(shared_cache), run=RunOptions(prune=True, force=True), progress=False)
    assert len(forced.by_status("removed")) == 2 and Store(db).videos().num_rows == 0


def test_prune_refuses_to_remove_most_of_the_library(clip, shared_cache, tmp_path):
    from videokb.ingest.prune import PruneRefusedError

    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(8):
        make_video(lib / f"v{i}.mp4", seconds=1, pattern="testsrc" if i % 2 else "smptebars", size=f"{160 + 16 * i}x120")
    (lib / "keep.txt").write_text("the folder is still there")
    db = tmp_path / "db"
    ingest([lib], Store(db), light(shared_cache), progress=False)
    for i in range(7):
        (lib / f"v{i}.mp4").unlink()
    with pytest.raises(PruneRefusedError, match="more than 50% of the library"):
        ingest([lib], Store(db), light(shared_cache), run=RunOptions(prune=True), progress=False)
    assert Store(db).videos().num_rows == 8


# -- item 6: a pixel bomb --------------------------------------------------------------------------------------
def test_a_pixel_bomb_fails_at_probe_with_a_clear_reason(shared_cache, tmp_path):
    bomb = tmp_path / "bomb.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:size=8000x6000:rate=1",
                    "-t", "1", "-c:v", "ffv1", str(bomb)], check=True)
    assert bomb.stat().st_size < 1_000_000
    report = ingest([bomb], Store(tmp_path / "db"), light(shared_cache), progress=False)
    [o] = report.outcomes
    assert (o.status, o.reason) == ("failed", "frame too large: 8000x6000 = 48 megapixels per frame, over the "
                                              "limit of 40")


# -- item 7: failed files stay failed; attempts are counted --------------------------------------------------
def test_a_failed_file_stays_failed_until_it_changes_or_is_retried(shared_cache, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    bad = lib / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    db = tmp_path / "db"
    first = ingest([lib], Store(db), light(shared_cache), progress=False)
    [o] = first.outcomes
    assert o.status == "failed" and o.reason.startswith("not a readable video")
    second = ingest([lib], Store(db), light(shared_cache), progress=False)
    [o2] = second.outcomes
    assert (o2.status, o2.reason) == ("failed", o.reason + " (failed before and unchanged since; --retry-failed "
                                                           "tries again)")
    retried = ingest([lib], Store(db), light(shared_cache), run=RunOptions(retry_failed=True), progress=False)
    assert retried.outcomes[0].reason == o.reason
    bad.write_bytes(b"still not a video" * 100)  # changed: tried again
    changed = ingest([lib], Store(db), light(shared_cache), progress=False)
    assert changed.outcomes[0].reason == o.reason


def test_a_file_that_kills_the_run_every_time_is_failed_after_the_limit(clip, shared_cache, tmp_path):
    from videokb.ingest.discover import content_hash
    from videokb.ingest.journal import MAX_ATTEMPTS
    from videokb.ingest.models import build_models

    lib = tmp_path / "lib"
    lib.mkdir()
    video = shutil.copy(clip, lib / "a.mp4")
    db = tmp_path / "db"
    config = light(shared_cache)
    # What MAX_ATTEMPTS runs killed on this file leave behind (a segfault or an OOM kill takes the whole
    # process: nothing could record why).
    j = Journal(journal_path(str(db)))
    st = video.stat()
    j.begin(video, "killed", video_id=content_hash(video), ingest_id="0" * 32, file_size=st.st_size,
            file_mtime_ns=st.st_mtime_ns, duration_s=6.0,
            models=json.dumps(build_models(config.models).ids(), sort_keys=True))
    j.query("UPDATE files SET attempts = ? RETURNING path", (MAX_ATTEMPTS,))
    j.close()
    [o] = ingest([lib], Store(db), config, progress=False).outcomes
    assert (o.status, o.reason) == ("failed", f"the ingest was killed {MAX_ATTEMPTS} times while working on it (a "
                                              f"crash in a decoder or running out of memory?); not retried")


# -- item 10: optimize waits for the index lock; watch survives a busy index ----------------------------------
def test_optimize_waits_for_a_running_ingest(clip, shared_cache, tmp_path):
    db = tmp_path / "db"
    ingest([clip], Store(db), light(shared_cache), progress=False)
    held = Journal(journal_path(str(db)))
    held.lock()  # as a running ingest holds it
    proc = subprocess.Popen([sys.executable, "-m", "videokb", "optimize", "--db", str(db)],
                            env=light_env(shared_cache, tmp_path / "home"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # blocks until it says something (or exits)
        assert first.startswith("waiting: another videokb ingest"), first + proc.stderr.read()
        assert proc.poll() is None
    finally:
        held.close()  # the ingest ends
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "keyframes:" in out


def test_watch_keeps_going_when_the_index_is_busy(clip, other_clip, shared_cache, tmp_path, caplog):
    from videokb.ingest.watch import watch_folder

    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(clip, lib / "a.mp4")
    db = tmp_path / "db"
    held = Journal(journal_path(str(db)))
    held.lock()
    stop = threading.Event()
    reports = []
    errors = []

    def run() -> None:
        try:
            watch_folder(lib, Store(db), light(shared_cache), RunOptions(), on_report=reports.append, stop=stop,
                         settle_s=0.2)
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    t = threading.Thread(target=run)
    with caplog.at_level("ERROR", logger="videokb.ingest.watch"):
        t.start()
        deadline = time.time() + 120
        while time.time() < deadline and not any("will try again" in r.message for r in caplog.records):
            assert not errors, errors
            time.sleep(0.1)
        held.close()
        shutil.copy(other_clip, lib / "b.mp4")
        while time.time() < deadline and Store(db).videos().num_rows < 2 and not errors:
            time.sleep(0.2)
        stop.set()
        t.join(60)
    assert not errors, errors
    assert sorted(o.path.name for r in reports for o in r.by_status("ingested")) == ["a.mp4", "b.mp4"]


# -- item 12: Ray actors fit the machine -----------------------------------------------------------------------
def test_ray_actors_are_sized_to_the_cpus_videokb_started():
    from videokb.ingest.engines import WorkerError, fit_cpus

    assert fit_cpus(2, 2.0, 2.0, started_here=True) == 1.0  # was 2 x 2 on 2 CPUs: one actor never placed
    assert fit_cpus(2, 1.0, 8.0, started_here=True) == 1.0
    with pytest.raises(WorkerError, match="need 4 CPUs, the cluster has 2"):
        fit_cpus(2, 2.0, 2.0, started_here=False)


# -- item 8: a damaged stretch, a broken audio track -----------------------------------------------------------
def corrupt_middle(src: Path, dst: Path) -> Path:
    """``src`` with the video packets of its middle second overwritten with random bytes (seeded), past each
    packet's first bytes: the container is intact, those packets will not decode."""
    import av

    data = bytearray(src.read_bytes())
    rng = random.Random(17)
    with av.open(str(src)) as c:
        v = c.streams.video[0]
        half = float(c.duration / av.time_base) / 2
        spots = [(p.pos, p.size) for p in c.demux(v)
                 if p.pts is not None and half <= float(p.pts * p.time_base) < half + 1 and p.pos is not None]
    assert spots
    for pos, size in spots:
        data[pos + 4:pos + size] = bytes(rng.randrange(256) for _ in range(size - 4))
    dst.write_bytes(bytes(data))
    return dst


def broken_audio(src: Path, dst: Path) -> Path:
    """``src`` with its audio packets scrambled by FFmpeg's noise bitstream filter; the picture untouched."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c", "copy", "-bsf:a", "noise=amount=2",
                    str(dst)], check=True)
    return dst


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("long") / "long.mp4", seconds=30, size="320x240")


def test_a_corrupt_stretch_is_skipped_with_a_warning_and_the_rest_indexed(long_clip, shared_cache, tmp_path):
    bad = corrupt_middle(long_clip, tmp_path / "damaged.mp4")
    db = tmp_path / "db"
    [o] = ingest([bad], Store(db), light(shared_cache), progress=False).outcomes
    assert o.status == "ingested", o.reason
    assert o.reason.startswith("warning: damaged video skipped: ") and "packets between 1" in o.reason
    assert Store(db).videos().to_pylist()[0]["n_frames_decoded"] > 25 * 10 * 0.9  # 10 fps, 30 s, most kept
    out = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert "indexed with warnings:" in out.output and "damaged video skipped" in out.output
    listed = CliRunner().invoke(cli, ["videos", "--db", str(db)])
    assert listed.exit_code == 0 and listed.output.rstrip().endswith(f"{bad}  ({o.reason})"), listed.output
    as_json = CliRunner().invoke(cli, ["videos", "--db", str(db), "--json"]).output
    [row] = [json.loads(line) for line in as_json.splitlines()]
    assert row["warnings"] == o.reason


def test_a_broken_audio_track_leaves_the_picture_indexed(long_clip, shared_cache, tmp_path):
    bad = broken_audio(long_clip, tmp_path / "badaudio.mkv")
    config = IngestConfig(models=ModelConfig(visual="none", ocr=False, asr=True, device="cpu",
                                             cache_dir=shared_cache))
    [o] = ingest([bad], Store(tmp_path / "db"), config, progress=False).outcomes
    assert o.status == "ingested", o.reason
    assert o.reason.startswith("warning: speech not indexed: ")
    assert o.counts["keyframes"] > 0


# -- item 9: a file that decodes far past its stated length --------------------------------------------------
def test_a_file_that_decodes_past_its_stated_length_fails_and_the_run_goes_on(clip, shared_cache, tmp_path):
    import struct

    import av

    real = make_video(tmp_path / "real.mkv", seconds=120, codec=("-c:v", "libx264", "-preset", "ultrafast"))
    data = bytearray(real.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Matroska Segment Duration, an 8-byte float in milliseconds
    assert at > 0
    data[at + 3:at + 11] = struct.pack(">d", 2000.0)  # says 2 s; holds 120 s
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "lying.mkv").write_bytes(bytes(data))
    shutil.copy(clip, lib / "fine.mp4")
    with av.open(str(lib / "lying.mkv")) as c:
        assert c.duration / av.time_base == 2.0
    report = ingest([lib], Store(tmp_path / "db"), light(shared_cache), progress=False)
    result = {o.path.name: (o.status, o.reason) for o in report.outcomes}
    assert result["fine.mp4"] == ("ingested", "")
    assert result["lying.mkv"][0] == "failed"
    assert result["lying.mkv"][1].startswith("decodes past its stated length of 2.0s (at 33.")
