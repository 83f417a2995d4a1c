"""Score moments from the similarities of their hits, not from their ranks in many lists.

Every hit, whichever list found it (a vector search or the full-text index), carries its cosine similarity
with the query in the index's text space. A moment's score starts from the best of those (plus a per-list
offset: classifier labels are weaker evidence), so the moment holding the single best-matching sentence or
slide leads, as in ranking each stored segment alone; agreement across lists cannot lift a weak match over a
strong one. Bonuses, with weights fitted on a train split (:mod:`index.search_config`), then add:

- ``bm25``: the best full-text (BM25) score inside the moment, over the best of its list, so rare words
  (a name, a number) count;
- ``phrase``: the share of the query's adjacent word pairs found adjacent in the moment's text (proximity);
- ``rerank``: for the top moments, the cosine of the query with the moment's whole text embedded as one
  passage, so the model reads the query and the moment together.

A moment's bounds are the spans of the hits that match about as well as its best one, not a window that
weaker neighbours widen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from videokb.index.search_config import SearchSettings
from videokb.retrieval.moments import Hit, Moment

# A hit within this much cosine of a moment's best hit is evidence of the same moment and sets its bounds.
EVIDENCE_MARGIN = 0.01


def dense(hit: Hit, settings: SearchSettings) -> float:
    return hit.extra["similarity"] + settings.offsets.get(hit.source, 0.0)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def phrase_score(query: str, text: str) -> float:
    """Share of the query's adjacent word pairs that occur adjacent in ``text`` (one-word queries: the word)."""
    q, t = _tokens(query), _tokens(text)
    if not q or not t:
        return 0.0
    if len(q) == 1:
        return float(q[0] in t)
    pairs = set(zip(t, t[1:]))
    return sum((a, b) in pairs for a, b in zip(q, q[1:])) / (len(q) - 1)


def moment_text(m: Moment) -> str:
    seen: list[str] = []
    for h in m.hits:
        for text in (h.text, h.extra.get("text_en")):
            if text and text not in seen:
                seen.append(text)
    return " ".join(seen)


def group(hits: list[Hit], settings: SearchSettings, max_len_s: float) -> list[Moment]:
    """Hits of a video that overlap in time form a moment (best hit first; a moment is never stretched past
    ``max_len_s``)."""
    moments: list[Moment] = []
    for hit in sorted(hits, key=lambda h: -dense(h, settings)):
        home = None
        for m in moments:
            if m.video_id == hit.video_id and hit.start_s < m.end_s and hit.end_s > m.start_s \
                    and max(m.end_s, hit.end_s) - min(m.start_s, hit.start_s) <= max_len_s:
                home = m
                break
        if home is None:
            moments.append(Moment(hit.video_id, hit.start_s, hit.end_s, 0.0, [hit]))
        else:
            home.hits.append(hit)
            home.start_s, home.end_s = min(home.start_s, hit.start_s), max(home.end_s, hit.end_s)
    return moments


def score_moments(query: str, hits: list[Hit], settings: SearchSettings, max_len_s: float,
                  embed_passages: Callable[[list[str]], np.ndarray] | None, query_vector: np.ndarray | None
                  ) -> list[Moment]:
    """Moments for the hits, best first, each with ``score`` and ``extra``-style features on its hits."""
    best_fts: dict[str, float] = {}
    for h in hits:
        if h.source.endswith(":fts"):
            best_fts[h.source] = max(best_fts.get(h.source, 0.0), h.raw_score)
    moments = group(hits, settings, max_len_s)
    for m in moments:
        top = max(dense(h, settings) for h in m.hits)
        evidence = [h for h in m.hits if dense(h, settings) >= top - EVIDENCE_MARGIN]
        m.start_s, m.end_s = min(h.start_s for h in evidence), max(h.end_s for h in evidence)
        bm25 = max((h.raw_score / best_fts[h.source] for h in m.hits if h.source in best_fts), default=0.0)
        m.score = top + settings.w_bm25 * bm25 + settings.w_phrase * phrase_score(query, moment_text(m))
        for h in m.hits:
            h.fused = dense(h, settings)
        m.hits.sort(key=lambda h: -h.fused)
    moments.sort(key=lambda m: -m.score)
    if settings.w_rerank and embed_passages is not None and query_vector is not None and moments:
        head, tail = moments[: settings.rerank_top], moments[settings.rerank_top:]
        sims = embed_passages([moment_text(m) for m in head]) @ query_vector
        for m, s in zip(head, sims):
            m.score += settings.w_rerank * float(s)
        head.sort(key=lambda m: -m.score)
        moments = head + tail
    return moments
