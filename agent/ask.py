"""Answer a question over the whole archive with cited, checked moments.

The planner picks the question's shape (lookup, compare, count, before/after; see :mod:`agent.planner`) and
runs its plan with the archive tools (:mod:`agent.tools`); a chat model that calls tools itself
(:mod:`agent.toolcall`) runs instead when asked. Either way every citation is checked against its window
(:mod:`agent.cite`) and only supported sentences are shown; ``dropped`` says how many were not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from videokb.agent.answerers import Answerer, AnswererError
from videokb.agent.cite import NOT_FOUND, Citation, Verifier
from videokb.agent.evidence import Window, mmss
from videokb.agent.plan import Plan, make_plan
from videokb.agent.planner import Outcome, Run, run_plan
from videokb.agent.tools import ArchiveTools, Step
from videokb.index import schema as S
from videokb.index.embedders import embedder_from_spec
from videokb.index.store import Store

logger = logging.getLogger(__name__)


@dataclass
class AskOptions:
    k: int = 6  # moments taken per search
    pad_s: float = 1.0  # each moment widens by this on both sides
    budget_tokens: int | None = None  # evidence the model reads, across windows (None: the answerer's own)
    max_windows: int | None = None
    keyframes_per_window: int = 2  # for answerers that see images
    edge_s: float = 30.0  # "at the start/end": at least this much of the video, or a quarter of it
    device: str = "auto"
    tool_calling: bool = False  # the model picks the tools itself (an OpenAI-compatible server's tool calling)
    max_tool_steps: int = 8


@dataclass
class AskResult:
    question: str
    answer: str
    found: bool
    partly_unsupported: bool  # some sentence of the draft was dropped: no citation of its holds
    draft: str
    citations: list[Citation]
    windows: list[Window]
    plan: Plan
    dropped: int = 0  # sentences of the draft not shown
    steps: list[Step] = field(default_factory=list)
    model_calls: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "partly_unsupported": self.partly_unsupported,
            "dropped": self.dropped,
            "shape": self.plan.shape,
            "draft": self.draft,
            "citations": [
                {"n": c.number, "video_id": c.window.video_id if c.window else None,
                 "video_path": c.window.video_path if c.window else None,
                 "start_s": round(c.window.start_s, 3) if c.window else None,
                 "end_s": round(c.window.end_s, 3) if c.window else None,
                 "supported": c.supported, "attributed": c.attributed, "sentence": c.sentence, "reason": c.reason}
                for c in self.citations
            ],
            "windows": [{"n": w.number, "video_id": w.video_id, "video_path": w.video_path,
                         "start_s": round(w.start_s, 3), "end_s": round(w.end_s, 3), "text": w.text()}
                        for w in self.windows],
            "plan": {"shape": self.plan.shape, "queries": self.plan.queries, "video_ids": self.plan.video_ids,
                     "notes": self.plan.notes},
            "steps": [s.to_json() for s in self.steps],
            "model_calls": self.model_calls,
            "seconds": round(self.seconds, 3),
        }


def retrieve(store: Store, plan: Plan, options: AskOptions, max_windows: int = 6,
             budget_tokens: int = 1200, with_keyframes: bool = False) -> list[Window]:
    """The evidence windows a lookup plan would give the model (for tests and tools)."""
    from videokb.agent.planner import lookup_windows

    tools = ArchiveTools(store, k=options.k, pad_s=options.pad_s, device=options.device)
    run = Run(tools, _NoModel(max_windows, budget_tokens, with_keyframes), None, k=options.k,
              edge_s=options.edge_s, budget_tokens=options.budget_tokens, max_windows=options.max_windows)
    if plan.shape == "adjacent":
        from videokb.agent.adjacent import adjacent_window

        w = adjacent_window(run, plan)
        return [w] if w is not None else []
    return lookup_windows(run, plan)


class _NoModel:
    def __init__(self, max_windows: int, budget_tokens: int, sees_images: bool) -> None:
        self.max_windows, self.budget_tokens, self.sees_images = max_windows, budget_tokens, sees_images


def _warm_up(answerer: Answerer) -> None:
    try:
        answerer.warm_up()
    except Exception as e:  # noqa: BLE001 - re-raised by stream() in the caller's thread
        logger.debug("loading %s in the background failed: %s", answerer.name, e)


def _verifier(store: Store, device: str) -> Verifier:
    spec = store.specs(S.SEGMENTS).get("vector") or store.specs(S.OCR_SPANS).get("vector")
    return Verifier(embedder_from_spec(spec, device))


def ask(store: Store, question: str, answerer: Answerer, options: AskOptions | None = None,
        on_token: Callable[[str], None] | None = None) -> AskResult:
    """Answer ``question`` from the archive in ``store``. ``on_token`` receives a lookup's unchecked draft as
    it streams (for a library caller's progress display; the answer is ``result.answer``)."""
    options = options or AskOptions()
    t_start = time.perf_counter()
    loading = None
    if answerer.loads_in_background:
        # Its failure is not lost: stream() loads again in this thread and raises there.
        loading = threading.Thread(target=_warm_up, args=(answerer,), name="answerer-warm-up", daemon=True)
        loading.start()
    tools = ArchiveTools(store, k=options.k, pad_s=options.pad_s, device=options.device)
    try:
        videos = tools.videos()
        plan = make_plan(question, [(v.video_id, v.video_path) for v in videos])
        tools._record("plan", {"shape": plan.shape}, "; ".join(plan.notes) or "lookup")
        if not videos:
            return AskResult(question, NOT_FOUND, False, False, "", [], [], plan, steps=tools.steps,
                             seconds=time.perf_counter() - t_start)
        verifier = _verifier(store, options.device)
        run = Run(tools, answerer, verifier, k=options.k, edge_s=options.edge_s,
                  keyframes_per_window=options.keyframes_per_window, budget_tokens=options.budget_tokens,
                  max_windows=options.max_windows, on_token=on_token, loading=loading)
        if options.tool_calling:
            if not answerer_calls_tools(answerer):
                raise AnswererError(f"the {answerer.name} answerer cannot call tools: use --answerer "
                                    "openai-compatible with a server that supports tool calling")
            from videokb.agent.toolcall import run_with_tools

            out: Outcome = run_with_tools(run, plan, max_steps=options.max_tool_steps)
        else:
            out = run_plan(run, plan)
    finally:
        if loading is not None:
            loading.join()  # never leave it loading native code while the interpreter shuts down
    return AskResult(question, out.answer, out.found, out.dropped > 0, out.draft, out.citations, out.windows, plan,
                     dropped=out.dropped, steps=tools.steps, model_calls=run.model_calls,
                     seconds=time.perf_counter() - t_start)


def answerer_calls_tools(answerer: Answerer) -> bool:
    """Whether this answerer can pick the archive tools itself (an OpenAI-compatible chat server)."""
    return getattr(answerer, "name", "") == "openai-compatible"


def describe_citation(c: Citation) -> str:
    w = c.window
    where = f"{Path(w.video_path).name!r} {mmss(w.start_s)}-{mmss(w.end_s)}" if w else "(no such window)"
    return f"[{c.number}] {where}  {'supported' if c.supported else 'NOT supported: ' + c.reason}" + \
        ("  (attributed)" if c.attributed else "")


__all__ = ["AskOptions", "AskResult", "ask", "describe_citation", "retrieve"]
