"""Which language a video's speech is in, when Whisper's language ID is unsure (issue 11).

Whisper's language ID (one look at the first 30 s) is unreliable on voices it hears badly (espeak-ng German
taken for Latin, French for Thai): when its top language is below ``LANGUAGE_SURE``, the start of the speech is
decoded in each of the ``LANGUAGE_TRIES`` most likely languages, and a language whose decoding Whisper is
clearly surer of replaces the detected one (:class:`DecodeConfidence`, :func:`choose_language`). The decodings
themselves are :meth:`videokb.ingest.asr.FasterWhisperTranscriber.check_language`'s; this module holds the rule,
which ``bench/language_check.py`` replays on recorded decodings.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from videokb.ingest.audio import SAMPLE_RATE


# Language check (issue 11). Whisper base's language ID gave every clearly spoken English video of the three
# train-side bench libraries 0.84-0.98 and 10 of their 24 espeak-ng German/French/Mandarin videos a wrong
# language (Latin, Nynorsk, Thai, English) at 0.20-0.69, where their transcripts are gibberish in that language.
LANGUAGE_SURE = 0.8  # detection at or above this is taken as is, with no second decoding
LANGUAGE_TRIES = 6  # else the start of the speech is decoded in this many most likely languages (German ranked 4-6)
LANGUAGE_TRIAL_S = 30.0  # ... over at most this much of the first chunk (one Whisper window), whatever its length
# ... when its decoding holds at least this many tokens (timestamps included): a word or two ("Hmm" over
# bigbuckbunny's music, 3 tokens) gives trial decodings too short to compare, and the check cost 5 more decodings
# (8 s of CPU for that 5-s clip, with speech alone 2 s).
LANGUAGE_CHECK_MIN_TOKENS = 8
# Another language replaces the detected one only if its decoding is surer by this much per token (and surer per
# character). `python -m bench.language_check --sweep` (39 train videos of espeak-ng German, Spanish, French,
# Italian and Mandarin), languages right of 39 at margins 0.05 / 0.11 / 0.2 / 0.3, Whisper's detection alone
# beside: on an AVX-512/AMX machine 25 / 26 / 25 / 24 (detection 22; right switches won by 0.19-0.34 a token,
# wrong ones, garbled French decoded as English gibberish, which reads as fluent words, by up to 0.09); on an
# AVX2-only machine, whose int8 kernels decode otherwise, 23 / 23 / 25 / 25 (detection 24: at 0.11 the check
# did worse than no check, switching two French videos to Breton and Malay by 0.11-0.17). 0.2 is the margin
# that beats detection on both.
LANGUAGE_MARGIN = 0.2
# Whisper's own test for a decoding stuck in a loop ("2-4-4-4-4-..."): such a text is very likely token by token
# and says nothing, so it cannot win the language check.
MAX_COMPRESSION_RATIO = 2.4
# A trial decoding of a short trial gets a token limit (faster-whisper's ``max_new_tokens``) of this many a second of
# its audio plus TRIAL_TOKENS_SLACK, and one cut short there (its last token not a timestamp) counts as a loop.
# CTranslate2's Whisper returns about half the limit (448, faster-whisper's default, gives at most ~224 tokens,
# openai-whisper's own sample length), so this allows ~15 a second: espeak-ng English takes ~4 with the timestamps,
# espeak-ng Mandarin, the densest here, ~7. A loop takes more: bigbuckbunny's 3 s of "Hmm" decoded as Japanese
# gave 152 tokens of "ううう" in 5.3 s of audio. From a 14-s trial up the limit is Whisper's own, as before.
TRIAL_TOKENS_PER_S = 30
TRIAL_TOKENS_SLACK = 32
MAX_WINDOW_TOKENS = 440  # faster-whisper's 448 less the prompt


@dataclass(frozen=True)
class DecodeConfidence:
    """How sure Whisper is of a decoding: its log-probability (faster-whisper's ``avg_logprob`` of each
    segment times its tokens) per token and per character (spaces not counted). The two disagree across
    scripts, so a language check asks for both: a script Whisper spells in many short tokens looks surer per
    token than it is (espeak-ng German decoded as Thai: -0.89 a token against German's -0.96, but -0.88 a
    character against -0.35), one it spells in long tokens looks surer per character (French decoded as English:
    -0.34 a character against French's -0.44, but -1.17 a token against -0.99)."""

    per_token: float
    per_char: float

    def surer_than(self, other: DecodeConfidence | None, margin: float) -> bool:
        return other is None or (self.per_token >= other.per_token + margin and self.per_char > other.per_char)


def decode_confidence(segments) -> DecodeConfidence | None:
    """:class:`DecodeConfidence` of faster-whisper ``segments``; None for no text, or for a text that repeats
    itself (compression ratio above :data:`MAX_COMPRESSION_RATIO`)."""
    from faster_whisper.transcribe import get_compression_ratio

    text = " ".join(s.text.strip() for s in segments).strip()
    tokens = sum(len(s.tokens) for s in segments)
    chars = sum(not c.isspace() for c in text)
    if not tokens or not chars or get_compression_ratio(text) > MAX_COMPRESSION_RATIO:
        return None
    logprob = sum(s.avg_logprob * len(s.tokens) for s in segments)
    return DecodeConfidence(logprob / tokens, logprob / chars)


def trial_token_cap(trial: np.ndarray) -> int:
    """How many tokens a trial decoding of ``trial`` may take (faster-whisper's ``max_new_tokens``)."""
    return min(MAX_WINDOW_TOKENS, int(TRIAL_TOKENS_PER_S * trial.size / SAMPLE_RATE) + TRIAL_TOKENS_SLACK)


def cut_short(segments, timestamp_begin: int) -> bool:
    """Whether a decoding stopped at its token limit: Whisper closes every window it finishes with a timestamp
    token, so a last segment ending in a text token was cut."""
    said = [s for s in segments if s.tokens]
    return bool(said) and said[-1].tokens[-1] < timestamp_begin


@contextlib.contextmanager
def shared_encoder(model, windows: int = 1) -> Iterator[None]:
    """While in the block, ``model`` (a faster-whisper ``WhisperModel``) encodes each distinct log-mel window once,
    keeping the last ``windows`` encodings: the language check decodes the same 30-s window in up to six
    languages, a chunk's transcription encodes its first window twice (language ID, then decoding: the same
    features when the speech kept is 30 s or more) and its translation encodes it again, and Whisper's encoder
    is most of a short decoding's cost (1.5 of 1.8 s for a window on 1 thread). Keyed on the features' bytes,
    so a window that differs by one value is encoded again (each decoding is the one it would be alone); the
    model's own ``encode`` is back after the block. An encoding of Whisper base is 3 MB (1500 x 512 floats)."""
    own = model.encode
    shadowed = vars(model).get("encode")  # an instance attribute already there (another wrapper) comes back
    memo: OrderedDict[tuple, object] = OrderedDict()

    def encode(features: np.ndarray):
        key = (features.shape, features.dtype.str, hashlib.blake2b(np.ascontiguousarray(features).data).digest())
        if key in memo:
            memo.move_to_end(key)
        else:
            while len(memo) >= windows:
                memo.popitem(last=False)
            memo[key] = own(features)
        return memo[key]

    model.encode = encode
    try:
        yield
    finally:
        if shadowed is None:
            del model.encode  # the class's method shows through again
        else:
            model.encode = shadowed


# Language ID on the first window's own frames (issue 10). faster-whisper detects the language on the first 30 s
# of features plus, when the speech kept is shorter, the one frame its feature extractor computes past the audio's
# end; the first window decodes those features without it. So a chunk under 30 s of speech paid an encoder pass
# for language ID alone (1.5 of bigbuckbunny's 3.9 s of speech CPU). ID on the window's own frames shares its
# encoding, and gives the same decision wherever it matters: over the 97 short videos of the bench libraries and
# ask archives it moved the top language's probability by up to 0.11 (0.05 from 0.9 up) and changed the top
# language only where it led by 0.008. It is taken as it is when its top language is LANGUAGE_SURE + this or surer
# (no check would run either way); when it leads the next language by FIRST_WINDOW_LEAD, the chunk is decoded in
# it and the padded ID runs only if the decoding is long enough to be checked; otherwise the padded ID runs first.
FIRST_WINDOW_SURE_MARGIN = 0.1
FIRST_WINDOW_LEAD = 0.3


class FirstWindowLanguage:
    """While :meth:`installed`, ``model``'s language ID (faster-whisper's ``detect_language``, called by
    ``transcribe(language=None)``) looks at the first window's own frames and answers from them where that
    settles the language (see FIRST_WINDOW_LEAD above); :attr:`provisional` then says whether the padded ID
    may still be needed, which :meth:`padded` runs on the same features."""

    def __init__(self, model, sure: float = LANGUAGE_SURE):
        self.model = model
        self.sure = sure
        self.provisional = False
        self._features = None
        self._kwargs: dict = {}
        self._own = model.detect_language

    @contextlib.contextmanager
    def installed(self) -> Iterator[FirstWindowLanguage]:
        own = self._own
        shadowed = vars(self.model).get("detect_language")

        def detect(audio=None, features=None, **kwargs):
            if features is None:  # only transcribe's own call (features, never audio) is changed
                return own(audio=audio, features=features, **kwargs)
            self._features, self._kwargs, self.provisional = features, kwargs, False
            frames = self.model.feature_extractor.nb_max_frames
            content = features.shape[-1] - 1  # faster-whisper's features hold one frame past the audio
            if content >= frames or content < 1:  # the same 30 s either way; or no frame of the audio's own
                return own(features=features, **kwargs)
            found = own(features=features[..., :content], **kwargs)
            probs = [p for _, p in found[2]]
            lead = probs[0] - (probs[1] if len(probs) > 1 else 0.0)
            if found[1] >= self.sure + FIRST_WINDOW_SURE_MARGIN or lead >= FIRST_WINDOW_LEAD:
                self.provisional = found[1] < self.sure + FIRST_WINDOW_SURE_MARGIN
                return found
            return own(features=features, **kwargs)

        self.model.detect_language = detect
        try:
            yield self
        finally:
            if shadowed is None:
                del self.model.detect_language
            else:
                self.model.detect_language = shadowed

    def padded(self) -> tuple[str, float, list[tuple[str, float]]]:
        """faster-whisper's own language ID of the features the last detection saw (one encoder pass more)."""
        self.provisional = False
        return self._own(features=self._features, **self._kwargs)


def language_trial(audio: np.ndarray, segs: list) -> np.ndarray:
    """What the language check decodes of a chunk: all of it when it is at most ``LANGUAGE_TRIAL_S`` long, else
    that much from where its speech (``segs``, its decoding) starts, after a music intro, say."""
    n = int(LANGUAGE_TRIAL_S * SAMPLE_RATE)
    said = [s.start for s in segs if s.text.strip()]
    if audio.size <= n or not said:
        return audio[:n]
    start = max(0, int((min(said) - 0.5) * SAMPLE_RATE))
    return audio[start: start + n]


def worth_checking(detected_prob: float, tokens: int, sure: float = LANGUAGE_SURE) -> bool:
    """Whether a first decoding (``tokens`` long, timestamps included) whose language Whisper detected with
    probability ``detected_prob`` gets the check: detection below ``sure`` of at least
    ``LANGUAGE_CHECK_MIN_TOKENS`` tokens."""
    return detected_prob < sure and tokens >= LANGUAGE_CHECK_MIN_TOKENS


def choose_language(detected: str, tried: dict[str, DecodeConfidence | None],
                    margin: float = LANGUAGE_MARGIN) -> str:
    """The language a checked chunk is transcribed in: ``detected`` (Whisper's language ID, unsure), unless
    another language's trial decoding in ``tried`` is surer than its own (:meth:`DecodeConfidence.surer_than`
    by ``margin``); of those, the surest per token. A decoding stuck in a loop (None) never wins."""
    surer = {lang: c for lang, c in tried.items()
             if c is not None and lang != detected and c.surer_than(tried.get(detected), margin)}
    return max(surer, key=lambda lang: surer[lang].per_token) if surer else detected
