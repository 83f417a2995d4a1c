"""Watch a folder and keep the index in step: new and changed videos are ingested, deleted ones pruned.

File events come from ``watchfiles`` (inotify on Linux, FSEvents on macOS, polling elsewhere). A file still
being copied in is left until its size and mtime stop changing, so a half-copied video is not indexed as a
truncated one; the ingest itself is the ordinary journaled one, so stopping the watcher at any moment is safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from videokb.index.maintenance import maintain
from videokb.index.store import Store
from videokb.ingest.discover import VIDEO_EXTENSIONS
from videokb.ingest.engines import WorkerError
from videokb.ingest.journal import Journal, JournalBusyError, journal_path
from videokb.ingest.pipeline import IngestConfig, IngestReport, RunOptions, ingest
from videokb.ingest.prune import PruneRefusedError, prune

logger = logging.getLogger(__name__)


def _stable(path: Path, settle_s: float, stop: threading.Event) -> bool:
    """Wait until ``path`` stops growing; False if it vanished or we were stopped."""
    last = None
    while not stop.is_set():
        try:
            st = path.stat()
        except OSError:
            return False
        now = (st.st_size, st.st_mtime_ns)
        if now == last:
            return True
        last = now
        stop.wait(settle_s)
    return False


def watch_folder(
    root: Path,
    store: Store,
    config: IngestConfig | None = None,
    run: RunOptions | None = None,
    *,
    on_report: Callable[[IngestReport], None] | None = None,
    on_ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
    settle_s: float = 1.0,
) -> None:
    """Ingest ``root``, then follow its changes until ``stop`` is set (or Ctrl-C)."""
    from watchfiles import Change, watch

    def _try_ingest(paths, store, config, run) -> IngestReport | None:
        # A busy index (another ingest, optimize) or a worker that crashed must not end the watch: say so,
        # and try those files again on the next change or timeout.
        try:
            return ingest(paths, store, config, run=run, progress=False)
        except (JournalBusyError, WorkerError) as e:
            logger.error("watch: will try again: %s", e)
            return None

    root = Path(root).absolute()
    run = run or RunOptions()
    stop = stop or threading.Event()
    started = False
    retry: set[Path] = set()  # files a busy index or a worker error kept from being ingested: tried again
    # The watcher starts before the first ingest (its first yield comes once it is set up), so files that
    # arrive while the folder is being ingested are not missed.
    for changes in watch(root, stop_event=stop, debounce=1000, step=200, rust_timeout=1000, yield_on_timeout=True):
        if not started:
            started = True
            report = _try_ingest([root], store, config, run)
            if report is None:
                retry.add(root)
            elif on_report:
                on_report(report)
            if on_ready:
                on_ready()
            continue  # whatever changed so far, that ingest saw
        if not changes and not retry:
            continue
        added: set[Path] = set()
        removed: set[Path] = set()
        for change, name in changes:
            p = Path(name)
            if p.suffix.lower() not in VIDEO_EXTENSIONS or p.name.startswith("."):
                continue
            if change == Change.deleted:
                removed.add(p)
                added.discard(p)
            else:
                added.add(p)
                removed.discard(p)
        ready = sorted(p for p in added if _stable(p, settle_s, stop))
        if stop.is_set():
            break
        todo = sorted(set(ready) | {p for p in retry if p.exists()})
        retry.clear()
        if todo:
            report = _try_ingest(todo, store, config, RunOptions(**{**run.__dict__, "prune": False}))
            if report is None:
                retry.update(todo)
            elif on_report:
                on_report(report)
        gone = []
        if removed and run.prune:
            journal = Journal(run.journal or journal_path(store.uri))
            try:
                journal.lock(wait=True)
                # Guarded by the watched folder: if it is unmounted, every file in it looks deleted.
                gone = prune(sorted(removed), store, journal, guard_roots=[root], force=run.force,
                              allow_empty=True)
            except PruneRefusedError as e:
                logger.error("watch: %s", e)
            finally:
                journal.close()
            if gone:
                # Said before the maintenance pass: a stop (Ctrl-C, SIGTERM) during it must not hide what was removed.
                if on_report:
                    on_report(IngestReport(models={}, outcomes=gone))
                maintain(store)
        logger.info("watch: %d changed, %d removed (%s)", len(ready), len(removed), time.strftime("%H:%M:%S"))
