"""Remove from the index the videos whose files are gone, unless the folder only looks gone.

A folder on a drive that is not mounted, or a share that is briefly away, looks exactly like a folder
whose videos were all deleted; pruning it would drop them all from the index. So pruning refuses (unless
forced) when a folder is missing, empty, or on another device than when it was last ingested, or when it
would remove most of the library; ``dry_run`` says what would go.
"""

from __future__ import annotations

import logging
from pathlib import Path

from videokb.index.store import Store
from videokb.ingest.discover import VIDEO_EXTENSIONS
from videokb.ingest.journal import Journal
from videokb.ingest.names import on_disk, shown
from videokb.ingest.worker import FileOutcome

logger = logging.getLogger(__name__)


PRUNE_MAX_SHARE = 0.5  # prune refuses (without force) to remove more than this share of the library ...
PRUNE_MIN_REFUSE = 5  # ... when that is more than this many videos


class PruneRefusedError(RuntimeError):
    """Pruning looks like it would remove videos whose folder is only unmounted or missing for now."""


def prune(roots: list[Path], store: Store, journal: Journal, run_id: str | None = None, *, force: bool = False,
          dry_run: bool = False, guard_roots: list[Path] | None = None,
          allow_empty: bool = False) -> list[FileOutcome]:
    """Remove indexed videos at or under ``roots`` whose files no longer exist.

    Refused (:class:`PruneRefusedError`, unless ``force``) when a root of ``guard_roots`` (default: ``roots``)
    is missing, holds nothing, or is on another device than when it was last ingested (an unmounted drive
    leaves an empty folder on the parent's device), or when it would remove more than half the library (and
    more than 5 videos); ``allow_empty`` (``watch``, which saw each file deleted) lets an emptied folder
    through. ``dry_run``: say what would go (status "would remove"), remove nothing."""
    roots = [Path(r).absolute() for r in roots]
    guard = [Path(r).absolute() for r in (guard_roots if guard_roots is not None else roots)]
    library = store.videos().to_pylist()
    gone = []
    for row in library:
        path = on_disk(row["video_path"])
        if any(path == r or r in path.parents for r in roots) and not path.exists():
            gone.append((path, row))
    reason = "file no longer exists"
    if dry_run:
        return [FileOutcome(path, "would remove", reason, row["video_id"], row["duration_s"]) for path, row in gone]
    if gone and not force:
        problem = prune_guard(guard, journal, len(gone), len(library), allow_empty)
        if problem:
            listed = "; ".join(shown(p) for p, _ in gone[:5]) + (f"; ... {len(gone) - 5} more" if len(gone) > 5 else "")
            raise PruneRefusedError(f"not pruning: {problem}. It would remove {len(gone)} of {len(library)} "
                                    f"videos ({listed}); --dry-run lists them, --force prunes anyway")
    out = []
    for path, row in gone:
        store.delete_video(row["video_id"])
        journal.finish(path, "removed", reason, run_id=run_id, video_id=row["video_id"])
        out.append(FileOutcome(path, "removed", reason, row["video_id"], row["duration_s"]))
    return out


def prune_guard(roots: list[Path], journal: Journal, n_remove: int, n_library: int,
                allow_empty: bool = False) -> str | None:
    """Why pruning under ``roots`` looks unsafe, or None."""
    devices = journal.root_devices()
    for root in roots:
        if root.is_file() or (not root.exists() and root.suffix.lower() in VIDEO_EXTENSIONS):
            continue  # a file named on its own: its absence is what pruning is for
        try:
            st = root.stat()
        except FileNotFoundError:
            return f"{shown(root)} does not exist (unmounted or moved?)"
        except OSError as e:
            return f"{shown(root)} cannot be read ({e.strerror or e})"
        if not allow_empty and root.is_dir() and not any(root.iterdir()):
            return f"{shown(root)} is empty (unmounted?)"
        before = devices.get(shown(root))
        if before is not None and before != st.st_dev:
            return f"{shown(root)} is on another device than when it was ingested (a drive not mounted there?)"
    if n_remove > max(PRUNE_MIN_REFUSE, PRUNE_MAX_SHARE * n_library):
        return f"that is more than {PRUNE_MAX_SHARE:.0%} of the library"
    return None


def record_roots(roots: list[Path], journal: Journal) -> None:
    """Remember each folder's device, so a later prune can tell it is no longer mounted where it was."""
    for root in roots:
        try:
            if root.is_dir() and any(root.iterdir()):
                journal.set_root_device(root, root.stat().st_dev)
        except OSError:
            pass
