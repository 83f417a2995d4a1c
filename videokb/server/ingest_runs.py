"""The library's ingest state for the page: the journal's last run, and an ingest the server itself runs."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import HTTPException

from videokb.index.store import Store

logger = logging.getLogger(__name__)


class IngestRuns:
    """Reads the ingest journal; starts at most one ingest at a time in a background thread (admin only)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._thread: threading.Thread | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    def status(self) -> dict:
        from videokb.ingest.journal import Journal, journal_path, pid_alive

        path = journal_path(self.store.uri)
        out = {"last_run": None, "files": {}, "failed": [], "remaining": [],
               "server_ingest": {"running": self.running, "error": self._error}}
        if path.exists():
            journal = Journal(path)
            try:
                out.update(journal.summary())
            finally:
                journal.close()
        run = out["last_run"]
        if run and run["status"] == "running" and not self.running and not pid_alive(run.get("pid")):
            run["status"] = "interrupted"  # killed: it never got to say so; the next ingest resumes it
        return out

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, folder: Path) -> None:
        with self._lock:
            if self.running:
                raise HTTPException(409, "an ingest started from this server is still running")
            self._error = None
            self._thread = threading.Thread(target=self._run, args=(folder,), name="videokb-ingest", daemon=True)
            self._thread.start()

    def _run(self, folder: Path) -> None:
        from videokb.config import model_config
        from videokb.ingest import IngestConfig, ingest

        try:
            report = ingest([folder], self.store, IngestConfig(models=model_config()), progress=False)
            logger.info("ingest of %s: %s", folder, {s: len(report.by_status(s))
                                                      for s in ("ingested", "skipped", "failed")})
        except Exception as e:  # noqa: BLE001 - shown on the page; the journal keeps the details
            logger.exception("ingest of %s failed", folder)
            self._error = f"{folder}: {type(e).__name__}: {e}"

