"""Find the video files under the paths a user gives, and identify each by the hash of its content."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mkv .mov .webm .avi .mpg .mpeg .ts .m2ts .mts .wmv .flv .3gp .ogv .mxf .vob".split()
)
_HASH_CHUNK = 1 << 20


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

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            videos.append(p.absolute())

    for root in paths:
        root = Path(root)
        if root.is_file():
            add(root)
        elif root.is_dir():
            # followlinks=False: a symlinked folder could loop; symlinked files are still taken.
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    p = Path(dirpath) / name
                    if name.startswith("."):
                        continue
                    if p.suffix.lower() in VIDEO_EXTENSIONS:
                        add(p)
                    else:
                        ignored.append((p.absolute(), f"not a video file extension ({p.suffix or 'none'})"))
        elif root.exists():
            ignored.append((root.absolute(), "not a regular file or folder"))
        else:
            ignored.append((root.absolute(), "no such file or folder"))
    return Discovered(videos=videos, ignored=ignored)


def content_hash(path: Path) -> str:
    """BLAKE2b-128 of the file's bytes: the video's id, stable across renames and moves."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()
