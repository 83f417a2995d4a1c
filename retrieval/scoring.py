"""Score moments from the similarities of their hits, not from their ranks in many lists.

Every hit, whichever list found it (a vector search or the full-text index), carries its cosine similarity
with the query in the index's text space. A moment's score starts from the best of those (plus a per-list
offset: classifier labels are weaker evidence), so the moment holding the single best-matching sentence or
slide leads, as in ranking each stored segment alone; agreement across lists cannot lift a weak match over a
strong one. Bonuses, with weights fitted on a train split (:mod:`index.search_config`), then add:

- ``bm25``: the best full-text (BM25) score inside the moment, over the best of its list, so rare words
  (a name, a number) count;
- ``phrase``: the share of the query's adjacent word pairs found adjacent in the moment's text (proximity);
- ``video``: the share of the query's words found anywhere in the moment's video (its title slide, its other
  sentences), each word weighted by how few candidate videos hold it, so "marketing team budget" prefers
  the budget sentence of the video whose title says marketing over the same sentence in the sales meeting;
- ``rerank``: for the top moments, the cosine of the query with the moment's whole text as one passage, so
  the model reads the query and the moment together. The passage vector is the normalised sum of the stored
  vectors of the moment's hits (no encoding at search time); a caller whose hits carry no vectors passes
  ``embed_passages`` and the moment's text is encoded instead.

A moment's bounds are the spans of the hits that match about as well as its best one, not a window that
weaker neighbours widen.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np

from videokb.index.search_config import SearchSettings
from videokb.retrieval.moments import Hit, Moment

# A hit within this much cosine of a moment's best hit is evidence of the same moment and sets its bounds.
EVIDENCE_MARGIN = 0.01
# Visual lists whose rows live in the text space (classifier labels embedded as text); other visual lists
# (regions, clips) are in an image space.
TEXT_SPACE_VISUAL = ("visual:label_vector", "visual:fts")


def dense(hit: Hit, settings: SearchSettings) -> float:
    return hit.extra["similarity"] + settings.offsets.get(hit.source, 0.0) - hit.extra.get("baseline", 0.0)


def _space(hit: Hit) -> str:
    """The list family whose similarities share a scale: a modality's vector and full-text lists hold the
    same rows (one cosine each); labels, regions and clips are each their own."""
    if hit.modality in ("speech", "ocr"):
        return hit.modality
    return "labels" if hit.source in TEXT_SPACE_VISUAL else hit.source


def calibrate(hits: list[Hit], weight: float) -> None:
    """Shift each list family's similarities by ``weight`` x the median similarity of its vector list for this
    query (stored on each hit as ``baseline``): an embedder puts a query at a different typical cosine from
    sentences, slide words and label lists (multilingual-e5: ~0.78, ~0.76, ~0.75), so a label that stands out
    among labels can beat a sentence that is merely typical among sentences."""
    by_space: dict[str, list[float]] = defaultdict(list)
    for h in hits:
        if not h.source.endswith(":fts"):
            by_space[_space(h)].append(h.extra["similarity"])
    medians = {k: float(np.median(v)) for k, v in by_space.items()}
    for h in hits:
        h.extra["baseline"] = weight * medians.get(_space(h), 0.0)


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


def video_coverage(query: str, hits: list[Hit]) -> dict[str, float]:
    """video id -> weighted share of the query's words that its hits contain, each word weighted by BM25's
    IDF over the candidate videos (log(1 + (N - n + 0.5) / (n + 0.5)), n of the N videos holding it), so a
    word every candidate video says ("the", "team" among four team meetings) counts next to nothing and the
    word only one video says counts most."""
    words = set(_tokens(query))
    found: dict[str, set[str]] = {h.video_id: set() for h in hits}
    for h in hits:
        for text in (h.text, h.extra.get("text_en")):
            if text:
                found[h.video_id] |= words.intersection(_tokens(text))
    n_videos = len(found)
    df = Counter(w for ws in found.values() for w in ws)
    idf = {w: math.log(1 + (n_videos - n + 0.5) / (n + 0.5)) for w, n in df.items()}
    total = sum(idf.values())
    return {v: sum(idf[w] for w in ws) / total for v, ws in found.items()} if total else {}


def moment_vector(m: Moment, single_only: bool = False) -> np.ndarray | None:
    """The normalised sum of the distinct text-space vectors the moment's hits carry (their stored row vectors
    and, for translated speech, the translation's); None when a text hit carries none or no hit is text.
    ``single_only``: only for a moment of one text, whose stored vector is exactly that text's passage vector
    (None otherwise)."""
    vecs: dict[tuple, np.ndarray] = {}
    for h in m.hits:
        for key, name in (("text", "vector"), ("text_en", "vector_en")):
            text = h.text if key == "text" else h.extra.get("text_en")
            if not text or (h.modality == "visual" and h.source not in TEXT_SPACE_VISUAL):
                continue
            if h.extra.get(name) is None:
                return None
            vecs.setdefault((h.modality, h.start_s, text), np.asarray(h.extra[name], dtype=np.float32))
    if not vecs or (single_only and {text for _, _, text in vecs} != {moment_text(m)}):
        return None
    v = np.sum(list(vecs.values()), axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


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
                  embed_passages: Callable[[list[str]], np.ndarray] | None, query_vector: np.ndarray | None,
                  rerank_encode: bool = False) -> list[Moment]:
    """Moments for the hits, best first, each with ``score`` and ``extra``-style features on its hits."""
    if settings.w_calibrate:
        calibrate(hits, settings.w_calibrate)
    best_fts: dict[str, float] = {}
    for h in hits:
        if h.source.endswith(":fts"):
            best_fts[h.source] = max(best_fts.get(h.source, 0.0), h.raw_score)
    moments = group(hits, settings, max_len_s)
    coverage = video_coverage(query, hits) if settings.w_video else {}
    for m in moments:
        top = max(dense(h, settings) for h in m.hits)
        evidence = [h for h in m.hits if dense(h, settings) >= top - EVIDENCE_MARGIN]
        m.start_s, m.end_s = min(h.start_s for h in evidence), max(h.end_s for h in evidence)
        bm25 = max((h.raw_score / best_fts[h.source] for h in m.hits if h.source in best_fts), default=0.0)
        m.score = top + settings.w_bm25 * bm25 + settings.w_phrase * phrase_score(query, moment_text(m)) \
            + settings.w_video * coverage.get(m.video_id, 0.0)
        for h in m.hits:
            h.fused = dense(h, settings)
        m.hits.sort(key=lambda h: -h.fused)
    moments.sort(key=lambda m: -m.score)
    if settings.w_rerank and query_vector is not None and moments:
        head, tail = moments[: settings.rerank_top], moments[settings.rerank_top:]
        # Encoding reads a moment's texts together; a moment of one text needs no encoding either way.
        vecs = [moment_vector(m, single_only=rerank_encode) for m in head]
        todo = [i for i, v in enumerate(vecs) if v is None]  # image-only moments, hits read without vectors
        if todo:
            if embed_passages is None:
                raise ValueError("rerank needs the hits' stored vectors or a passage encoder")
            for i, v in zip(todo, embed_passages([moment_text(head[i]) for i in todo])):
                vecs[i] = v
        sims = np.stack(vecs) @ query_vector
        for m, s in zip(head, sims):
            m.score += settings.w_rerank * float(s)
        head.sort(key=lambda m: -m.score)
        moments = head + tail
    return moments
