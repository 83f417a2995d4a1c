"""The stored visual tokens of a time window, as the projector answerer and the trainers read them.

Per window: the HiCo clip tokens of the clips it overlaps, chosen by the question where the clip space has
a text tower (SigLIP2: :func:`videokb.retrieval.clips.select_tokens` with the question's vector), else by
each clip's own pooled vector (EfficientNet has no text tower: the tokens most typical of the clip). Tokens
come grouped per clip with its time span, so the prompt can put ``clip mm:ss-mm:ss:`` before them.

Region vectors (grid cells and OCR boxes of the window's keyframes, ``regions_<space>``, the same space as
the clips) are chosen the same way in the region space: nearest the question's vector where the space reads
text, else nearest the window's mean region (the most typical ones); grouped per keyframe with its time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from videokb.index.embedders import EmbedderError, embedder_from_spec
from videokb.index.schema import CLIPS_PREFIX, REGIONS_PREFIX
from videokb.index.store import Store
from videokb.retrieval.clips import select_tokens

logger = logging.getLogger(__name__)


@dataclass
class ClipTokens:
    video_id: str
    clip_idx: int
    start_s: float
    end_s: float
    vectors: np.ndarray  # (n, dim), in time order


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def clips_table(store: Store, name: str | None = None) -> str:
    """The clips table to read (``name``, else the only / first one); an error names the choices."""
    tables = store.clips_tables()
    if not tables:
        raise EmbedderError(f"the index {store.uri} has no HiCo clip tokens (no clips_* table): ingest with a "
                            "visual model")
    if name is None:
        return tables[0]
    if name not in tables:
        raise EmbedderError(f"no clips table {name!r} in {store.uri}; choose one of {', '.join(tables)}")
    return name


def encoder_space(store: Store, table: str) -> dict:
    """The image embedder spec (name, model_id, dim) that made ``table``'s tokens."""
    spec = store.specs(table).get("tokens")
    if spec is None:
        raise EmbedderError(f"{table} in {store.uri} records no embedder for its tokens")
    return spec.to_json()


def _top_k(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    q = np.atleast_2d(query).astype(np.float32)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    scores = (vectors @ q.T).max(1)
    keep = np.sort(np.argsort(-scores, kind="stable")[:k])  # the best k, in their stored (time) order
    return vectors[keep]


def clip_rows(store: Store, table: str, video_ids: set[str] | None = None, k: int = 8,
              where: str | None = None) -> Iterator[ClipTokens]:
    """Every live clip entry of ``table`` (of ``video_ids``), each with its ``k`` most typical tokens."""
    live = store.live_attempts()
    ds = store.dataset(table)
    cols = ["video_id", "ingest_id", "clip_idx", "start_s", "end_s", "tokens", "vector"]
    for r in ds.to_table(columns=cols, filter=where).to_pylist():
        if live.get(r["video_id"]) != r["ingest_id"] or (video_ids is not None and r["video_id"] not in video_ids):
            continue
        vecs = np.asarray(r["tokens"], dtype=np.float32)
        yield ClipTokens(r["video_id"], r["clip_idx"], r["start_s"], r["end_s"],
                         _top_k(vecs, np.asarray(r["vector"], dtype=np.float32), k))


def window_clips(store: Store, table: str, video_id: str, start_s: float, end_s: float, question: str | None,
                 k: int = 8, device: str = "cpu") -> list[ClipTokens]:
    """The clip tokens of ``video_id`` in [start_s, end_s], grouped per clip in time order (``k`` in all when
    the space reads text and there is a question, else ``k`` per clip, the most typical of it)."""
    spec = store.specs(table).get("tokens")
    emb = embedder_from_spec(spec, device) if spec is not None else None
    if question and emb is not None and emb.has_text_tower:
        chosen = select_tokens(store, table, video_id, start_s, end_s, emb.embed_query_texts([question]), k)
        groups: dict[int, list] = {}
        for t in chosen:
            groups.setdefault(t.clip_idx, []).append(t)
        return [ClipTokens(video_id, idx, min(t.start_s for t in ts), max(t.end_s for t in ts),
                           np.stack([t.vector for t in ts])) for idx, ts in sorted(groups.items())]
    live = store.live_attempts().get(video_id)
    if live is None:
        return []
    where = (f"video_id = {_quote(video_id)} AND ingest_id = {_quote(live)} AND start_s < {float(end_s)!r} "
             f"AND end_s > {float(start_s)!r}")
    return sorted(clip_rows(store, table, {video_id}, k, where), key=lambda c: c.start_s)


@dataclass
class RegionTokens:
    video_id: str
    t_s: float  # the keyframe's time
    vectors: np.ndarray  # (n, dim), in stored (region) order


def regions_table_for(store: Store, clips_table_name: str) -> str | None:
    """The regions table of the same image space as ``clips_table_name`` (None when the index has none)."""
    name = REGIONS_PREFIX + clips_table_name[len(CLIPS_PREFIX):]
    return name if name in store.regions_tables() else None


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def window_regions(store: Store, table: str | None, video_id: str, start_s: float, end_s: float,
                   question: str | None, k: int = 4, device: str = "cpu") -> list[RegionTokens]:
    """``k`` region vectors (grid cells and OCR boxes; whole frames are not regions) of ``video_id``'s keyframes
    in [start_s, end_s): the nearest to the question where the space reads text, else to the window's mean
    region; grouped per keyframe in time order. ``table`` None (no regions table) or ``k`` 0: none."""
    if table is None or k < 1:
        return []
    live = store.live_attempts().get(video_id)
    if live is None:
        return []
    where = (f"video_id = {_quote(video_id)} AND ingest_id = {_quote(live)} AND t_s >= {float(start_s)!r} "
             f"AND t_s < {float(end_s)!r} AND kind <> 'frame'")
    rows = store.dataset(table).to_table(columns=["t_s", "region_idx", "vector"], filter=where).to_pylist()
    if not rows:
        return []
    vecs = _unit(np.stack([np.asarray(r["vector"], dtype=np.float32) for r in rows]))
    spec = store.specs(table).get("vector")
    emb = embedder_from_spec(spec, device) if spec is not None and question else None
    if emb is not None and emb.has_text_tower:
        query = _unit(emb.embed_query_texts([question]))
    else:
        query = _unit(vecs.mean(0))
    scores = (vecs @ query.T).max(1)
    best = sorted(np.argsort(-scores, kind="stable")[:k], key=lambda i: (rows[i]["t_s"], rows[i]["region_idx"]))
    groups: dict[float, list[int]] = {}
    for i in best:
        groups.setdefault(rows[i]["t_s"], []).append(i)
    return [RegionTokens(video_id, t, np.stack([np.asarray(rows[i]["vector"], dtype=np.float32) for i in idx]))
            for t, idx in groups.items()]


__all__ = ["ClipTokens", "RegionTokens", "clip_rows", "clips_table", "encoder_space", "regions_table_for",
           "window_clips", "window_regions"]
