"""HiCo clip tokens at query time: late-interaction (MaxSim) search, and query-guided token selection.

Search: the query becomes a set of vectors in the clip table's space (an image's patch tokens; a text
query's one vector where the space is text-aligned) and each clip entry is scored by MaxSim, the ColBERT
late interaction: for each query vector its best match among the clip's tokens, summed. LanceDB's
multivector columns do exactly this (cosine; its ``_distance`` is ``n_query - sum of best cosines``); we
report the mean best cosine, in [-1, 1].

Selection: for a retrieved window, the K tokens most similar to the query, with their boxes, spans and
sizes, in time order: the video-level compression guided by the user's question that the answerer reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from videokb.index import schema as S
from videokb.index.datasets import OpenDatasets
from videokb.index.embedders import EmbedderError, ImageEmbedder
from videokb.index.store import Store
from videokb.retrieval.moments import Hit

if TYPE_CHECKING:
    from lance import LanceDataset
    from PIL import Image

logger = logging.getLogger(__name__)

__all__ = ["SelectedToken", "clip_hits", "clip_lists", "query_tokens", "select_tokens"]

_COLS = ["video_id", "ingest_id", "clip_idx", "start_s", "end_s", "n_tokens", "n_merged"]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _unit(q: np.ndarray) -> np.ndarray:
    q = np.atleast_2d(np.asarray(q, dtype=np.float32))
    return q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)


def clip_hits(store: Store, table_name: str, query: np.ndarray, limit: int, where: str | None = None,
              dataset: LanceDataset | None = None) -> list[Hit]:
    """Clip entries of ``table_name`` ranked by MaxSim against ``query`` (n_query, dim), best first; ``dataset``:
    the table already open (a searcher's kept handle), else it is opened here."""
    q = _unit(query)
    ds = dataset if dataset is not None else store.dataset(table_name)
    if ds is None:
        return []
    rows = ds.to_table(
        nearest={"column": "tokens", "q": q, "k": limit, "metric": "cosine"},
        filter=where, prefilter=True, columns=[*_COLS, "_distance"],
    ).to_pylist()
    hits = []
    for r in rows:
        score = (len(q) - float(r["_distance"])) / len(q)
        text = f"clip {r['start_s']:.1f}-{r['end_s']:.1f}s ({r['n_tokens']} tokens)"
        hits.append(Hit(r["video_id"], r["start_s"], r["end_s"], "visual", f"visual:{table_name}", text, score,
                        extra={"ingest_id": r["ingest_id"], "clip_idx": r["clip_idx"], "similarity": score}))
    return hits


def query_tokens(embedder: ImageEmbedder, text: str | None = None, image: Image.Image | None = None) -> np.ndarray:
    """The query as vectors in the embedder's image space: an image's tokens, or a text's vector when the
    model has a text tower (raises EmbedderError when it has none)."""
    if (text is None) == (image is None):
        raise ValueError("give a text or an image, not both or neither")
    if image is not None:
        return embedder.encode_query_tokens(image)
    return embedder.embed_query_texts([text])


def clip_lists(store: Store, embedder_for: Callable[[str], ImageEmbedder], *, text: str | None = None,
               image: Image.Image | None = None, limit: int = 100, where: str | None = None,
               datasets: OpenDatasets | None = None) -> dict[str, list[Hit]]:
    """One ranked list per clips table: always for an image; for text only where the space is text-aligned.
    ``datasets``: the caller's open tables (a searcher's), else each table is opened here."""
    lists: dict[str, list[Hit]] = {}
    names = store.clips_tables() if datasets is None else [n for n in datasets.names() if n.startswith(S.CLIPS_PREFIX)]
    for name in names:
        emb = embedder_for(name)
        if text is not None and not emb.has_text_tower:
            continue
        ds = datasets.get(name) if datasets is not None else None
        lists[f"visual:{name}"] = clip_hits(store, name, query_tokens(emb, text, image), limit, where, dataset=ds)
    return lists


@dataclass
class SelectedToken:
    video_id: str
    clip_idx: int
    start_s: float  # the span the token stands for
    end_s: float
    bbox_xyxy: list[float]
    size: int  # patches it stands for
    score: float  # its best cosine similarity to a query vector
    vector: np.ndarray


def select_tokens(store: Store, table_name: str, video_id: str, start_s: float, end_s: float, query: np.ndarray,
                  k: int) -> list[SelectedToken]:
    """The ``k`` tokens of the live clip entries of ``video_id`` whose spans overlap [start_s, end_s] that are
    most similar to the query vectors, returned in time order (what the answerer is fed for that window)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    ds = store.dataset(table_name)
    if ds is None:
        raise EmbedderError(f"no clips table {table_name!r} in {store.uri}; choose one of {store.clips_tables()}")
    live = store.live_attempts().get(video_id)
    if live is None:
        return []
    where = (f"video_id = {_quote(video_id)} AND ingest_id = {_quote(live)} AND start_s < {float(end_s)!r} "
             f"AND end_s > {float(start_s)!r}")
    cols = ["clip_idx", "tokens", "token_bbox_xyxy", "token_start_s", "token_end_s", "token_sizes"]
    q = _unit(query)
    found: list[SelectedToken] = []
    for r in ds.to_table(filter=where, columns=cols).to_pylist():
        vecs = np.asarray(r["tokens"], dtype=np.float32)
        scores = (vecs @ q.T).max(1)
        for j, (t0, t1) in enumerate(zip(r["token_start_s"], r["token_end_s"])):
            if t0 < end_s and t1 > start_s:
                found.append(SelectedToken(video_id, r["clip_idx"], t0, t1, list(r["token_bbox_xyxy"][j]),
                                           r["token_sizes"][j], float(scores[j]), vecs[j]))
    best = sorted(found, key=lambda s: -s.score)[:k]
    return sorted(best, key=lambda s: (s.start_s, s.clip_idx))
