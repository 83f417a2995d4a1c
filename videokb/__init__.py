"""videokb: a local-first knowledge base over a video library.

    import videokb
    kb = videokb.open("./kb")          # the index folder (created if missing)
    kb.ingest("~/Videos")
    for m in kb.search("when does the bakery open"):
        print(m.video_path, m.start_s, m.end_s, m.snippet)

``import videokb`` stays cheap: the API module and everything under it load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from videokb.errors import (
    IndexConflictError, InvalidInputError, ModelError, QueryError, VideokbError, VideoNotFoundError,
)

__version__ = "0.1.0"

_API = ("Event", "KnowledgeBase", "Keyframe", "Moment", "Video")

__all__ = [*_API, "IndexConflictError", "InvalidInputError", "ModelError", "QueryError", "VideoNotFoundError",
           "VideokbError", "open"]

if TYPE_CHECKING:
    from pathlib import Path

    from videokb.api import Event, Keyframe, KnowledgeBase, Moment, Video


def open(db: str | Path | None = None, *, device: str = "auto") -> KnowledgeBase:  # noqa: A001
    """Open the index at ``db`` (default: ``$VIDEOKB_DB``, else ``$VIDEOKB_HOME/index``, else the user data
    dir) as a :class:`KnowledgeBase`; an empty index is created if there is none."""
    from videokb.api import KnowledgeBase

    return KnowledgeBase(db, device=device)


def __getattr__(name: str):
    if name in _API:
        from videokb import api

        return getattr(api, name)
    raise AttributeError(f"module 'videokb' has no attribute {name!r}")
