"""A video's transcript is a function of its audio (issue 11): transcribing the same speech twice gives the same
segments, text, times and scores, whatever the process transcribed before.

The clip is synthetic Mandarin, which Whisper base hears as garbled English: every 30 s window fails its
log-probability check, which is where faster-whisper's default fallback sampled at temperatures 0.2-1.0 from
CTranslate2's unseeded generator (three runs, three transcripts)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from videokb.ingest.asr import FasterWhisperTranscriber

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mandarin_wav(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.fail("the test needs espeak-ng (apt-get install espeak-ng)")
    path = tmp_path_factory.mktemp("asr") / "noodles.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "150", "-w", str(path),
                    "牛肉面每碗二十元。面馆晚上十点关门。老板说周二休息。"], check=True)
    return path


def _evidence(transcript):
    return [(s.start_s, s.end_s, s.text, s.avg_logprob, [(w.word, w.start_s, w.end_s) for w in s.words])
            for s in transcript.segments]


def test_the_same_speech_twice_gives_the_same_transcript(mandarin_wav, shared_cache):
    asr = FasterWhisperTranscriber(threads=1, cache_dir=shared_cache / "models", translate=False)
    first = asr.transcribe(mandarin_wav)
    assert first.segments, "the clip should give some (garbled) text"
    assert _evidence(asr.transcribe(mandarin_wav)) == _evidence(first)
