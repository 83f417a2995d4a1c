"""Video files for the browser: which ones it can play as they are, and short H.264/AAC clips of the others.

Browsers play MP4/MOV/WebM holding H.264, VP8/VP9 or AV1 video (and AAC, MP3, Opus or Vorbis audio). Anything
else (MKV, AVI, HEVC, ProRes, MPEG-4 Part 2...) is served as a clip around the asked moment, transcoded with
PyAV on first request and cached on disk by video id and span.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

logger = logging.getLogger(__name__)

PLAYABLE_VIDEO = {"h264", "vp8", "vp9", "av1"}
PLAYABLE_AUDIO = {"aac", "mp3", "mp3float", "opus", "vorbis"}
MAX_CLIP_S = 60.0
MAX_CACHED_CLIPS = 200  # the oldest go first: clients choose the spans, so the cache must not grow without end
_MS = Fraction(1, 1000)


class MediaError(RuntimeError):
    """A video file that cannot be read or transcoded; the message names the file and the reason."""


@dataclass(frozen=True)
class Playability:
    playable: bool
    container: str
    video_codec: str | None
    audio_codec: str | None
    mime: str


@functools.lru_cache(maxsize=1024)
def _probe(path: str, size: int, mtime_ns: int) -> Playability:
    import av

    try:
        with av.open(path) as c:
            fmt = c.format.name
            v = next((s.codec_context.name for s in c.streams.video), None)
            a = next((s.codec_context.name for s in c.streams.audio), None)
    except (av.error.FFmpegError, OSError) as e:
        raise MediaError(f"{path}: not a readable video ({e})") from e
    webm = fmt == "matroska,webm" and Path(path).suffix.lower() == ".webm"
    ok_container = fmt == "mov,mp4,m4a,3gp,3g2,mj2" or webm
    playable = ok_container and v in PLAYABLE_VIDEO and (a is None or a in PLAYABLE_AUDIO)
    mime = "video/webm" if webm else "video/mp4"
    return Playability(playable, fmt, v, a, mime)


def probe(path: Path) -> Playability:
    """Whether a browser plays ``path`` as it is (cached per file version)."""
    try:
        st = path.stat()
    except OSError as e:
        raise MediaError(f"{path}: the indexed file is gone ({e.strerror})") from e
    return _probe(str(path), st.st_size, st.st_mtime_ns)


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def clip(path: Path, video_id: str, start_s: float, end_s: float, cache_dir: Path) -> Path:
    """An H.264/AAC MP4 of ``path`` from ``start_s`` to ``end_s`` (at most :data:`MAX_CLIP_S`), made once."""
    start_s = max(0.0, round(start_s, 1))
    end_s = round(min(end_s, start_s + MAX_CLIP_S), 1)
    if end_s <= start_s:
        raise ValueError(f"the clip must end after it starts ({start_s}-{end_s} s)")
    st = path.stat()
    out = cache_dir / "clips" / f"{video_id}-{st.st_mtime_ns}-{start_s:.1f}-{end_s:.1f}.mp4"
    with _locks_guard:
        lock = _locks.setdefault(out, threading.Lock())
    with lock:
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".part.mp4")
            try:
                frames = _transcode(path, tmp, start_s, end_s)
                if not frames:
                    raise MediaError(f"{path}: no video frames between {start_s:.1f} s and {end_s:.1f} s")
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            tmp.replace(out)
            logger.info("made a %.1f s H.264 clip of %s in %s", end_s - start_s, path, out)
            _prune(out.parent)
    return out


def _prune(folder: Path) -> None:
    clips = sorted((p for p in folder.glob("*.mp4") if not p.name.endswith(".part.mp4")),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for old in clips[MAX_CACHED_CLIPS:]:
        old.unlink(missing_ok=True)


def _transcode(src: Path, dst: Path, start_s: float, end_s: float) -> int:
    """Write the span as H.264/AAC MP4; returns the number of video frames written."""
    import av

    try:
        inp = av.open(str(src))
    except (av.error.FFmpegError, OSError) as e:
        raise MediaError(f"{src}: not a readable video ({e})") from e
    with inp, av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        vin = inp.streams.video[0] if inp.streams.video else None
        ain = inp.streams.audio[0] if inp.streams.audio else None
        streams = [s for s in (vin, ain) if s is not None]
        if vin is None:
            raise MediaError(f"{src}: has no video stream")
        rate = vin.average_rate or Fraction(25)
        vout = out.add_stream("libx264", rate=rate)
        # Even dimensions (yuv420p), at most 720 lines: a preview, not an archive copy.
        h = min(vin.codec_context.height, 720)
        w = round(vin.codec_context.width * h / vin.codec_context.height)
        vout.width, vout.height = w - w % 2, h - h % 2
        vout.pix_fmt = "yuv420p"
        vout.codec_context.time_base = _MS
        # ultrafast: a preview made while someone waits (about 3x faster than veryfast, bigger files).
        vout.options = {"preset": "ultrafast", "crf": "23"}
        aout = None
        if ain is not None:
            aout = out.add_stream("aac", rate=48000)
            aout.layout = "stereo"
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
        inp.seek(int(start_s / vin.time_base) if vin.time_base else 0, stream=vin, backward=True, any_frame=False)
        a_pts = frames = 0
        for frame in inp.decode(*streams):
            t = frame.time
            if t is None or t < start_s:
                continue
            if t >= end_s:
                if isinstance(frame, av.VideoFrame):
                    break
                continue
            if isinstance(frame, av.VideoFrame):
                f = frame.reformat(width=vout.width, height=vout.height, format="yuv420p")
                f.pts = int(round((t - start_s) * 1000))
                f.time_base = _MS
                frames += 1
                out.mux(vout.encode(f))
            elif aout is not None:
                for r in resampler.resample(frame):
                    r.pts = a_pts
                    a_pts += r.samples
                    out.mux(aout.encode(r))
        out.mux(vout.encode(None))
        if aout is not None:
            out.mux(aout.encode(None))
    return frames
