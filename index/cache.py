"""Where videokb caches what it derives from models (joined weights, exports), and how a cache entry is written.

One rule for the folder: ``$VIDEOKB_CACHE``, else the user's cache dir (e.g. ``~/.cache/videokb``); model
files go under its ``models/``. One way to write an entry: build it in a temporary sibling, then
``os.replace`` it into place, so a reader never sees half an entry and, when two processes build the same
entry at once, the first rename wins and the other's copy is discarded.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import platformdirs

from videokb.index.failpoints import hit

logger = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$VIDEOKB_CACHE``, else the user's cache dir (e.g. ``~/.cache/videokb``)."""
    env = os.environ.get("VIDEOKB_CACHE")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("videokb"))


def models_cache_dir() -> Path:
    """Where joined or exported model files live: ``cache_dir() / "models"``."""
    return cache_dir() / "models"


def publish_atomically(target: Path, build: Callable[[Path], Path | None], is_complete: Callable[[Path], bool]) -> Path:
    """Make ``target`` (a file or a folder) once: ``build(tmp_dir)`` writes it inside a fresh temporary folder
    beside ``target`` and returns the path to move into place (``None``: the temporary folder itself).

    The rename is atomic; if another process renamed its copy first, ``is_complete(target)`` decides
    whether that copy stands (first writer wins) or the error is real. Returns ``target``.
    """
    target = Path(target)
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        built = build(tmp)
        hit("cache.publish")
        os.replace(built if built is not None else tmp, target)
    except OSError:
        # A non-empty folder cannot replace another one: a concurrent writer got there first.
        if not is_complete(target):
            raise
        logger.debug("%s was made by another process first; keeping it", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
