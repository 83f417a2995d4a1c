"""Answer a question over the whole archive with cited, checked moments.

plan (searches + filters) -> retrieve moments -> widen to evidence windows within a token budget ->
the answerer writes an answer citing windows as [n] -> every citation is checked against its window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videokb.agent.answerers import Answerer, Evidence
from videokb.agent.cite import NOT_FOUND, Citation, Verifier
from videokb.agent.evidence import Window, fill_windows, merge_windows, mmss
from videokb.agent.plan import Plan, fold, make_plan
from videokb.index import schema as S
from videokb.index.embedders import embedder_from_spec
from videokb.index.store import Store
from videokb.retrieval import Moment, SearchOptions, Searcher

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


@dataclass
class AskResult:
    question: str
    answer: str
    found: bool
    partly_unsupported: bool
    draft: str
    citations: list[Citation]
    windows: list[Window]
    plan: Plan

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "partly_unsupported": self.partly_unsupported,
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
            "plan": {"queries": self.plan.queries, "video_ids": self.plan.video_ids, "notes": self.plan.notes},
        }


def _time_ranges(plan: Plan, searcher: Searcher, durations: dict[str, float], edge_s: float,
                 video_ids: list[str]) -> dict[str, tuple[float, float]] | None:
    if plan.after_topic:
        opts = SearchOptions(k=1, modalities=("ocr", "speech"), video_ids=plan.video_ids)
        topic = Searcher(searcher.store, opts).search(plan.after_topic)
        if not topic:
            return {}
        return {topic[0].video_id: (topic[0].end_s, durations[topic[0].video_id])}
    if plan.when is None:
        return None
    out = {}
    for v in video_ids:
        d = durations[v]
        span = max(edge_s, d / 4)
        out[v] = (0.0, min(d, span)) if plan.when == "start" else (max(0.0, d - span), d)
    return out


def retrieve(store: Store, plan: Plan, options: AskOptions, max_windows: int = 6,
             budget_tokens: int = 1200, with_keyframes: bool = False) -> list[Window]:
    videos = store.videos().to_pylist()
    durations = {v["video_id"]: v["duration_s"] or 0.0 for v in videos}
    searcher = Searcher(store, SearchOptions(k=options.k, video_ids=plan.video_ids, device=options.device))
    moments: list[Moment] = []
    for query in plan.queries:
        moments.extend(searcher.search(query))
    moments.sort(key=lambda m: -m.score)
    ranges = _time_ranges(plan, searcher, durations, options.edge_s, plan.video_ids or list(durations))
    windows = merge_windows(moments, durations, options.pad_s, ranges)
    return fill_windows(store, windows, budget_tokens=options.budget_tokens or budget_tokens,
                        max_windows=options.max_windows or max_windows,
                        keyframes_per_window=options.keyframes_per_window if with_keyframes else 0)


def _final_answer(draft: str, citations: list[Citation]) -> tuple[str, bool, bool]:
    """(answer with only supported markers, found, partly unsupported)."""
    if fold(draft).strip(" .\n").startswith(NOT_FOUND) or not any(c.supported for c in citations):
        return NOT_FOUND, False, False
    parts, partly = [], False
    for sentence in dict.fromkeys(c.sentence for c in citations):
        marks = [c for c in citations if c.sentence == sentence]
        good = sorted({c.number for c in marks if c.supported})
        partly |= any(not c.supported for c in marks) or not good
        parts.append(sentence + "".join(f" [{n}]" for n in good))
    return " ".join(parts), True, partly


def _warm_up(answerer: Answerer) -> None:
    try:
        answerer.warm_up()
    except Exception as e:  # noqa: BLE001 - re-raised by stream() in the caller's thread
        logger.debug("loading %s in the background failed: %s", answerer.name, e)


def ask(store: Store, question: str, answerer: Answerer, options: AskOptions | None = None,
        on_token: Callable[[str], None] | None = None) -> AskResult:
    """Answer ``question`` from the archive in ``store``; ``on_token`` receives the draft as it streams."""
    options = options or AskOptions()
    loading = None
    if answerer.loads_in_background:
        # Its failure is not lost: stream() loads again in this thread and raises there.
        loading = threading.Thread(target=_warm_up, args=(answerer,), name="answerer-warm-up", daemon=True)
        loading.start()
    try:
        videos = store.videos().to_pylist()
        plan = make_plan(question, [(v["video_id"], v["video_path"]) for v in videos])
        windows = (retrieve(store, plan, options, answerer.max_windows, answerer.budget_tokens,
                            answerer.sees_images) if videos else [])
    finally:
        if loading is not None:
            loading.join()  # never leave it loading native code while the interpreter shuts down
    if not windows:
        return AskResult(question, NOT_FOUND, False, False, "", [], [], plan)
    if answerer.best_window_last:
        windows = windows[::-1]
        for i, w in enumerate(windows, 1):
            w.number = i
    images = []
    if answerer.sees_images:
        import io

        from PIL import Image

        images = [(w.number, Image.open(io.BytesIO(jpeg))) for w in windows for _, jpeg in w.keyframes]
    evidence = Evidence(question, "\n\n".join(w.text() for w in windows), len(windows), images)
    pieces = []
    for piece in answerer.stream(evidence):
        pieces.append(piece)
        if on_token:
            on_token(piece)
    draft = "".join(pieces).strip()
    spec = store.specs(S.SEGMENTS).get("vector") or store.specs(S.OCR_SPANS).get("vector")
    verifier = Verifier(embedder_from_spec(spec, options.device))
    _, citations = verifier.check(question, draft, windows)
    answer, found, partly = _final_answer(draft, citations)
    return AskResult(question, answer, found, partly, draft, citations, windows, plan)


def describe_citation(c: Citation) -> str:
    w = c.window
    where = f"{Path(w.video_path).name} {mmss(w.start_s)}-{mmss(w.end_s)}" if w else "(no such window)"
    return f"[{c.number}] {where}  {'supported' if c.supported else 'NOT supported: ' + c.reason}" + \
        ("  (attributed)" if c.attributed else "")


__all__ = ["AskOptions", "AskResult", "ask", "describe_citation", "retrieve"]
