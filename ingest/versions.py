"""What becomes of a file's indexed version when the file's content changes: it goes, unless a copy still
holds those bytes, and then it moves to that copy (so the copy, which the journal holds as done with it,
stays indexed)."""

from __future__ import annotations

import logging
from pathlib import Path

from videokb.index.store import Store
from videokb.ingest.discover import content_hash
from videokb.ingest.journal import Journal
from videokb.ingest.names import on_disk, shown

logger = logging.getLogger(__name__)

__all__ = ["drop_other_versions"]


def drop_other_versions(store: Store, journal: Journal, path: str, video_id: str) -> None:
    """The file at ``path`` now holds ``video_id``: the version indexed there before goes, unless a copy of it
    that the journal holds as done ("same content as" this path) still has its bytes: then it moves there,
    or that copy would be done with a video nobody indexes any more."""
    for row in store.videos_at(path):
        if row["video_id"] == video_id:
            continue
        heir = _a_copy_of(journal, row["video_id"], path)
        if heir is None:
            store.delete_video(row["video_id"])
            continue
        st = heir.stat()
        store.update_video_path(row["video_id"], shown(heir), st.st_size, st.st_mtime_ns)
        logger.info("%s changed; its earlier content is still at %s, indexed there now", path, shown(heir))


def _a_copy_of(journal: Journal, video_id: str, path: str) -> Path | None:
    rows = journal.query("SELECT path FROM files WHERE video_id = ? AND state = 'done' AND path != ? ORDER BY path",
                         (video_id, path))
    for r in rows:
        candidate = on_disk(r["path"])
        try:
            if content_hash(candidate) == video_id:
                return candidate
        except OSError:  # gone or unreadable: not an heir
            continue
    return None
