"""Long audio is transcribed in bounded chunks (memory stays flat with the video's length); each chunk ends in
a pause, not in a word."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from videokb.ingest.asr import FasterWhisperConfig
from videokb.ingest.audio import SAMPLE_RATE, iter_audio_chunks, quietest_cut


def _tone_with_pause(path, seconds: float, pause: tuple[float, float]):
    lo, hi = pause
    expr = f"if(between(t\\,{lo}\\,{hi})\\,0\\,0.5*sin(2*PI*440*t))"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={expr}:s={SAMPLE_RATE}:d={seconds}", "-c:a", "pcm_s16le", str(path)], check=True)
    return path


def test_a_chunk_ends_in_the_pause_and_no_sample_is_lost(tmp_path):
    wav = _tone_with_pause(tmp_path / "tone.wav", 14.0, (6.0, 6.6))
    chunks = list(iter_audio_chunks(wav, chunk_s=8.0))
    whole = np.concatenate([a for _, a in iter_audio_chunks(wav, chunk_s=100.0)])
    assert [round(off * SAMPLE_RATE) for off, _ in chunks] == list(np.cumsum([0] + [a.size for _, a in chunks[:-1]]))
    assert np.array_equal(np.concatenate([a for _, a in chunks]), whole)
    first_end = chunks[0][1].size / SAMPLE_RATE
    assert 6.0 <= first_end <= 6.6, first_end  # not at 8.0 s, mid-tone
    assert all(a.size <= 8.0 * SAMPLE_RATE for _, a in chunks)


def test_quietest_cut_looks_only_at_the_end_of_the_chunk():
    rng = np.random.default_rng(0)
    samples = rng.normal(0, 0.3, 40 * SAMPLE_RATE).astype(np.float32)
    samples[2 * SAMPLE_RATE:3 * SAMPLE_RATE] = 0  # a pause too early to be used
    samples[27 * SAMPLE_RATE:int(27.3 * SAMPLE_RATE)] = 0
    cut = quietest_cut(samples, 30 * SAMPLE_RATE)
    assert 27 * SAMPLE_RATE <= cut <= 27.3 * SAMPLE_RATE


def test_the_default_chunk_is_bounded():
    assert FasterWhisperConfig().chunk_s <= 300
    with pytest.raises(ValueError):
        FasterWhisperConfig(chunk_s=0)
