"""Errors ingest raises about one input file; the message always names the file and the reason."""

from __future__ import annotations

from pathlib import Path

# The file was listed, then deleted or moved before ingest was done with it.
VANISHED = "file vanished during ingest (deleted or moved)"


class BadVideoError(Exception):
    """This file cannot be ingested (not a video, truncated, no streams, ...); other files go on."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason
