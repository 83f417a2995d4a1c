"""The ingest journal: which files a run found, which stages of each are done, which failed and why.

A SQLite file (WAL, ``synchronous=FULL``) beside the index, so a run killed at any moment (``kill -9``;
a power cut is not tested, and LanceDB does not fsync its files) resumes where it stopped: a file whose attempt was running keeps its ``ingest_id`` and the
stages it finished (their results, e.g. the transcript, are kept here), and the next run redoes only
the rest. Rows an attempt wrote are invisible to search until the pipeline commits the video (see
:mod:`index.store`), so the journal is about not losing work, never about what search sees.

Several processes may write it at once (``--workers``); ``videokb status`` reads it while a run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from videokb.index.failpoints import hit
from videokb.ingest.names import shown

JOURNAL_NAME = "_videokb_jobs.sqlite"
MAX_CRASHES = 3  # a file whose attempt stopped the run with an error this many times is failed, not retried
MAX_ATTEMPTS = 5  # a file whose attempt was cut short this many times (kills, native crashes) is failed too
WORKER_WAIT_S = 60.0  # how long a new run waits for a killed run's worker processes to die

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,           -- running | finished | failed (a crash leaves 'running' behind)
    pid INTEGER,
    roots TEXT NOT NULL,            -- JSON list
    engine TEXT NOT NULL,
    workers INTEGER NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    state TEXT NOT NULL,            -- pending | running | done | skipped | failed | ignored | removed
    reason TEXT NOT NULL DEFAULT '',
    run_id TEXT,
    video_id TEXT,
    ingest_id TEXT,
    models TEXT,
    file_size INTEGER,
    file_mtime_ns INTEGER,
    duration_s REAL,
    attempts INTEGER NOT NULL DEFAULT 0,   -- runs that worked on the current attempt (kills included)
    crashes INTEGER NOT NULL DEFAULT 0,    -- of those, runs it stopped with an error (a bug, out of memory)
    error TEXT,
    worker_pid INTEGER,             -- the process working on it now, so a dead worker's crash is charged to it
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS roots (
    path TEXT PRIMARY KEY,          -- a folder a run ingested
    device INTEGER NOT NULL,        -- its st_dev then: another device now means it is not mounted as before
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stages (
    path TEXT NOT NULL,
    ingest_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    payload TEXT NOT NULL,          -- JSON: what the stage produced that later stages need
    done_at REAL NOT NULL,
    PRIMARY KEY (path, ingest_id, stage)
);
"""


def journal_path(uri: str) -> Path:
    """Where the journal of the index at ``uri`` lives: inside a local index, else in the user state dir."""
    if "://" not in uri:
        return Path(uri) / JOURNAL_NAME
    digest = hashlib.sha1(uri.encode()).hexdigest()[:16]
    return Path(platformdirs.user_state_dir("videokb")) / "journals" / f"{digest}.sqlite"


class JournalBusyError(RuntimeError):
    """Another ingest holds this index."""


def hold_worker_lock(journal: str | Path):
    """Called in a worker process: a shared lock that lives as long as the process (see
    :meth:`Journal.wait_for_workers`). Returns the open file; keep it."""
    import fcntl

    f = open(Path(journal).with_suffix(".workers"), "a+")  # noqa: SIM115 - held for the process's life
    fcntl.flock(f, fcntl.LOCK_SH)
    return f


