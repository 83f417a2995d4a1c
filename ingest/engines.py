"""Where the per-video work runs: in this process, in a pool of worker processes, or on a Ray cluster.

Every engine runs the same :func:`ingest.worker.process_video` on :class:`~ingest.task.VideoTask`s and
yields ``(task, outcome)`` as videos finish, in any order; the driver (``ingest.pipeline``) commits them. At
most ``2 x workers`` tasks are in flight, so memory stays bounded however many videos the library holds, and
each worker loads its models once. Workers only append rows; deletes and commits stay with the driver.

- ``local``, 1 worker: this process; speech in a thread beside the visual lane (half the cores each), the
  next video's speech starting while this one's visual lane runs (at most two videos in flight).
- ``local``, N workers: N spawned processes sharing the cores: each worker's two lanes side by side when
  there are at least 2N cores, else one after the other (see :func:`worker_config`).
- ``ray``: N Ray actors (``ray.init(address)``), each holding the models and writing to the index URI, which
  must then be reachable from every node (a shared path or object storage such as ``s3://``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import traceback
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from videokb.index.store import Store
from videokb.ingest.errors import BadVideoError
from videokb.ingest.journal import Journal, hold_worker_lock
from videokb.ingest.lanes import limit_lane_threads
from videokb.ingest.models import Models, build_models
from videokb.ingest.names import shown
from videokb.ingest.task import Checkpoint, FileOutcome, IngestConfig, VideoTask
from videokb.ingest.worker import Lanes, VideoJob, process_video

logger = logging.getLogger(__name__)

ENGINES = ("local", "ray")
# Videos in flight in one process (InProcessEngine): the one whose outcome comes next and one ahead of it.
IN_FLIGHT = 2

Result = tuple[VideoTask, FileOutcome | BaseException]


class WorkerError(RuntimeError):
    """A worker crashed on a video for a reason that is not the file's (a bug, a full disk, out of memory)."""


class DiskFullError(WorkerError):
    """The disk that holds the index or its journal is full: the run stops, and no file is charged with it."""


# How a full disk reads once it has crossed Lance (Rust), SQLite or a worker process (a message).
_DISK_FULL_TEXT = ("No space left on device", "os error 28", "database or disk is full")


