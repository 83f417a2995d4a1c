"""Corrections to hits' similarities that the searcher makes in the query's text space before
:mod:`retrieval.scoring` groups and scores them: each needs vectors (the row's stored ones, fixed probe or
label-name encodings) that scoring itself never reads.

- :func:`disagreement` (``w_agree``): speech whose transcript and English translation say different things;
- :func:`dehub` (``w_hub``): speech that sits near any query at all (:mod:`index.hubness`);
- :func:`label_names` (``w_label_names``): a classifier label row also counts by its best sure label alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from videokb.index.hubness import hub_scores
from videokb.index.label_names import parse_labels
from videokb.retrieval.moments import Hit
from videokb.retrieval.scoring import TEXT_SPACE_VISUAL


def disagreement(hits: list[Hit], weight: float, floor: float) -> None:
    """Lower each speech hit that carries an English translation by ``weight`` x how far the cosine between
    its transcript's vector and its translation's falls below ``floor``. Whisper writes both readings of the
    same audio; where it heard and translated the speech, they say the same thing in two languages
    (multilingual-e5: 0.87 to 0.93 on a dev library's rows about right both ways), and where it did not, they part:
    espeak German it could not make out became "Kindan txjaren txaren kainan haintbit" and "I am really glad to
    have met you here today." (0.76). Such a segment sits near many queries by either reading; the disagreement
    says at least one reading is wrong. Hits without both vectors keep theirs."""
    for h in hits:
        v, v_en = h.extra.get("vector"), h.extra.get("vector_en")
        if v is not None and v_en is not None:
            h.extra["agreement"] = agreement = float(np.dot(v, v_en))
            h.extra["similarity"] -= weight * max(0.0, floor - agreement)


def dehub(hits: list[Hit], probes: np.ndarray, query_vector: np.ndarray, weight: float) -> None:
    """Lower each hit's similarity by ``weight`` x how far its hub score (:func:`index.hubness.hub_scores`:
    how near its vector sits to random-word probe queries) stands above the median of the hits' scores. A hit
    matched through its English translation is judged by the translation's vector. Hits without a stored
    vector keep theirs."""
    scored = [h for h in hits if h.extra.get("vector") is not None]
    if not scored:
        return
    # A row found by several lists (vector and full text) is one product with the probes, not several.
    rows: dict[tuple, int] = {}
    vectors, index = [], []
    for h in scored:
        v, v_en = h.extra["vector"], h.extra.get("vector_en")
        en = v_en is not None and float(np.dot(v_en, query_vector)) > float(np.dot(v, query_vector))
        key = (h.video_id, h.start_s, h.end_s, h.text, en)
        if key not in rows:
            rows[key] = len(vectors)
            vectors.append(v_en if en else v)
        index.append(rows[key])
    hubs = hub_scores(np.stack(vectors), probes)[index]
    median = float(np.median(hubs))
    for h, hub in zip(scored, hubs):
        h.extra["hub"] = float(hub)
        h.extra["similarity"] -= weight * (float(hub) - median)


def label_names(hits: list[Hit], vectors: Callable[[list[str]], dict[str, np.ndarray]], query_vector: np.ndarray,
                weight: float, min_score: float) -> None:
    """Mix into each label row's similarity its best single label's cosine with the query:
    ``(1 - weight) x similarity + weight x max cos(query, name)`` over its labels scored at least ``min_score``
    (``vectors``: name -> its passage vector, :func:`index.label_names.name_vectors`). Rows without a stored
    vector or without a sure label keep theirs."""
    chosen = {id(h): [n for n, s in parse_labels(h.text) if s >= min_score]
              for h in hits if h.source in TEXT_SPACE_VISUAL and h.extra.get("vector") is not None}
    names = sorted({n for ns in chosen.values() for n in ns})
    if not names:
        return
    vecs = vectors(names)
    best = {n: float(np.dot(vecs[n], query_vector)) for n in names}
    for h in hits:
        if chosen.get(id(h)):
            h.extra["label_name"] = max(best[n] for n in chosen[id(h)])
            h.extra["similarity"] = (1.0 - weight) * h.extra["similarity"] + weight * h.extra["label_name"]
