"""The ingest journal on its own: attempts, stage checkpoints, what status reports, the one-ingest lock."""

import pytest

from videokb.index.store import Store
from videokb.ingest import ingest
from videokb.ingest.journal import Journal, JournalBusyError, journal_path


def test_an_unfinished_attempt_keeps_its_stages_until_it_ends(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    run_id, crashed = j.start_run(["/lib"], "local", 1)
    assert crashed == []
    j.found(["/lib/a.mp4", "/lib/b.mp4"], run_id)
    j.begin("/lib/a.mp4", run_id, video_id="v1", ingest_id="i1", models="m", file_size=10, file_mtime_ns=5,
            duration_s=3.0)
    j.stage_done("/lib/a.mp4", "i1", "asr", {"language": "en", "segments": []})
    j.close()

    j = Journal(tmp_path / "j.sqlite")  # as the next run sees it
    run2, crashed = j.start_run(["/lib"], "local", 1)
    assert [r["run_id"] for r in crashed] == [run_id]
    a = j.unfinished("/lib/a.mp4")
    assert (a.video_id, a.ingest_id, a.attempts, a.stages) == ("v1", "i1", 1, {"asr": {"language": "en",
                                                                                       "segments": []}})
    assert j.unfinished_attempts() == {"i1": "v1"}
    s = j.summary()
    assert s["files"] == {"pending": 1, "running": 1}
    assert [(r["path"], r["stages_done"]) for r in s["remaining"]] == [("/lib/a.mp4", ["asr"]), ("/lib/b.mp4", [])]
    j.resume("/lib/a.mp4", run2)
    assert j.unfinished("/lib/a.mp4").attempts == 2
    j.finish("/lib/a.mp4", "done")
    j.finish("/lib/b.mp4", "failed", "empty file (0 bytes)")
    s = j.summary()
    assert s["remaining"] == [] and s["failed"][0]["reason"] == "empty file (0 bytes)"
    assert j.unfinished("/lib/a.mp4") is None and j.unfinished_attempts() == {}
    j.finish_run(run2)
    assert j.summary()["last_run"]["status"] == "finished"


def test_a_second_ingest_on_the_same_index_is_refused_while_one_runs(tmp_path):
    store = Store(tmp_path / "db")
    holder = Journal(journal_path(store.uri))
    holder.lock()
    holder.start_run(["/lib"], "local", 1)
    try:
        with pytest.raises(JournalBusyError, match="another videokb ingest .*is running on this index"):
            ingest([tmp_path], store, progress=False)
    finally:
        holder.close()
    # Once the first is gone (closed, or killed: the kernel drops the lock), the next one runs.
    report = ingest([tmp_path / "nothing-here"], store, progress=False)
    assert [o.reason for o in report.outcomes] == ["no such file or folder"]
