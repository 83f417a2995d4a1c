"""Fuse ranked hit lists with reciprocal rank fusion and group the hits into moments.

A moment is one video and a time span; hits of any modality that overlap (or nearly touch) in the same
video fall into one moment. A moment's score adds, for each hit list, the best fused contribution of that
list's hits inside it, so a moment found by speech and on-screen text outranks one found twice by speech.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    video_id: str
    start_s: float
    end_s: float
    modality: str  # "speech" | "ocr" | "visual"
    source: str  # which list found it, e.g. "speech:vector", "ocr:fts", "visual:fts"
    text: str | None
    raw_score: float  # similarity (vector) or BM25 (full text), for display and thresholds
    rank: int = 0
    fused: float = 0.0
    extra: dict = field(default_factory=dict)  # e.g. frame_idx, bbox_xyxy of a visual hit


@dataclass
class Moment:
    video_id: str
    start_s: float
    end_s: float
    score: float
    hits: list[Hit]
    video_path: str = ""

    @property
    def modalities(self) -> list[str]:
        return sorted({h.modality for h in self.hits}, key=["speech", "ocr", "visual"].index)

    def snippet(self, width: int = 160) -> str:
        parts = []
        for modality in self.modalities:
            best = max((h for h in self.hits if h.modality == modality and h.text), key=lambda h: h.fused,
                       default=None)
            if best is not None:
                parts.append(f"[{modality}] {best.text}")
        text = " | ".join(parts)
        return text if len(text) <= width else text[: width - 1] + "…"


def rrf(lists: dict[str, list[Hit]], weights: dict[str, float], k: int = 60) -> list[Hit]:
    """Give each hit ``weight / (k + rank)`` for its list (rank from 1); all hits, best first."""
    out: list[Hit] = []
    for source, hits in lists.items():
        w = weights.get(source, weights.get(source.split(":")[0], 1.0))
        for rank, hit in enumerate(hits, start=1):
            hit.rank = rank
            hit.fused = w / (k + rank)
            out.append(hit)
    return sorted(out, key=lambda h: -h.fused)


def group_moments(hits: list[Hit], gap_s: float = 0.0, max_len_s: float = 60.0) -> list[Moment]:
    """Greedy: best hit first, each joining an existing moment of its video it overlaps (spans closer than
    ``gap_s`` count as overlapping; merely touching ones do not) unless that would stretch the moment past
    ``max_len_s``. A moment's span is that of the hits that score it (the best of each list), so weak
    hits that joined it do not stretch it."""
    moments: list[Moment] = []
    for hit in hits:
        home = None
        for m in moments:
            if m.video_id != hit.video_id:
                continue
            if hit.start_s < m.end_s + gap_s and hit.end_s > m.start_s - gap_s:
                if max(m.end_s, hit.end_s) - min(m.start_s, hit.start_s) <= max_len_s:
                    home = m
                    break
        if home is None:
            moments.append(Moment(hit.video_id, hit.start_s, hit.end_s, 0.0, [hit]))
        else:
            home.hits.append(hit)
            home.start_s = min(home.start_s, hit.start_s)
            home.end_s = max(home.end_s, hit.end_s)
    for m in moments:
        best: dict[str, Hit] = {}
        for h in m.hits:  # hits arrive best first
            best.setdefault(h.source, h)
        m.score = sum(h.fused for h in best.values())
        m.start_s = min(h.start_s for h in best.values())
        m.end_s = max(h.end_s for h in best.values())
        m.hits = sorted(m.hits, key=lambda h: -h.fused)
    return sorted(moments, key=lambda m: -m.score)
