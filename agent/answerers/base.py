"""The Answerer interface: a model that writes an answer from a question and numbered evidence windows.

Backends register under a short name and are imported only when chosen; weights load on first use.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar


class AnswererError(RuntimeError):
    """An answering model could not be loaded or reached; the message says what to do."""


@dataclass
class Evidence:
    """What an answerer receives: the question, the numbered windows as text, and their keyframes."""

    question: str
    windows_text: str  # "[1] video.mp4 00:10-00:25\nspeech 00:11: ...\nscreen 00:10: ...\n\n[2] ..."
    n_windows: int
    images: list = field(default_factory=list)  # (window number, PIL image) for models that see pictures


class Answerer(ABC):
    name: ClassVar[str]
    sees_images: ClassVar[bool] = False
    #: ``warm_up`` is safe to run in a thread while retrieval runs (its loading releases the GIL, and imports
    #: nothing that retrieval imports at the same time: transformers' lazy imports fail when raced).
    loads_in_background: ClassVar[bool] = False
    #: Small models read best what comes just before the question: they get the best window last.
    best_window_last: ClassVar[bool] = False
    #: How much evidence the model reads well: windows, and tokens across them.
    max_windows: ClassVar[int] = 6
    budget_tokens: ClassVar[int] = 1200

    @abstractmethod
    def stream(self, evidence: Evidence) -> Iterator[str]:
        """Yield the answer text in pieces as it is generated; it cites windows as [n]."""

    def answer(self, evidence: Evidence) -> str:
        return "".join(self.stream(evidence))

    def warm_up(self) -> None:
        """Load weights now (e.g. in a thread while retrieval runs); a no-op for remote models."""


_BACKENDS: dict[str, str] = {
    "gemma-270m": "videokb.agent.answerers.gemma:GemmaAnswerer",
    "openai-compatible": "videokb.agent.answerers.remote:OpenAICompatibleAnswerer",
    "ollama": "videokb.agent.answerers.remote:OllamaAnswerer",
    "transformers-vlm": "videokb.agent.answerers.vlm:TransformersVlmAnswerer",
}


def answerer_names() -> list[str]:
    return sorted(_BACKENDS)


def register(name: str, target: str) -> None:
    _BACKENDS[name] = target


def create_answerer(name: str, **options) -> Answerer:
    try:
        target = _BACKENDS[name]
    except KeyError:
        raise AnswererError(f"unknown answerer {name!r}; choose one of {', '.join(answerer_names())}") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)(**options)
