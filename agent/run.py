"""What a plan works with (:class:`Run`: the archive tools, the answering model, the citation check and the
counters the result reports) and what it gives back (:class:`Outcome`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from videokb.agent.answerers import Answerer, Evidence
from videokb.agent.cite import Citation, Verifier, as_digits
from videokb.agent.evidence import Window
from videokb.agent.kinds import measure_sources
from videokb.agent.splice import whole_words
from videokb.agent.tools import ArchiveTools
from videokb.retrieval import Moment


@dataclass
class Outcome:
    answer: str
    found: bool
    citations: list[Citation]
    windows: list[Window]
    draft: str = ""
    dropped: int = 0
    # the plan's "not found" is the answer, not a failure to read the question: no other plan is tried (the
    # slide named is its video's last, so nothing is said after it)
    final: bool = False


@dataclass
class Run:
    """What a plan works with: the tools, the model, the check, and the counters the result reports."""

    tools: ArchiveTools
    answerer: Answerer
    verifier: Verifier
    k: int = 6
    edge_s: float = 30.0
    keyframes_per_window: int = 2
    budget_tokens: int | None = None
    max_windows: int | None = None
    on_token: Callable[[str], None] | None = None
    model_calls: int = 0
    loading: threading.Thread | None = None  # the model loading while the first searches run

    # -- the model, once per call -------------------------------------------------------------------
    def generate(self, question: str, windows: list[Window], stream: bool = False) -> str:
        if self.loading is not None:
            self.loading.join()
            self.loading = None
        if self.answerer.best_window_last:
            windows = windows[::-1]
        images = []
        if self.answerer.sees_images:
            import io

            from PIL import Image

            images = [(w.number, Image.open(io.BytesIO(jpeg))) for w in windows for _, jpeg in w.keyframes]
        sources = measure_sources(question, [item for w in windows for ln in w.lines for item in ln.text.split(" | ")])
        # A number said in words may be copied as digits ("Eight planets" -> "8"): the check reads both.
        sources += [d for d in (as_digits(x) for x in sources) if d not in sources]
        evidence = Evidence(question, "\n\n".join(w.text() for w in windows), len(windows), images,
                            windows=windows, store=self.tools.store, sources=sources)
        self.model_calls += 1
        pieces = []
        for piece in self.answerer.stream(evidence):
            pieces.append(piece)
            if stream and self.on_token:
                self.on_token(piece)
        # A copy the model ended inside a word ("to show the other" of "... the others where ...") is completed
        # to that word: the check reads whole words.
        draft = whole_words("".join(pieces).strip(), [ln.text for w in windows for ln in w.lines])
        self.tools._record("model", {"question": question, "windows": len(windows)}, draft or "(nothing)")
        return draft

    def windows(self, moments: list[Moment], ranges: dict[str, tuple[float, float]] | None = None) -> list[Window]:
        return self.tools.windows(
            moments, budget_tokens=self.budget_tokens or self.answerer.budget_tokens,
            max_windows=self.max_windows or self.answerer.max_windows, time_ranges=ranges,
            keyframes_per_window=self.keyframes_per_window if self.answerer.sees_images else 0)


__all__ = ["Outcome", "Run"]
