"""Named failpoints at the index's write boundaries, for crash tests: kill the process at the n-th hit of one.

Every write that must survive a crash (each LanceDB add, merge, update and delete, each journal statement,
the cache's publish) calls :func:`hit` with its name just before it writes. Unset, a hit is one dict lookup
on a dict that is empty: nothing else happens. Set (read once, at import, so spawned workers inherit it):

- ``VIDEOKB_FAILPOINT=name:n``: the process that makes the ``n``-th hit of ``name`` kills itself with
  SIGKILL there, before the write (what a power cut, an OOM kill or ``kill -9`` does: no cleanup runs).
  ``name:n,other:m`` arms several.
- ``VIDEOKB_FAILPOINT_LOG=file``: every hit of every failpoint appends ``name pid`` to ``file``. Hits are
  then counted in that file under a lock, so ``n`` counts across all the processes of a run (the driver and
  its workers); without it each process counts its own. A run with only the log set lists every failpoint
  a run reaches and how often (:func:`read_log`), which is how a test enumerates them.

The pattern is the one of FoundationDB's and TiKV's ``fail`` crates (a name per crash point, configured from
the environment); no maintained Python package provides it, and this needs no more than the above.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections import Counter
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["ENV", "LOG_ENV", "hit", "parse", "read_log"]

ENV = "VIDEOKB_FAILPOINT"
LOG_ENV = "VIDEOKB_FAILPOINT_LOG"


def parse(spec: str) -> dict[str, int]:
    """``"name:n,other:m"`` -> ``{"name": n, "other": m}``; a bad spec is an error (a test that arms nothing
    would pass without testing anything)."""
    armed: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, n = part.rpartition(":")
        if not sep or not name or not n.isdigit() or int(n) < 1:
            raise ValueError(f"{ENV}: {part!r} is not name:n with n >= 1 (e.g. store.add:2)")
        armed[name] = int(n)
    return armed


_ARMED: dict[str, int] = parse(os.environ.get(ENV, ""))
_LOG: str | None = os.environ.get(LOG_ENV) or None
_ON = bool(_ARMED) or _LOG is not None
_counts: Counter[str] = Counter()
_lock = threading.Lock()


def hit(name: str) -> None:
    """A write named ``name`` is about to happen: die here if this is the armed hit."""
    if not _ON:
        return
    with _lock:
        n = _logged_hit(name) if _LOG is not None else _count(name)
    if _ARMED.get(name) == n:
        logger.warning("failpoint %s: hit %d, killing process %d", name, n, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


def _count(name: str) -> int:
    _counts[name] += 1
    return _counts[name]


def _logged_hit(name: str) -> int:
    """Append this hit to the shared log and return how many hits of ``name`` it now holds (all processes)."""
    import fcntl

    with open(_LOG, "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes, or when the process dies
        f.seek(0)
        n = sum(1 for line in f if line.split(" ", 1)[0] == name) + 1
        f.write(f"{name} {os.getpid()}\n")
        f.flush()
        return n


def read_log(path: str | Path) -> Counter[str]:
    """How many times each failpoint was hit, from a ``VIDEOKB_FAILPOINT_LOG`` file."""
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    return Counter(line.split(" ", 1)[0] for line in text.splitlines() if line)
