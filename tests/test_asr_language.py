"""The speech language check (issue 11): Whisper's language ID takes espeak-ng German for Welsh; the check
decodes the start in the likeliest languages and keeps German, whose decoding Whisper is surer of."""

import contextlib
import dataclasses
import difflib
import hashlib
import itertools
import math
import re
from collections import namedtuple

import numpy as np
import pytest

from videokb.ingest.asr import FasterWhisperTranscriber
from videokb.ingest.audio import iter_audio_chunks
from videokb.ingest.speech_language import (LANGUAGE_SURE, DecodeConfidence, FirstWindowLanguage, choose_language,
                                            cut_short, decode_confidence, shared_encoder)
from videokb.sample import SceneSpec, VideoSpec, make_video

Seg = namedtuple("Seg", "text tokens avg_logprob")
Info = namedtuple("Info", "language language_probability all_language_probs")


def test_a_decoding_stuck_in_a_loop_or_empty_has_no_confidence():
    assert decode_confidence([Seg("2-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4-4", [1] * 40, -0.1)]) is None
    assert decode_confidence([Seg(" ", [1], -0.1)]) is None
    c = decode_confidence([Seg("Der Zoo", [1, 2], -1.0), Seg("hat drei", [3, 4, 5], -0.5)])
    assert c == DecodeConfidence(per_token=pytest.approx(-3.5 / 5), per_char=pytest.approx(-3.5 / 13))


def test_a_trial_decoding_cut_at_its_token_limit_is_a_loop():
    """Whisper closes each window it finishes with a timestamp token (>= 50364 in Whisper base's vocabulary)."""
    finished = [Seg(" The lighthouse", [50364, 440, 50464], -0.3), Seg(" was built", [50464, 390, 50686], -0.3)]
    assert not cut_short(finished, 50364)
    assert cut_short([Seg(" うううう", [50364, 3225, 3225, 3225], -0.1)], 50364)
    assert not cut_short([], 50364)


def test_a_word_or_two_of_speech_is_not_checked():
    """bigbuckbunny's music: Whisper detects English (0.63) and hears "Hmm" (3 tokens with the timestamps);
    five trial decodings of it cost 4x speech alone and compare nothing. No model is touched."""
    hmm = [Seg(" Hmm", [50364, 8239, 50464], -0.62)]
    got = FasterWhisperTranscriber().check_language(None, None, hmm, Info("en", 0.63, [("en", 0.63), ("ja", 0.1)]))
    assert got == ("en", 0.63, hmm, None)


def test_another_language_must_be_surer_per_token_and_per_character():
    german = DecodeConfidence(per_token=-0.96, per_char=-0.35)
    thai = DecodeConfidence(per_token=-0.89, per_char=-0.88)  # short tokens: surer per token only
    latin = DecodeConfidence(per_token=-1.09, per_char=-0.54)
    assert german.surer_than(latin, 0.05) and not thai.surer_than(latin, 0.05)
    assert not DecodeConfidence(-1.06, -0.50).surer_than(latin, 0.05)  # within the margin
    assert latin.surer_than(None, 0.05)  # the detected language's decoding was a loop


def test_garbled_speech_keeps_its_detected_language():
    """bench/language_check.py, ask archive 1's espeak-ng French station: Whisper detects French (0.33) and every
    decoding is gibberish; English's reads as fluent words ("Let me put my say power over there ...") and is
    surer by 0.09 a token, which the margin does not let win. A right switch (Welsh -> German, the Bremen
    pharmacy) wins by 0.34."""
    tried = {"fr": DecodeConfidence(-1.258, -0.686), "th": DecodeConfidence(-0.894, -0.856),
             "en": DecodeConfidence(-1.168, -0.42), "nn": None}
    assert choose_language("fr", tried) == "fr"
    assert choose_language("fr", tried, margin=0.05) == "en"  # the margin before
    tried = {"cy": DecodeConfidence(-1.112, -0.747), "nn": DecodeConfidence(-1.225, -0.639),
             "mn": DecodeConfidence(-1.072, -0.457), "de": DecodeConfidence(-0.775, -0.350)}
    assert choose_language("cy", tried) == "de"
    assert choose_language("en", {"en": None, "la": None, "zh": DecodeConfidence(-0.39, -0.41)}) == "zh"


# Ask archive 2's Bremen pharmacy (videokb/sample_archive_bank2.py, train for the check: bench/language_check.py).
# Whisper's int8 decodings differ with the CPU's instruction set: on an AVX-512/AMX machine Whisper base detected
# Welsh (0.18) and German won by 0.34 a token; on an AVX2-only one it detects Nynorsk (0.22) and German is not
# among the 6 likeliest languages (English gibberish is kept). The tune library's German zoo, this test's video
# before, was won by 0.13 on one machine and lost by 0.06 on another. So the test decodes in float32, which
# differs across CPUs only by rounding: Nynorsk (0.19), German surer than English by 0.21 a token (AVX2).
PHARMACY = VideoSpec("apotheke_bremen.mp4", "Apotheke Bremen", (SceneSpec(
    "Die Salbe kostet sechs Euro und die Apotheke öffnet um acht Uhr.", slide_text="Salbe 6 Euro\nGeöffnet ab 8 Uhr",
    voice="de"),))


