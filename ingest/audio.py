"""Audio of a video file read as a stream of chunks for Whisper: mono 16 kHz float32, each chunk at most
``chunk_s`` long and cut in a pause, so memory does not grow with the video's length."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from videokb.ingest.errors import VANISHED, BadVideoError

SAMPLE_RATE = 16000

QUIET_SEARCH_S = 10.0  # a chunk ends at the quietest moment of its last this many seconds
_QUIET_WINDOW = SAMPLE_RATE // 10


def quietest_cut(samples: np.ndarray, chunk_len: int) -> int:
    """Where to end a chunk of ``samples`` (which holds more than ``chunk_len``): the middle of the quietest
    0.1 s of its last ``QUIET_SEARCH_S`` seconds, so a chunk boundary falls in a pause, not in a word."""
    search = min(chunk_len, int(QUIET_SEARCH_S * SAMPLE_RATE)) // _QUIET_WINDOW * _QUIET_WINDOW
    if search < _QUIET_WINDOW:
        return chunk_len
    tail = samples[chunk_len - search:chunk_len].reshape(-1, _QUIET_WINDOW)
    quietest = int(np.argmin(np.einsum("ij,ij->i", tail, tail)))
    return chunk_len - search + quietest * _QUIET_WINDOW + _QUIET_WINDOW // 2


def iter_audio_chunks(path: Path, chunk_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """(offset_s, mono 16 kHz float32 samples) chunks of the file's first audio stream, each at most
    ``chunk_s`` long and ending in the quietest moment of its last seconds (:func:`quietest_cut`)."""
    chunk_len = int(chunk_s * SAMPLE_RATE)
    decoded = 0  # samples so far, to say where a damaged stream stops
    total_s = 0.0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return
            total_s = (container.duration or 0) / av.time_base
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            buf: list[np.ndarray] = []
            have = 0
            offset = 0

            def frames():
                for frame in container.decode(stream):
                    yield from resampler.resample(frame)
                yield from resampler.resample(None)  # flush

            for frame in frames():
                a = frame.to_ndarray().reshape(-1)
                buf.append(a)
                have += a.size
                decoded += a.size
                while have > chunk_len:
                    joined = np.concatenate(buf)
                    cut = quietest_cut(joined, chunk_len)
                    yield offset / SAMPLE_RATE, joined[:cut]
                    offset += cut
                    buf, have = [joined[cut:]], joined.size - cut
            if have:
                yield offset / SAMPLE_RATE, np.concatenate(buf)
    except FileNotFoundError as e:  # listed and probed, then deleted or moved
        raise BadVideoError(path, VANISHED) from e
    except av.error.FFmpegError as e:
        why = e.strerror or str(e)
        if decoded:  # it opened and played for a while: the rest of the file is cut off or damaged
            raise BadVideoError(path, f"truncated or corrupt: audio stops decoding at "
                                      f"{decoded / SAMPLE_RATE:.1f}s of {total_s:.1f}s ({why})") from e
        raise BadVideoError(path, f"audio decoding failed: {why}") from e
