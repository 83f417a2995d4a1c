"""Find the video files under the paths a user gives, and identify each by the hash of its content."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from videokb.ingest.names import NAME_COLLISION, shown

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mkv .mov .webm .avi .mpg .mpeg .ts .m2ts .mts .wmv .flv .3gp .ogv .mxf .vob".split()
)
_HASH_CHUNK = 1 << 20
LINKED_FOLDER = "symlinked folder, not followed (it could loop); name it on its own to ingest it"


@dataclass(frozen=True)
class Discovered:
    """Files to ingest, and files found in folders that are not videos (reported, not ingested)."""

    videos: list[Path]
    ignored: list[tuple[Path, str]]  # (path, reason)


def find_videos(paths: list[Path]) -> Discovered:
    """Videos under ``paths``: folders recursively by extension, files named directly always.

    A file named on the command line is tried whatever its extension (probing says if it is a video);
    inside folders only video extensions are taken, and the rest are listed as ignored with the reason.
    """
    videos: list[Path] = []
    ignored: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    seen_ignored: set[Path] = set()
    names: dict[str, Path] = {}  # shown name -> the file that has it

    def add(p: Path) -> None:
        key = _key(p)
        if key not in seen:
            seen.add(key)
            p = p.absolute()
            other = names.setdefault(shown(p), p)
            if other != p:
                ignored.append((p, NAME_COLLISION.format(other=shown(other))))
                return
            videos.append(p)

    def ignore(p: Path, reason: str) -> None:
        key = _key(p)
        if key not in seen_ignored:
            seen_ignored.add(key)
            ignored.append((p.absolute(), reason))

    for root in paths:
        root = Path(root)
        if root.is_file():
            add(root)
        elif root.is_dir():
            # followlinks=False: a symlinked folder could loop (say, to its own parent), so it is reported
            # and not walked; symlinked files are still taken.
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for d in dirnames:
                    if os.path.islink(os.path.join(dirpath, d)):
                        ignore(Path(dirpath, d), LINKED_FOLDER)
                for name in sorted(filenames):
                    p = Path(dirpath) / name
                    if name.startswith("."):
                        continue
                    if p.suffix.lower() in VIDEO_EXTENSIONS:
                        add(p)
                    else:
                        ignore(p, f"not a video file extension ({p.suffix or 'none'})")
        else:
            ignore(root, _unreadable(root))
    return Discovered(videos=videos, ignored=ignored)


def _key(p: Path) -> Path:
    """The one name of what ``p`` points at, so a file reached twice (links, overlapping roots) counts once."""
    try:
        return p.resolve(strict=True)
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        # A broken or looping link: the link itself is the thing to report (reading it says why it fails).
        return p.parent.resolve() / p.name


def _unreadable(path: Path) -> str:
    try:
        os.stat(path)
    except FileNotFoundError:
        return "no such file or folder"
    except OSError as e:  # a symlink loop, no permission, ...
        return f"cannot read: {e.strerror or e}"
    return "not a regular file or folder"


def content_hash(path: Path) -> str:
    """BLAKE2b-128 of the file's bytes: the video's id, stable across renames and moves."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()