def _heard(said: str, transcript: str) -> list[str]:
    """The words of ``said`` (4+ letters) that the transcript holds, spelled nearly alike."""
    heard = re.findall(r"\w+", transcript.lower())
    return [w for w in re.findall(r"\w{4,}", said.lower())
            if difflib.get_close_matches(w, heard, n=1, cutoff=0.75)]


@pytest.mark.slow
def test_espeak_german_taken_for_welsh_is_transcribed_as_german(tmp_path, shared_cache):
    video = make_video(PHARMACY, tmp_path)
    transcript = FasterWhisperTranscriber(cache_dir=shared_cache, compute_type="float32").transcribe(video.path)
    check = transcript.language_check
    assert check and check["detected"] != "de" and check["chosen"] == "de", check
    assert transcript.language == "de"
    said = " ".join(s.narration for s in video.scenes)
    text = " ".join(s.text for s in transcript.segments)
    words = _heard(said, text)
    assert len(words) >= 2, (words, text)  # "apotheke", "öffnet": none in the Welsh decoding
    assert all(s.translation for s in transcript.segments)


@pytest.mark.slow
def test_clear_english_speech_is_decoded_once(tmp_path, shared_cache):
    spec = VideoSpec("cafe.mp4", "Cafe", (
        SceneSpec("Welcome to our cafe, where the cake is fresh every morning.", slide_text="Cafe"),))
    transcript = FasterWhisperTranscriber(cache_dir=shared_cache).transcribe(make_video(spec, tmp_path).path)
    assert transcript.language == "en" and transcript.language_check is None
    assert "cafe" in transcript.segments[0].text.lower()


def test_trial_decodings_share_one_encoding(tmp_path, shared_cache):
    """The check decodes one window in up to six languages: Whisper's encoder (most of a short decoding's
    cost) runs once for them, and each decoding is the one it would be alone."""
    asr = FasterWhisperTranscriber(cache_dir=shared_cache, threads=1)
    model = asr.model()
    _, audio = next(iter_audio_chunks(make_video(PHARMACY, tmp_path).path, asr.chunk_s))
    alone = [asr.trial_decoding(model, audio, lang)[1] for lang in ("de", "cy", "en")]
    encodings = []
    model.encode = lambda features, own=model.encode: encodings.append(features.shape) or own(features)
    try:
        with shared_encoder(model):
            shared = [asr.trial_decoding(model, audio, lang)[1] for lang in ("de", "cy", "en")]
        assert len(encodings) == 1, encodings
        assert shared == alone and alone[0] is not None
        asr.trial_decoding(model, audio, "de")
        assert len(encodings) == 2  # outside the block, the wrapper it found is back
    finally:
        del model.encode


def _encodings_and_transcript(asr: FasterWhisperTranscriber, path, monkeypatch, share: bool):
    """The windows Whisper's encoder encoded for ``path``'s transcript (a digest each), and the transcript, with
    each chunk's windows encoded once (``share``) or as faster-whisper encodes them on its own (the check's
    trials sharing one encoding among themselves, as they did before)."""
    import contextlib

    import videokb.ingest.asr as asr_module

    model = asr.model()
    encodings = []

    def encode(features, own=model.encode):
        encodings.append(hashlib.sha1(np.ascontiguousarray(features)).digest())
        return own(features)

    model.encode = encode
    try:
        with monkeypatch.context() as patch:
            if not share:  # only the language check's trials share their window, as before chunks shared theirs
                patch.setattr(asr_module, "shared_encoder", lambda model, windows=1:
                              shared_encoder(model) if windows == 1 else contextlib.nullcontext())
            transcript = asr.transcribe(path)
    finally:
        del model.encode
    return encodings, transcript


LONG_ENGLISH = VideoSpec("harbour_talk.mp4", "Harbour talk", tuple(SceneSpec(s, slide_text="Harbour") for s in (
    "Welcome to this short talk about the old harbour and the ships that came to it every spring.",
    "The first stone pier was built in the year seventeen hundred and twelve by the town's merchants.",
    "Fishing boats left before dawn and came back in the afternoon with herring and cod for the market.",
    "In the winter storms the lighthouse keeper climbed the tower every night to light the great lamp.",
    "Today the harbour holds a museum, two cafes and a small school where children learn to sail.",
    "Thank you for listening, and do visit the museum on a sunny day when the boats are out.")))


