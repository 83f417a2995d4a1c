"""The process pool's recovery after a worker died: a video that finished before the pool broke keeps its
outcome (it was once reported with none, and the driver failed on it)."""

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from videokb.ingest import IngestConfig
from videokb.ingest.engines import ProcessPoolEngine
from videokb.ingest.journal import Journal
from videokb.ingest.task import FileOutcome, VideoTask


def test_a_video_finished_before_the_pool_broke_keeps_its_outcome(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    engine = ProcessPoolEngine(str(tmp_path / "db"), IngestConfig(), journal, 1)
    finished = VideoTask(Path("a.mp4"), None, "va", "ia", 1, 1)
    lost = VideoTask(Path("b.mp4"), None, "vb", "ib", 1, 1)
    outcome = FileOutcome(Path("a.mp4"), "ingested", video_id="va")
    ok, broken = Future(), Future()
    ok.set_result(outcome)
    broken.set_exception(BrokenProcessPool("a worker was killed"))
    try:
        got = list(engine._recover({ok: finished, broken: lost}))
    finally:
        engine.close()
        journal.close()
    assert got[0] == (finished, outcome)
    # The dead worker's video cannot be told (no pid recorded): it comes back as the pool's error.
    assert len(got) == 2 and got[1][0] is lost and isinstance(got[1][1], BrokenProcessPool)
