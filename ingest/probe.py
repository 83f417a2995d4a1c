"""Open a file with PyAV and describe its streams, or say clearly why it is not an ingestible video."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.logging

from videokb.ingest.errors import VANISHED, BadVideoError

logger = logging.getLogger(__name__)

# A frame larger than this is refused at probe time: a small lossless file can hold a 16000x16000 stream, a
# gigabyte per decoded frame in flight. 8K UHD (7680x4320, 33 Mpx) and 8K DCI (8192x4320) still pass.
MAX_PIXELS = 40_000_000
# Wider or taller than this is refused too: a 16x4096 stream scaled to the analysis width becomes a
# 160x40960 frame and stalls the visual lane. The widest real formats (32:9 screens, 360-degree video) are
# under 4:1.
MAX_ASPECT = 10.0


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    duration_s: float
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None
    fps: float | None
    video_duration_s: float | None = None  # the video stream's own length, when the container says it
    # Degrees counter-clockwise a player turns the stored picture (phones film portrait as rotated
    # landscape); width and height above are already as shown, after this turn.
    rotation_deg: int = 0


def probe(path: Path) -> VideoInfo:
    try:
        size = path.stat().st_size
    except FileNotFoundError as e:
        raise BadVideoError(path, VANISHED) from e
    except OSError as e:
        raise BadVideoError(path, f"cannot read: {e.strerror or e}") from e
    if size == 0:
        raise BadVideoError(path, "empty file (0 bytes)")
    try:
        with ffmpeg_messages() as messages, av.open(str(path)) as container:
            fmt = container.format.name
            if fmt == "image2" or fmt.endswith("_pipe"):
                raise BadVideoError(path, f"a still image ({fmt.removesuffix('_pipe')}), not a video")
            vs = container.streams.video[0] if container.streams.video else None
            has_audio = bool(container.streams.audio)
            duration = _duration_s(container, vs)
            width, height = (vs.codec_context.width, vs.codec_context.height) if vs else (None, None)
            if width and height and width * height > MAX_PIXELS:  # before anything decodes a frame
                raise BadVideoError(path, f"frame too large: {width}x{height} = {width * height / 1e6:.0f} "
                                          f"megapixels per frame, over the limit of {MAX_PIXELS / 1e6:.0f}")
            if width and height and max(width, height) / min(width, height) > MAX_ASPECT:
                raise BadVideoError(path, f"extreme aspect ratio: {width}x{height} is more than "
                                          f"{MAX_ASPECT:g}:1; not indexed")
            rotation = _rotation_deg(container, vs) if vs else 0
            if rotation % 180:
                width, height = height, width
            info = VideoInfo(
                path=path,
                duration_s=duration,
                has_video=vs is not None,
                has_audio=has_audio,
                width=width,
                height=height,
                fps=float(vs.average_rate) if vs is not None and vs.average_rate else None,
                video_duration_s=float(vs.duration * vs.time_base) if vs is not None and vs.duration else None,
                rotation_deg=rotation,
            )
    except FileNotFoundError as e:  # av's is an FFmpegError too: the file went between stat and open
        raise BadVideoError(path, VANISHED) from e
    except av.error.FFmpegError as e:
        raise BadVideoError(path, f"not a readable video ({_ffmpeg_reason(e, messages)})") from e
    if not info.has_video and not info.has_audio:
        raise BadVideoError(path, "no video or audio stream")
    if info.duration_s <= 0:
        raise BadVideoError(path, "duration is zero or unknown")
    return info


def _rotation_deg(container, vs) -> int:
    """The display rotation of the first frame, a multiple of 90 in [-180, 180]. PyAV exposes the
    display matrix only on decoded frames; a stream whose first frame will not decode is left for the
    decoder to report."""
    try:
        for frame in container.decode(vs):
            return round((frame.rotation or 0) / 90) * 90
    except av.error.FFmpegError:
        pass
    return 0


def _duration_s(container, vs) -> float:
    if container.duration:
        return container.duration / av.time_base
    if vs is not None and vs.duration and vs.time_base:
        return float(vs.duration * vs.time_base)
    return 0.0


@contextlib.contextmanager
def ffmpeg_messages() -> Iterator[list]:
    """Collect FFmpeg's own error messages in this thread (e.g. "moov atom not found"): PyAV's exception
    only says "Invalid data found", and FFmpeg logs nothing unless a level is set."""
    previous, skip = av.logging.get_level(), av.logging.get_skip_repeated()
    av.logging.set_level(av.logging.ERROR)
    av.logging.set_skip_repeated(False)  # the same fault in the next bad file must be named too
    try:
        with av.logging.Capture() as logs:
            yield logs
    finally:
        av.logging.set_level(previous)
        av.logging.set_skip_repeated(skip)


def _ffmpeg_reason(e: av.error.FFmpegError, messages: list) -> str:
    details = [m[2].strip() for m in messages if m[2].strip()]
    reason = e.strerror or str(e)
    return f"{reason}: {'; '.join(dict.fromkeys(details))}" if details else reason
