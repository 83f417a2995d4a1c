"""Decode a video as a stream and pick keyframes where its content changes: at shot cuts, when something new
appears, and at least every ``max_gap_s``.

Every frame is decoded (the codec needs it) but only ``analysis_fps`` of them are scaled down and looked
at, and only the chosen ones are converted (at most ``max_side`` pixels on the long side, what OCR and the
encoders use), so the cost stays close to decode-only and memory does not grow with the video's length.
"New content" is judged after the camera's own motion is taken out (:mod:`ingest.motion`): a slow zoom or
pan over a still, a shaking phone or drifting exposure does not make every frame a keyframe. Shot cuts come
from PySceneDetect's ContentDetector, fed our small frames directly, and count only when the content did
change; timestamps are the exact presentation times of the chosen frames.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image

from videokb.ingest.errors import VANISHED, BadVideoError
from videokb.ingest.motion import ContentTracker

logger = logging.getLogger(__name__)


@dataclass
class KeyframeOptions:
    analysis_fps: float = 5.0  # frames per second looked at for cuts and change
    analysis_width: int = 160
    shot_threshold: float = 27.0  # ContentDetector's HSV threshold (its default)
    # Against the last keyframe, after global alignment (zoom, pan, shake and exposure taken out):
    change_threshold: float = 14.0  # mean abs grey-level change, 0..255
    # ...or this share of pixels changed by more than 24 grey levels: a new slide on the same background
    # changes few pixels a lot, which a mean over the whole frame dilutes below the threshold above. At 0.02 a
    # new title line on a plain slide went unseen (bench dev library: slide recall 0.936 -> 0.957 at 0.005, the
    # same 10.6 keyframes/min); a change of one character ("Story 1" -> "Story 2") is still missed at 160 px.
    changed_share: float = 0.005
    min_coverage: float = 0.6  # the camera moved on: the last keyframe shows less than this of the frame
    # No change-keyframe sooner than this after the last keyframe: footage that never stops moving (people,
    # animals, a handheld walk) changes content all the time; shot cuts are not held back by it.
    min_gap_s: float = 2.0
    max_gap_s: float = 10.0  # a keyframe at least this often, even on a static picture
    max_side: int = 1920  # keyframes are decoded no larger than this on the long side (0: full size)
    decode_threads: int = 0  # FFmpeg decoder threads; 0 = FFmpeg's choice (every core)
    # Don't decode frames no other frame needs (keyframe times stay exact frame times): about half the decoding
    # on streams with B-frames, but FFmpeg then conceals damaged packets without an error, so a damaged stretch
    # would be indexed without its warning (issue 17). Off by default for that.
    skip_nonref: bool = False

    def __post_init__(self) -> None:
        if self.analysis_fps <= 0 or self.max_gap_s <= 0 or self.min_gap_s < 0:
            raise ValueError("analysis_fps and max_gap_s must be > 0, min_gap_s >= 0")
        if self.min_gap_s > self.max_gap_s:
            raise ValueError("min_gap_s must not exceed max_gap_s")
        if self.max_side < 0 or self.decode_threads < 0:
            raise ValueError("max_side and decode_threads must be >= 0")


@dataclass
class Keyframe:
    frame_idx: int
    t_s: float
    shot_idx: int
    reason: str  # "shot" | "change" | "gap"
    change: float  # mean grey-level change from the previous keyframe after alignment (0 for the first)
    image: Image.Image  # RGB, upright, at most ``KeyframeOptions.max_side`` on the long side
    # Normalised coords of this keyframe -> the previous keyframe's (2x3 affine); None after a cut or new picture.
    warp_to_prev: np.ndarray | None = None
    # Share of pixels that differ from the previous keyframe by more than the tracker's pixel threshold after
    # alignment: 0 means nothing was added or removed (no new line of text either).
    changed_share: float = 0.0


@dataclass
class DecodeStats:
    frames_decoded: int = 0
    frames_analysed: int = 0
    last_t_s: float = 0.0
    shots: int = 0
    damaged_s: list[float] = field(default_factory=list)  # times of packets that would not decode (skipped)
    decode_s: float = 0.0  # seconds spent decoding and converting frames (not waiting on the consumer)
    select_s: float = 0.0  # seconds spent choosing keyframes (scaling down, cut detection, alignment)


MAX_DAMAGED_RUN = 250  # this many undecodable packets in a row: the rest of the stream is gone, not damaged
# Budget per file, from its stated length: decoding may take BUDGET_BASE_S + BUDGET_PER_S x duration of wall
# time, and may not run past 1.5 x the stated length + 30 s (a tiny file that decodes to thousands of hours).
BUDGET_BASE_S = 120.0
BUDGET_PER_S = 20.0


def _decode_skipping(path: Path, container, stream, stats: DecodeStats):
    """Frames of ``stream``; a packet that will not decode (a damaged stretch mid-file) is skipped and its
    time noted in ``stats.damaged_s``, so one corrupt packet does not cost a 3-hour video (issue 17). A file
    that decodes past its stated length, or for longer than its time budget, fails with that reason."""
    stated = container.duration / av.time_base if container.duration else None
    deadline = time.monotonic() + BUDGET_BASE_S + BUDGET_PER_S * (stated or 0.0) if stated else None
    run = 0
    for packet in container.demux(stream):
        if stated and packet.pts is not None and packet.time_base and \
                float(packet.pts * packet.time_base) > 1.5 * stated + 30:
            raise BadVideoError(path, f"decodes past its stated length of {stated:.1f}s (at "
                                      f"{float(packet.pts * packet.time_base):.1f}s); not indexed")
        if deadline is not None and time.monotonic() > deadline:
            raise BadVideoError(path, f"decoding took longer than its budget of "
                                      f"{BUDGET_BASE_S + BUDGET_PER_S * stated:.0f}s for {stated:.1f}s of video")
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            run += 1
            if run >= MAX_DAMAGED_RUN:
                raise
            if packet.pts is not None and packet.time_base:
                stats.damaged_s.append(float(packet.pts * packet.time_base))
            continue
        run = 0
        yield from frames


_TURNS = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, -180: Image.Transpose.ROTATE_180,
          -90: Image.Transpose.ROTATE_270, 270: Image.Transpose.ROTATE_270}


def upright(image: Image.Image, rotation_deg: float | None) -> Image.Image:
    """``image`` turned as a player shows it: by the display matrix's rotation (degrees counter-clockwise,
    what PyAV's ``VideoFrame.rotation`` reads). Phones store portrait video as landscape pixels plus this."""
    turn = _TURNS.get(round((rotation_deg or 0) / 90) * 90)
    return image.transpose(turn) if turn is not None else image