def is_disk_full(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is a full disk (ENOSPC, SQLITE_FULL, or Lance's
    ``No space left on device (os error 28)``)."""
    import errno
    import sqlite3

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if any(text in str(error) for text in _DISK_FULL_TEXT):
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_error(uri: str, journal: Path) -> DiskFullError:
    """The error a run stops with when the disk is full: where, how much is free, what to do."""
    import shutil

    places = [uri] if "://" in uri else [str(Path(uri).absolute())]
    if "://" in uri or not journal.absolute().is_relative_to(Path(uri).absolute()):
        places.append(str(journal))
    free = []
    for place in places:
        try:
            free.append(f"{place}: {shutil.disk_usage(place).free / 2**20:.1f} MiB free")
        except (OSError, ValueError):
            free.append(f"{place}: free space unknown")
    return DiskFullError(f"disk full: no space left on the device holding the index ({'; '.join(free)}). Free some "
                         f"space and run again: videos already committed are kept, and the run resumes where it "
                         f"stopped")


def begin_task(task: VideoTask, journal: Journal | None) -> Checkpoint | None:
    """Record that this process works on ``task``; the checkpoint that keeps its stages in the journal."""
    if journal is None:
        return None
    journal.working(task.path, os.getpid())

    def checkpoint(stage: str, payload: dict) -> None:
        journal.stage_done(str(task.path), task.ingest_id, stage, payload)
    return checkpoint


def run_task(task: VideoTask, store: Store, models: Models, config: IngestConfig, journal: Journal | None,
             progress: bool = False) -> FileOutcome:
    """One attempt; a bad file becomes a ``failed`` outcome, anything else propagates."""
    checkpoint = begin_task(task, journal)
    try:
        return process_video(task, store, models, config, checkpoint=checkpoint, progress=progress)
    except BadVideoError as e:
        return FileOutcome(task.path, "failed", e.reason, task.video_id, task.info.duration_s)


def worker_config(config: IngestConfig, models: Models, workers: int, cores: int | None = None) -> IngestConfig:
    """The driver's config with the models it chose pinned (``auto`` must not choose again per worker), and
    ``cores`` (default: this machine's) shared out: each worker's two lanes run side by side only if that
    leaves a thread for each; else one after the other, on ``cores / workers`` threads."""
    visual = models.visual.name if models.visual is not None else "none"
    cores = cores or cpu_count()
    parallel = cores >= 2 * workers
    threads = max(1, cores // (2 * workers if parallel else workers))
    pinned = dataclasses.replace(config.models, visual=visual, threads_per_lane=threads)
    return dataclasses.replace(config, models=pinned, parallel_lanes=parallel)


class InProcessEngine:
    """Videos in this process, two in flight: while one video's visual lane runs, the next one's speech
    (and, once the lane is free, its visual stage) starts; outcomes come back in order, one video at a time,
    so each is committed whole before the next (and a video after the next is planned only then)."""

    def __init__(self, store: Store, models: Models, config: IngestConfig, journal: Journal | None,
                 progress: bool) -> None:
        self.store, self.models, self.config, self.journal, self.progress = store, models, config, journal, progress
        self._ahead: deque[tuple[VideoTask, VideoJob | BaseException]] = deque()
        self._lanes: Lanes | None = None

    def run(self, tasks: Iterable[VideoTask]) -> Iterator[Result]:
        lanes = self._lanes = Lanes(self.config)
        ahead = self._ahead
        it = iter(tasks)
        try:
            while True:
                while len(ahead) < IN_FLIGHT and (task := next(it, None)) is not None:
                    ahead.append((task, self._start(task, lanes)))
                if not ahead:
                    return
                task, job = ahead.popleft()
                yield task, job if isinstance(job, BaseException) else self._outcome(task, job)
        finally:
            self.close()

    def _start(self, task: VideoTask, lanes: Lanes) -> VideoJob | BaseException:
        try:
            return VideoJob(task, self.store, self.models, self.config, lanes, progress=self.progress,
                            checkpoint=begin_task(task, self.journal))
        except Exception as e:  # noqa: BLE001 - handed to the driver in its turn
            return e

    def _outcome(self, task: VideoTask, job: VideoJob) -> FileOutcome | BaseException:
        try:
            return job.outcome()
        except BadVideoError as e:
            return FileOutcome(task.path, "failed", e.reason, task.video_id, task.info.duration_s)
        except Exception as e:  # noqa: BLE001 - handed to the driver, which stops the run with it
            return e

    def close(self) -> None:
        """Stop the videos still in flight (the driver stopped: an error, Ctrl-C) and the lanes."""
        while self._ahead:
            _, job = self._ahead.popleft()
            if isinstance(job, VideoJob):
                job.stop()
        if self._lanes is not None:
            self._lanes.close()
            self._lanes = None


# -- a pool of local worker processes ---------------------------------------------------------------------
_STATE: dict = {}


def _die_with_parent() -> None:
    """A worker must not outlive its driver (``kill -9`` of ``videokb ingest``): it would go on appending rows
    under an attempt the next run resumes. Linux: the kernel kills it when the parent dies; elsewhere (and as
    a second guard) a thread notices the parent is gone within half a second."""
    import signal
    import sys
    import threading
    import time

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent or parent == 1:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="videokb-parent-watch", daemon=True).start()


def _init_worker(uri: str, config: IngestConfig, journal_path: str | None, pool: bool = True) -> None:
    if pool:
        _die_with_parent()
        if journal_path:
            _STATE["worker_lock"] = hold_worker_lock(journal_path)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    limit_lane_threads(config.models.threads_per_lane)
    _STATE["store"] = Store(uri)
    _STATE["models"] = build_models(config.models)
    _STATE["config"] = config
    _STATE["journal"] = Journal(journal_path) if journal_path else None


def _run_in_worker(task: VideoTask) -> FileOutcome:
    try:
        return run_task(task, _STATE["store"], _STATE["models"], _STATE["config"], _STATE["journal"])
    except Exception as e:
        # Exceptions cross the process boundary by pickling; keep the worker's traceback in the message.
        raise WorkerError(f"{task.path}: {type(e).__name__}: {e}\n{traceback.format_exc()}") from None


class WorkerDiedError(WorkerError):
    """The worker process on a video died (a segfault in a native decoder, an out-of-memory kill): that video
    fails for this run, charged with the crash; the other videos go on in a fresh pool."""


class WorkerInterruptedError(WorkerError):
    """A video was in a pool that another video's dead worker broke: plan it again (it resumes)."""


class ProcessPoolEngine:
    def __init__(self, uri: str, config: IngestConfig, journal: Journal | None, workers: int) -> None:
        self.workers, self.journal = workers, journal
        self._initargs = (uri, config, str(journal.path) if journal else None)
        self.pool = self._new_pool()
        self._procs: dict = {}  # pid -> multiprocessing.Process of every worker of the current pool

    def _new_pool(self) -> ProcessPoolExecutor:
        self._procs = {}
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"),
                                   initializer=_init_worker, initargs=self._initargs)

    def run(self, tasks: Iterable[VideoTask]) -> Iterator[Result]:
        pending: dict[Future, VideoTask] = {}
        it = iter(tasks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * self.workers:
                task = next(it, None)
                if task is None:
                    exhausted = True
                    break
                pending[self.pool.submit(_run_in_worker, task)] = task
                self._procs.update(getattr(self.pool, "_processes", None) or {})
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            if self.journal is not None and any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                yield from self._recover(pending)
                continue
            for fut in done:
                task = pending.pop(fut)
                try:
                    yield task, fut.result()
                except Exception as e:  # noqa: BLE001 - the driver stops the run with it
                    yield task, e

    def _recover(self, pending: dict[Future, VideoTask]) -> Iterator[Result]:
        """A worker died and broke the pool: every task in it fails. Fail the task(s) the dead worker was on
        (each worker records its pid on its file in the journal); hand the others back to be planned again
        (the driver discards what their attempt wrote since its last checkpoint, then they resume in a fresh
        pool). When the dead worker's task cannot be told, all of them fail, and the driver stops the run."""
        import signal

        wait(pending)
        # A video that finished before the pool broke is done: hand its outcome over (its exception() is None,
        # so it must not be reported as failed or interrupted).
        for fut, task in [(f, t) for f, t in pending.items() if f.exception() is None]:
            del pending[fut]
            yield task, fut.result()
        # Shut the broken pool down before reading exit codes: its manager thread reaps every worker
        # (``join``), and a ``join`` here at the same time could lose the race for the dead worker's status
        # (``waitpid`` fails with ECHILD and the exit code reads None: "died before it recorded which video").
        self.pool.shutdown(wait=True)
        dead: dict[int, int] = {}
        for pid, proc in self._procs.items():
            proc.join(timeout=10)
            if proc.exitcode not in (None, 0, -signal.SIGTERM):  # the pool ends the others with SIGTERM
                dead[pid] = proc.exitcode
        on = {}
        for task in pending.values():
            row = self.journal.query("SELECT worker_pid FROM files WHERE path = ? AND ingest_id = ?",
                                     (shown(task.path), task.ingest_id))
            on[task.ingest_id] = row[0]["worker_pid"] if row else None
        culprits = [t for t in pending.values() if on[t.ingest_id] in dead]
        if not culprits:
            for fut, task in list(pending.items()):
                yield task, fut.exception()
            pending.clear()
            self.pool = self._new_pool()
            return
        for task in culprits:
            code = dead[on[task.ingest_id]]
            how = f"signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exit code {code}"
            logger.warning("%s: its worker process %d died (%s); the other videos go on", shown(task.path),
                           on[task.ingest_id], how)
            yield task, WorkerDiedError(f"the worker process died on it ({how}: a crash in a decoder or "
                                        f"running out of memory?)")
        for task in pending.values():
            if task not in culprits:
                yield task, WorkerInterruptedError(f"{shown(task.path)}: interrupted by another worker's death")
        pending.clear()
        self.pool = self._new_pool()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# -- Ray --------------------------------------------------------------------------------------------------
class RayEngine:
    """Ray actors, each loading the models once; tasks go to whichever actor is free."""

    def __init__(self, uri: str, config: IngestConfig, workers: int, address: str | None,
                 cpus_per_worker: float, gpus_per_worker: float) -> None:
        try:
            import ray
            from ray.util import ActorPool
        except ImportError as e:
            raise RuntimeError("--engine ray needs Ray: pip install 'videokb[cluster]'") from e
        if "://" not in uri:
            uri = str(Path(uri).absolute())  # actors may start in another working directory
        started_here = not ray.is_initialized() and address is None
        if not ray.is_initialized():
            with warnings.catch_warnings():
                # Ray starts its daemons with fork+exec; lancedb warns about forks in general.
                warnings.filterwarnings("ignore", message="lancedb fork support", category=RuntimeWarning)
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False,
                         include_dashboard=False, configure_logging=False)
        total = ray.cluster_resources().get("CPU", 1)
        if workers <= 0:
            workers = max(1, int(total // cpus_per_worker))
        cpus_per_worker = fit_cpus(workers, cpus_per_worker, total, started_here)
        self.workers = workers
        actor = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(_RayWorker)
        self.actors = [actor.remote(uri, config) for _ in range(workers)]
        self.pool = ActorPool(self.actors)
        self._ray = ray

    def run(self, tasks: Iterable[VideoTask]) -> Iterator[Result]:
        it = iter(tasks)
        in_flight = 0
        while True:
            while in_flight < 2 * self.workers and (task := next(it, None)) is not None:
                self.pool.submit(lambda a, t: a.run.remote(t), task)
                in_flight += 1
            if in_flight == 0:
                return
            task, result = self.pool.get_next_unordered()
            in_flight -= 1
            yield task, (WorkerError(result) if isinstance(result, str) else result)

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)


def fit_cpus(workers: int, cpus_per_worker: float, total_cpus: float, started_here: bool) -> float:
    """CPUs each actor asks Ray for. An actor that asks for more than the cluster has left is never placed,
    and the tasks the pool hands it wait forever: on a 2-core machine the default 2 CPUs x 2 workers left
    the second actor pending and the run stalled (issue 17). On a Ray instance videokb started itself the
    workers share out its CPUs; on a cluster it was pointed at, asking for more than it has is an error
    (an autoscaler may add nodes: then ask for what one node has, or fewer workers)."""
    need = workers * cpus_per_worker
    if need <= total_cpus:
        return cpus_per_worker
    if started_here:
        fitted = total_cpus / workers
        logger.warning("ray: %d workers x %g CPUs is more than this machine's %g; each worker gets %g CPUs",
                       workers, cpus_per_worker, total_cpus, fitted)
        return fitted
    raise WorkerError(f"ray: {workers} workers x {cpus_per_worker:g} CPUs need {need:g} CPUs, the cluster has "
                      f"{total_cpus:g}; use fewer --workers or a smaller --cpus-per-worker (else the extra "
                      f"workers are never placed and their videos wait forever)")


class _RayWorker:
    def __init__(self, uri: str, config: IngestConfig) -> None:
        _init_worker(uri, config, None, pool=False)  # Ray ends a job's actors when its driver dies

    def run(self, task: VideoTask) -> tuple[VideoTask, FileOutcome | str]:
        try:
            return task, _run_in_worker(task)
        except WorkerError as e:
            return task, str(e)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)



