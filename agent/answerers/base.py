"""The Answerer interface: a model that writes an answer from a question and numbered evidence windows.

Answerers are the ``answerer`` kind of the one backend registry (:mod:`videokb.index.backends`): each is
built from its config dataclass, imported only when chosen, and loads its weights on first use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from videokb.index.backends import BackendError, backend_names, create_backend, register_backend


class AnswererError(RuntimeError):
    """An answering model could not be loaded or reached; the message says what to do."""


@dataclass
class Evidence:
    """What an answerer receives: the question, the numbered windows as text, and their keyframes."""

    question: str
    windows_text: str  # "[1] video.mp4 00:10-00:25\nspeech 00:11: ...\nscreen 00:10: ...\n\n[2] ..."
    n_windows: int
    images: list = field(default_factory=list)  # (window number, PIL image) for models that see pictures
    # The windows themselves (agent.evidence.Window) and the index they come from, for answerers that read
    # the windows' stored visual tokens (the projector answerer); text-only answerers ignore them.
    windows: list = field(default_factory=list)
    store: Any = None
    # The windows' own lines (a screen line's items apart): an extractive model may copy only from these.
    sources: list[str] = field(default_factory=list)


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


def answerer_names() -> list[str]:
    return backend_names("answerer")


def register(name: str, target: str) -> None:
    """Register an answerer as ``"module:Class"`` in this process (plugins use the ``videokb.backends`` entry points)."""
    register_backend("answerer", name, target)


def create_answerer(name: str, **options) -> Answerer:
    """Build answerer ``name`` from its config's fields (``options``); weights load on first use."""
    try:
        return create_backend("answerer", name, **options)
    except BackendError as e:
        raise AnswererError(str(e)) from e