@pytest.mark.slow
@pytest.mark.parametrize("spec", [LONG_ENGLISH, PHARMACY], ids=["30s-english", "short-german"])
def test_each_window_is_encoded_once_per_chunk(tmp_path, shared_cache, monkeypatch, spec):
    """Language ID and the first window encode the same features when 30 s or more of speech is kept; a short
    chunk's language check and translation decode the chunk's own window again. Each is encoded once now, and
    the transcript (words, times, language, check, translations) is the one faster-whisper gives on its own.
    (Whisper base int8 is unsure of this espeak-ng English, 0.77 on an AVX2 machine, so its check runs too.)"""
    path = make_video(spec, tmp_path).path
    asr = FasterWhisperTranscriber(cache_dir=shared_cache, threads=1)
    alone, before = _encodings_and_transcript(asr, path, monkeypatch, share=False)
    shared, after = _encodings_and_transcript(asr, path, monkeypatch, share=True)
    assert after == before and after.segments
    assert len(set(shared)) == len(shared) < len(alone), (len(shared), len(alone))
    assert set(shared) == set(alone)
    if spec is LONG_ENGLISH:
        assert after.language == "en" and after.segments[-1].end_s > 30


@pytest.mark.slow
def test_speech_on_spare_threads_is_the_same_transcript(tmp_path, shared_cache):
    """While the visual lane is idle, speech runs on a second copy of Whisper with its threads too (ingest.asr.
    SpareThreads); the lane comes and goes between calls. Language ID, the check's trials in six languages, the
    decoding and the translation of the German pharmacy, each call on one copy or the other in turn (so an
    encoding made on one copy is decoded on the other): the same transcript as on the lane's own thread."""
    path = make_video(PHARMACY, tmp_path).path
    # float32: int8 on an AVX2-only CPU reads this German as English (see the test above)
    asr = FasterWhisperTranscriber(cache_dir=shared_cache, threads=1, compute_type="float32")
    alone = asr.transcribe(path)
    turns = itertools.count()
    model = asr.model()
    wide_calls = []
    own_model = model.model

    def spare() -> bool:
        wide_calls.append(next(turns) % 2 == 0)
        return wide_calls[-1]

    mixed = asr.transcribe(path, spare=spare)
    assert model.model is own_model  # the lane's own copy is back
    assert asr.wide_model().model is not own_model
    assert sum(wide_calls) >= 3 and not all(wide_calls), wide_calls
    assert same_transcript(mixed, alone)
    assert alone.language == "de" and alone.language_check and alone.segments[0].translation
    assert same_transcript(asr.transcribe(path, spare=lambda: True), alone)


def same_transcript(a, b) -> bool:
    """The same words, times, languages, check and translations; probabilities to 1e-5. CTranslate2 sums in
    another order on 2 threads than on 1: language_prob 0.036743273 against 0.036743369, a segment's
    avg_logprob -0.79944386 against -0.79944380, the rest identical (float32, ctranslate2 4.8.5)."""
    def close(x, y) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=1e-5, abs_tol=1e-6)
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(close(x[k], y[k]) for k in x)
        if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            return len(x) == len(y) and all(close(i, j) for i, j in zip(x, y))
        return x == y
    return close(dataclasses.asdict(a), dataclasses.asdict(b))


SHORT_ENGLISH = VideoSpec("kiosk.mp4", "Kiosk", (SceneSpec(
    "Welcome to the harbour kiosk, where a coffee costs two dollars and the ferry leaves at noon.",
    slide_text="Harbour kiosk"),))


@contextlib.contextmanager
def _faster_whispers_own_id(self):
    yield self  # nothing installed: language ID on faster-whisper's padded features, as before


@pytest.mark.parametrize("sure", [pytest.param(LANGUAGE_SURE, id="settled"),
                                  pytest.param(0.95, id="provisional", marks=pytest.mark.slow)])
def test_language_id_of_a_short_chunk_shares_its_first_windows_encoding(tmp_path, shared_cache, monkeypatch, sure):
    """A chunk with under 30 s of speech: faster-whisper's language ID sees one frame more than the first window
    and paid an encoder pass of its own. ID on the window's own frames shares its encoding; where it settles
    the language (sure of English) the pass is saved, and where it only settles the top language (here a
    stricter ``language_sure``, so the check may run) the padded ID runs as well. Either way the transcript is
    the one it was, but for the stored language probability, which moves a little."""
    path = make_video(SHORT_ENGLISH, tmp_path).path
    asr = FasterWhisperTranscriber(cache_dir=shared_cache, threads=1, language_sure=sure)
    with monkeypatch.context() as patch:
        patch.setattr(FirstWindowLanguage, "installed", _faster_whispers_own_id)
        padded, before = _encodings_and_transcript(asr, path, monkeypatch, share=True)
    first_window, after = _encodings_and_transcript(asr, path, monkeypatch, share=True)
    assert before.language == "en" and before.language_prob >= 0.9, before  # the premise: clearly English
    assert "kiosk" in " ".join(s.text.lower() for s in after.segments)
    assert dataclasses.replace(after, language_prob=None) == dataclasses.replace(before, language_prob=None)
    assert abs(after.language_prob - before.language_prob) < 0.1
    assert len(first_window) == len(padded) - (1 if sure == LANGUAGE_SURE else 0), (first_window, padded)
