"""Open a file with PyAV and describe its streams, or say clearly why it is not an ingestible video."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av

from ingest.errors import BadVideoError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    duration_s: float
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None
    fps: float | None


def probe(path: Path) -> VideoInfo:
    if not path.exists():
        raise BadVideoError(path, "file vanished before it could be read")
    if path.stat().st_size == 0:
        raise BadVideoError(path, "empty file (0 bytes)")
    try:
        with av.open(str(path)) as container:
            vs = container.streams.video[0] if container.streams.video else None
            has_audio = bool(container.streams.audio)
            duration = _duration_s(container, vs)
            info = VideoInfo(
                path=path,
                duration_s=duration,
                has_video=vs is not None,
                has_audio=has_audio,
                width=vs.codec_context.width if vs else None,
                height=vs.codec_context.height if vs else None,
                fps=float(vs.average_rate) if vs is not None and vs.average_rate else None,
            )
    except av.error.FFmpegError as e:
        raise BadVideoError(path, f"not a readable video ({_ffmpeg_reason(e)})") from e
    if not info.has_video and not info.has_audio:
        raise BadVideoError(path, "no video or audio stream")
    if info.duration_s <= 0:
        raise BadVideoError(path, "duration is zero or unknown")
    return info


def _duration_s(container, vs) -> float:
    if container.duration:
        return container.duration / av.time_base
    if vs is not None and vs.duration and vs.time_base:
        return float(vs.duration * vs.time_base)
    return 0.0


def _ffmpeg_reason(e: Exception) -> str:
    # FFmpegError's str() repeats the path; keep the part that says what is wrong.
    msg = getattr(e, "strerror", None) or str(e)
    return msg.split(":")[0].strip() if ":" in msg and str(e).count("'") >= 2 else msg