def iter_keyframes(
    path: Path, options: KeyframeOptions | None = None, stats: DecodeStats | None = None
) -> Iterator[Keyframe]:
    """Yield keyframes in time order; raises BadVideoError if the stream cannot be decoded."""
    from scenedetect import ContentDetector
    from scenedetect.scene_detector import FlashFilter

    opts = options or KeyframeOptions()
    stats = stats if stats is not None else DecodeStats()
    min_len = max(1, round(opts.analysis_fps * 0.5))
    detector = ContentDetector(
        threshold=opts.shot_threshold, min_scene_len=min_len, filter_mode=FlashFilter.Mode.SUPPRESS
    )
    try:
        container = av.open(str(path))
    except FileNotFoundError as e:  # listed and probed, then deleted or moved
        raise BadVideoError(path, VANISHED) from e
    except av.error.FFmpegError as e:
        raise BadVideoError(path, f"cannot open: {e}") from e
    with container:
        if not container.streams.video:
            return
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame threads, as many as the worker's budget allows
        if opts.decode_threads:
            stream.codec_context.thread_count = opts.decode_threads
        if opts.skip_nonref:
            # No frame references a non-reference frame (most B-frames), so skipping them costs the others
            # nothing, and the frames left are still many more than the ``analysis_fps`` looked at.
            stream.codec_context.skip_frame = "NONREF"
        fps = float(stream.average_rate or 25)
        step = 1.0 / opts.analysis_fps
        next_analysis = 0.0
        last_key_t = -1e9
        tracker = ContentTracker()
        lost = False  # a frame since the last keyframe did not align to it: the content has moved on
        shot = 0
        n_analysed = 0
        busy_since = time.perf_counter()  # time suspended at `yield` is the consumer's, not decoding's
        first_t: float | None = None
        idx = -1
        try:
            for n, frame in enumerate(_decode_skipping(path, container, stream, stats)):
                # The frame's index in the stream, from its time: with non-reference frames skipped, the
                # count of decoded frames is not it. Never repeated, so it stays a key.
                if frame.time is None:
                    idx += 1
                    t = idx / fps
                else:
                    t = float(frame.time)
                    first_t = t if first_t is None else first_t
                    idx = max(idx + 1, round((t - first_t) * fps))
                stats.frames_decoded = n + 1
                stats.last_t_s = t
                if t + 1e-6 < next_analysis:
                    continue
                t0 = time.perf_counter()
                next_analysis = t + step
                h = max(2, round(opts.analysis_width * frame.height / max(frame.width, 1) / 2) * 2)
                # AREA: an averaging downscale, cheaper than the default bicubic and without its aliasing
                # (which would add noise to the change measure below).
                small = frame.to_ndarray(format="bgr24", width=opts.analysis_width, height=h, interpolation="AREA")
                cut = bool(detector.process_frame(n_analysed, small))
                n_analysed += 1
                grey = tracker.prepare(small.mean(axis=2))
                reason, change, share, warp = None, 0.0, 0.0, None
                if tracker.ref is None:
                    reason = "shot"
                elif lost and not cut and t - last_key_t < opts.min_gap_s:
                    # Nothing can make a keyframe here: no cut, too soon for a change (min_gap_s <= max_gap_s),
                    # and the content already moved on, so an alignment would only fail again (two failed ECC
                    # fits, the dearest frames of a cut-heavy clip). Compared again at the next cut or once
                    # the gap allows a keyframe.
                    pass
                else:
                    c = tracker.compare(grey)
                    lost = not c.aligned
                    change, share = c.mean, c.share
                    new = (not c.aligned or c.coverage < opts.min_coverage or c.mean >= opts.change_threshold
                           or c.share >= opts.changed_share)
                    if cut and new:  # a cut the camera's motion explains (shake, a whip pan) is no cut
                        shot += 1
                        reason = "shot"
                    elif new and t - last_key_t >= opts.min_gap_s:
                        reason = "change"
                    elif t - last_key_t >= opts.max_gap_s:
                        reason = "gap"
                    if c.aligned and reason != "shot":
                        warp = _normalised(c.warp, small.shape[1], small.shape[0])
                stats.select_s += time.perf_counter() - t0
                if reason is None:
                    continue
                last_key_t = t
                lost = False
                tracker.reset(grey)
                kf = Keyframe(idx, t, shot, reason, change, _image(frame, opts.max_side), warp, share)
                stats.decode_s += time.perf_counter() - busy_since
                yield kf
                busy_since = time.perf_counter()
        except av.error.FFmpegError as e:
            why = e.strerror or str(e)
            if stats.frames_decoded:  # it played for a while: the rest of the file is cut off or damaged
                raise BadVideoError(path, f"truncated or corrupt: video stops decoding at "
                                          f"{stats.last_t_s:.1f}s ({why})") from e
            raise BadVideoError(path, f"video decoding failed: {why}") from e
        finally:
            stats.decode_s += time.perf_counter() - busy_since
            stats.decode_s -= stats.select_s
            stats.frames_analysed = n_analysed
            stats.shots = shot + 1


def _image(frame: av.VideoFrame, max_side: int) -> Image.Image:
    """The frame as an upright RGB picture, scaled in the conversion to at most ``max_side`` on the long side."""
    w, h = frame.width, frame.height
    scale = min(1.0, max_side / max(w, h)) if max_side else 1.0
    if scale < 1.0:
        image = frame.to_image(width=max(2, round(w * scale)), height=max(2, round(h * scale)))
    else:
        image = frame.to_image()
    return upright(image, frame.rotation)


def _normalised(warp: np.ndarray, w: int, h: int) -> np.ndarray:
    """A pixel-space affine warp of a ``w`` x ``h`` image as one on coordinates normalised to 0..1."""
    s = np.diag([w, h, 1.0])
    full = np.vstack([warp.astype(np.float64), [0, 0, 1]])
    return (np.linalg.inv(s) @ full @ s)[:2]