@dataclass
class Attempt:
    """An unfinished attempt at one file, as a killed run left it."""

    path: str
    video_id: str
    ingest_id: str
    models: str
    file_size: int
    file_mtime_ns: int
    attempts: int
    crashes: int
    error: str | None = None
    stages: dict[str, dict] = field(default_factory=dict)


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._lock_file = None
        # autocommit (isolation_level=None); every write below is one statement or an explicit transaction.
        self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        self._con.executescript(_SCHEMA)
        columns = {r[1] for r in self._con.execute("PRAGMA table_info(files)")}
        if "worker_pid" not in columns:  # a journal from before this column
            self._con.execute("ALTER TABLE files ADD COLUMN worker_pid INTEGER")

    def close(self) -> None:
        self._con.close()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None

    def _exec(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._con.execute(sql, args)

    # -- runs ---------------------------------------------------------------------------------------
    def lock(self, wait: bool = False) -> None:
        """Take the index's ingest lock: one ingest (or ``optimize``) at a time per index (searches and status
        never wait). The kernel drops it when the process dies, ``kill -9`` included. ``wait``: block until
        it is free instead of raising :class:`JournalBusyError`."""
        import fcntl

        self._lock_file = open(self.path.with_suffix(".lock"), "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            running = self.query("SELECT pid FROM runs WHERE status = 'running' ORDER BY started_at DESC LIMIT 1")
            pid = f" (pid {running[0]['pid']})" if running else ""
            raise JournalBusyError(f"another videokb ingest{pid} is running on this index; wait for it or stop "
                                   f"it ({self.path})") from None

    def start_run(self, roots: list[str], engine: str, workers: int) -> tuple[str, list[dict]]:
        """Record a new run (the caller holds :meth:`lock`); return its id and the earlier runs that never
        finished (they crashed)."""
        crashed = self.query("SELECT * FROM runs WHERE status = 'running'")
        if crashed:
            hit("journal.start_run")
            self._exec("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        run_id = uuid.uuid4().hex[:12]
        hit("journal.start_run")
        self._exec(
            "INSERT INTO runs (run_id, started_at, status, pid, roots, engine, workers) VALUES (?,?,?,?,?,?,?)",
            (run_id, time.time(), "running", os.getpid(), json.dumps(roots), engine, workers),
        )
        return run_id, crashed

    def finish_run(self, run_id: str, status: str = "finished", error: str | None = None) -> None:
        hit("journal.finish_run")
        self._exec("UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ?",
                   (status, time.time(), error, run_id))

    # -- files --------------------------------------------------------------------------------------
    def mark(self, path: str | Path, state: str, reason: str = "", run_id: str | None = None, **cols) -> None:
        """Set a file's state (and any of its other columns), creating its row if new."""
        hit("journal.mark")
        self._exec(*_mark_sql(shown(path), state, reason, run_id, cols))

    def found(self, paths: list[str], run_id: str) -> None:
        """Files this run will look at: new ones are 'pending' until planned, so status can say what remains."""
        now = time.time()
        hit("journal.found")
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.executemany(
                    "INSERT INTO files (path, state, run_id, updated_at) VALUES (?, 'pending', ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET state = 'pending', run_id = excluded.run_id "
                    "WHERE files.state IN ('removed', 'ignored')",
                    [(shown(p), run_id, now) for p in paths],
                )
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    def begin(self, path: str, run_id: str, *, video_id: str, ingest_id: str, models: str, file_size: int,
              file_mtime_ns: int, duration_s: float | None) -> None:
        """A new attempt at ``path``: forget the stages of any earlier one."""
        path = shown(path)
        hit("journal.begin")
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.execute("DELETE FROM stages WHERE path = ?", (path,))
                self._con.execute(
                    "INSERT INTO files (path, state, reason, run_id, video_id, ingest_id, models, file_size, "
                    "file_mtime_ns, duration_s, attempts, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,1,?) "
                    "ON CONFLICT(path) DO UPDATE SET state = excluded.state, reason = '', run_id = excluded.run_id, "
                    "video_id = excluded.video_id, ingest_id = excluded.ingest_id, models = excluded.models, "
                    "file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns, "
                    "duration_s = excluded.duration_s, attempts = 1, crashes = 0, error = NULL, "
                    "updated_at = excluded.updated_at",
                    (path, "running", "", run_id, video_id, ingest_id, models, file_size, file_mtime_ns,
                     duration_s, time.time()),
                )
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    def resume(self, path: str, run_id: str) -> None:
        """Pick up the unfinished attempt at ``path`` again (one more try)."""
        hit("journal.resume")
        self._exec("UPDATE files SET state = 'running', run_id = ?, attempts = attempts + 1, updated_at = ? "
                   "WHERE path = ?", (run_id, time.time(), shown(path)))

    def crashed(self, path: str, error: str) -> None:
        """The run stopped with an error while working on ``path`` (not the file's fault, as far as we know)."""
        hit("journal.crashed")
        self._exec("UPDATE files SET crashes = crashes + 1, error = ?, updated_at = ? WHERE path = ?",
                   (error, time.time(), shown(path)))

    def unfinished(self, path: str) -> Attempt | None:
        """The attempt a killed run left at ``path``, with the stages it finished."""
        path = shown(path)
        rows = self.query("SELECT * FROM files WHERE path = ? AND state = 'running'", (path,))
        if not rows:
            return None
        r = rows[0]
        stages = {
            s["stage"]: json.loads(s["payload"])
            for s in self.query("SELECT stage, payload FROM stages WHERE path = ? AND ingest_id = ?",
                                (path, r["ingest_id"]))
        }
        return Attempt(r["path"], r["video_id"], r["ingest_id"], r["models"], r["file_size"], r["file_mtime_ns"],
                       r["attempts"], r["crashes"], r["error"], stages)

    def unfinished_attempts(self) -> dict[str, str]:
        """ingest_id -> video_id of every attempt still marked running (their rows must not be swept)."""
        rows = self.query("SELECT ingest_id, video_id FROM files WHERE state = 'running'")
        return {r["ingest_id"]: r["video_id"] for r in rows}

    def working(self, path: str | Path, pid: int) -> None:
        """The worker process ``pid`` starts on ``path``."""
        hit("journal.working")
        self._exec("UPDATE files SET worker_pid = ? WHERE path = ?", (pid, shown(path)))

    # -- roots --------------------------------------------------------------------------------------
    def root_devices(self) -> dict[str, int]:
        return {r["path"]: r["device"] for r in self.query("SELECT path, device FROM roots")}

    def set_root_device(self, path: str | Path, device: int) -> None:
        hit("journal.set_root_device")
        self._exec("INSERT INTO roots (path, device, updated_at) VALUES (?,?,?) ON CONFLICT(path) DO UPDATE SET "
                   "device = excluded.device, updated_at = excluded.updated_at", (shown(path), device, time.time()))

    # -- worker processes -----------------------------------------------------------------------------
    def wait_for_workers(self, timeout_s: float = WORKER_WAIT_S) -> None:
        """Wait until no worker process of an earlier run is alive: each holds a shared lock on
        ``<journal>.workers`` (:func:`hold_worker_lock`), so this exclusive one is granted only when the last
        is gone, and rows they could still write never land under an attempt this run resumes."""
        import fcntl

        deadline = time.monotonic() + timeout_s
        with open(self.path.with_suffix(".workers"), "a+") as f:
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(f, fcntl.LOCK_UN)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise JournalBusyError(
                            f"worker processes of an earlier ingest are still running after {timeout_s:.0f} s "
                            f"({self.path.with_suffix('.workers')} is locked); stop them and run again") from None
                    time.sleep(0.2)

    def stage_done(self, path: str, ingest_id: str, stage: str, payload: dict) -> None:
        hit("journal.stage_done")
        self._exec("INSERT OR REPLACE INTO stages (path, ingest_id, stage, payload, done_at) VALUES (?,?,?,?,?)",
                   (shown(path), ingest_id, stage, json.dumps(payload), time.time()))

    def finish(self, path: str, state: str, reason: str = "", **cols) -> None:
        """End a file's attempt (done, failed, ...); its stage results are no longer needed. One transaction:
        a kill never leaves a finished file with stages, nor stages gone from a file still running."""
        path = shown(path)
        hit("journal.finish")
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.execute("DELETE FROM stages WHERE path = ?", (path,))
                self._con.execute(*_mark_sql(path, state, reason, cols.pop("run_id", None), cols))
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    # -- reading --------------------------------------------------------------------------------------
    def query(self, sql: str, args: tuple = ()) -> list[dict]:
        with self._lock:
            cur = self._con.execute(sql, args)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row)) for row in cur.fetchall()]

    def warnings(self) -> dict[str, str]:
        """path -> the warnings of a file indexed with some (a damaged stretch skipped, speech not indexed)."""
        rows = self.query("SELECT path, reason FROM files WHERE state = 'done' AND reason LIKE '%warning: %'")
        return {r["path"]: r["reason"] for r in rows}

    def summary(self) -> dict:
        """What ``videokb status`` shows: the last run, files by state, failures with reasons, what remains."""
        runs = self.query("SELECT * FROM runs ORDER BY started_at DESC LIMIT 1")
        by_state = {r["state"]: r["n"] for r in self.query("SELECT state, count(*) AS n FROM files GROUP BY state")}
        failed = self.query("SELECT path, reason, updated_at FROM files WHERE state = 'failed' ORDER BY path")
        warned = self.query("SELECT path, reason FROM files WHERE state = 'done' AND reason LIKE '%warning: %' "
                            "ORDER BY path")
        remaining = self.query(
            "SELECT path, state, attempts FROM files WHERE state IN ('pending', 'running') ORDER BY path"
        )
        stages = {
            r["path"]: r["stages"]
            for r in self.query("SELECT path, group_concat(stage) AS stages FROM stages GROUP BY path")
        }
        for r in remaining:
            r["stages_done"] = sorted((stages.get(r["path"]) or "").split(",")) if stages.get(r["path"]) else []
        return {"last_run": runs[0] if runs else None, "files": by_state, "failed": failed, "warnings": warned,
                "remaining": remaining}


def _mark_sql(path: str, state: str, reason: str, run_id: str | None, cols: dict) -> tuple[str, tuple]:
    names = ["state", "reason", "run_id", "updated_at", *cols]
    values = [state, reason, run_id, time.time(), *cols.values()]
    sets = ", ".join(f"{n} = COALESCE(excluded.{n}, {n})" if n == "run_id" else f"{n} = excluded.{n}"
                     for n in names)
    return (f"INSERT INTO files (path, {', '.join(names)}) VALUES (?, {', '.join('?' * len(names))}) "
            f"ON CONFLICT(path) DO UPDATE SET {sets}", (path, *values))


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists (a run whose process is gone was killed, not running)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
