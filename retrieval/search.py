"""Search the index: per-modality vector and full-text search, fused into ranked moments.

Query encoders are rebuilt from what each table records about the embedder that filled it, so a query is
always encoded into the space it is compared with (and a mismatch fails loudly).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from videokb.index import schema as S
from videokb.index.embedders import ImageEmbedder, TextEmbedder, embedder_from_spec
from videokb.index.query import nearest
from videokb.index.store import Store
from videokb.retrieval.moments import Hit, Moment, group_moments, rrf

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

MODALITIES = ("speech", "ocr", "visual")


class SearchError(ValueError):
    """A query that cannot run as asked (no index, unknown video, unsupported modality...)."""


@dataclass
class SearchOptions:
    k: int = 10
    modalities: tuple[str, ...] = MODALITIES
    video_ids: list[str] | None = None
    per_list: int = 50  # candidates taken from each ranked list before fusion
    rrf_k: int = 60
    # Classifier labels are weak evidence next to what was said or written; image-text vectors are not.
    weights: dict[str, float] = field(default_factory=lambda: {"visual:label_vector": 0.5, "visual:fts": 0.5})
    # A ranked list always has a first item; below these cosine similarities (MiniLM text spaces) a hit is
    # noise, and letting it vote in the fusion would push unrelated moments up.
    min_similarity: dict[str, float] = field(
        default_factory=lambda: {"speech:vector": 0.2, "ocr:vector": 0.2, "visual:label_vector": 0.2}
    )
    gap_s: float = 0.0
    max_moment_s: float = 60.0
    device: str = "auto"

    def __post_init__(self) -> None:
        bad = [m for m in self.modalities if m not in MODALITIES]
        if bad:
            raise SearchError(f"unknown modality {', '.join(bad)}; choose from {', '.join(MODALITIES)}")
        if self.k < 1 or self.per_list < 1:
            raise SearchError("k and per_list must be >= 1")


def _where(video_ids: list[str] | None) -> str | None:
    if not video_ids:
        return None
    return "video_id IN (" + ", ".join("'" + v.replace("'", "''") + "'" for v in video_ids) + ")"


def _fts_query(text: str) -> str:
    # The full-text parser treats punctuation as syntax; words and numbers are what we match on.
    return " ".join(re.findall(r"\w+", text))


class Searcher:
    """Runs searches against one store; reuse it across queries to keep the query encoders loaded and each
    query's vectors encoded once (tables are opened afresh per search, so it sees new ingests)."""

    def __init__(self, store: Store, options: SearchOptions | None = None) -> None:
        self.store = store
        self.options = options or SearchOptions()
        self._query_vectors: dict[tuple, np.ndarray] = {}  # one encoding per (space, text), not per table

    # -- public -------------------------------------------------------------------------------------
    def search(self, query: str | None = None, image: Image.Image | None = None) -> list[Moment]:
        if (query is None) == (image is None):
            raise SearchError("give a text query or an image, not both or neither")
        if query is not None and not query.strip():
            raise SearchError("the query is empty")
        live = self.store.live_attempts()
        if not live:
            raise SearchError(f"the index at {self.store.uri} has no videos yet: run `videokb ingest` first")
        lists = self._text_lists(query) if query is not None else self._image_lists(image)
        floor = self.options.min_similarity
        lists = {
            src: [h for h in hits if live.get(h.video_id) == h.extra.pop("ingest_id")
                  and h.raw_score >= floor.get(src, float("-inf"))][: self.options.per_list]
            for src, hits in lists.items()
        }
        fused = rrf({s: h for s, h in lists.items() if h}, self.options.weights, self.options.rrf_k)
        moments = group_moments(fused, self.options.gap_s, self.options.max_moment_s)[: self.options.k]
        paths = dict(zip(*(self.store.videos().column(c).to_pylist() for c in ("video_id", "video_path"))))
        for m in moments:
            m.video_path = paths.get(m.video_id, "")
        return moments

    # -- lists --------------------------------------------------------------------------------------
    def _text_lists(self, query: str) -> dict[str, list[Hit]]:
        o = self.options
        lists: dict[str, list[Hit]] = {}
        for modality, table_name in (("speech", S.SEGMENTS), ("ocr", S.OCR_SPANS)):
            if modality not in o.modalities or (table := self._dataset(table_name)) is None:
                continue
            qvec = self._embed(self._text_embedder(table_name, "vector"), query)
            lists[f"{modality}:vector"] = self._vector_hits(table, qvec, "vector", modality, "text")
            lists[f"{modality}:fts"] = self._fts_hits(table, query, "text", modality)
        if "visual" in o.modalities:
            kf = self._dataset(S.KEYFRAMES)
            if kf is not None and "label_vector" in self.store.specs(S.KEYFRAMES):
                qvec = self._embed(self._text_embedder(S.KEYFRAMES, "label_vector"), query)
                lists["visual:label_vector"] = self._vector_hits(
                    kf, qvec, "label_vector", "visual", "labels", extra_where="labels IS NOT NULL"
                )
                lists["visual:fts"] = self._fts_hits(kf, query, "labels", "visual")
            for name in self.store.regions_tables():
                emb = self._image_embedder(name)
                if emb.has_text_tower:
                    qvec = emb.embed_query_texts([query])[0]
                    lists[f"visual:{name}"] = self._region_hits(name, qvec)
        return lists

    def _image_lists(self, image: Image.Image) -> dict[str, list[Hit]]:
        if "visual" not in self.options.modalities:
            raise SearchError("an image query searches the visual modality; include it in --modality")
        names = self.store.regions_tables()
        if not names:
            raise SearchError("no visual vectors are indexed (was ingest run with --visual none?)")
        return {f"visual:{name}": self._region_hits(name, self._image_embedder(name).encode_query_image(image))
                for name in names}

    # -- searches -----------------------------------------------------------------------------------
    def _dataset(self, table_name: str):
        """The table as a Lance dataset at its latest version: searched with pylance's own vector and full-text
        search (the same rows and scores as LanceDB's query builder, which wraps them)."""
        return self.store.dataset(table_name)

    def _vector_hits(self, table, qvec: np.ndarray, column: str, modality: str, text_col: str,
                     extra_where: str | None = None) -> list[Hit]:
        where = " AND ".join(w for w in (_where(self.options.video_ids), extra_where) if w) or None
        rows = table.to_table(
            nearest=nearest(column, qvec, self.options.per_list * 2),
            filter=where, prefilter=True,
            columns=["video_id", "ingest_id", "start_s", "end_s", text_col, "_distance"],
        ).to_pylist()
        return [
            Hit(r["video_id"], r["start_s"], r["end_s"], modality, f"{modality}:{column}", r[text_col],
                1.0 - float(r["_distance"]), extra={"ingest_id": r["ingest_id"]})
            for r in rows
        ]

    def _fts_hits(self, table, query: str, column: str, modality: str) -> list[Hit]:
        text = _fts_query(query)
        if not text:
            return []
        rows = table.to_table(
            full_text_query={"query": text, "columns": [column]}, filter=_where(self.options.video_ids),
            prefilter=True, columns=["video_id", "ingest_id", "start_s", "end_s", column, "_score"],
            limit=self.options.per_list * 2,
        ).to_pylist()
        return [
            Hit(r["video_id"], r["start_s"], r["end_s"], modality, f"{modality}:fts", r[column],
                float(r["_score"]), extra={"ingest_id": r["ingest_id"]})
            for r in rows
        ]

    def _region_hits(self, table_name: str, qvec: np.ndarray) -> list[Hit]:
        """Best region per keyframe, so one frame's many regions do not fill the list."""
        cols = ["video_id", "ingest_id", "frame_idx", "t_s", "start_s", "end_s", "kind", "bbox_xyxy", "labels",
                "_distance"]
        rows = self._dataset(table_name).to_table(
            nearest=nearest("vector", qvec, self.options.per_list * 8),
            filter=_where(self.options.video_ids), prefilter=True, columns=cols,
        ).to_pylist()
        seen: set[tuple[str, str, int]] = set()
        hits: list[Hit] = []
        for r in rows:
            key = (r["video_id"], r["ingest_id"], r["frame_idx"])
            if key in seen:
                continue
            seen.add(key)
            text = r["labels"] or f"{r['kind']} region at {r['t_s']:.1f}s"
            hits.append(Hit(r["video_id"], r["start_s"], r["end_s"], "visual", f"visual:{table_name}", text,
                            1.0 - float(r["_distance"]),
                            extra={"ingest_id": r["ingest_id"], "frame_idx": r["frame_idx"],
                                   "bbox_xyxy": list(r["bbox_xyxy"]), "kind": r["kind"]}))
        return hits

    # -- encoders -----------------------------------------------------------------------------------
    def _embed(self, embedder: TextEmbedder, text: str) -> np.ndarray:
        key = (embedder.name, embedder.model_id, text)
        if key not in self._query_vectors:
            self._query_vectors[key] = embedder.embed(text)
        return self._query_vectors[key]

    def _text_embedder(self, table_name: str, column: str) -> TextEmbedder:
        spec = self.store.specs(table_name).get(column)
        if spec is None:
            raise SearchError(f"table {table_name!r} does not record which embedder made {column!r}")
        return embedder_from_spec(spec, self.options.device)

    def _image_embedder(self, table_name: str) -> ImageEmbedder:
        spec = self.store.specs(table_name).get("vector")
        if spec is None:
            raise SearchError(f"table {table_name!r} does not record which embedder made its vectors")
        return embedder_from_spec(spec, self.options.device)


def resolve_videos(store: Store, refs: list[str]) -> list[str]:
    """Video ids for references that are an id, a unique id prefix, or a unique part of a file path."""
    t = store.videos()
    rows = list(zip(t.column("video_id").to_pylist(), t.column("video_path").to_pylist()))
    out = []
    for ref in refs:
        exact = [v for v, _ in rows if v == ref]
        matches = exact or [v for v, p in rows if v.startswith(ref)] or [v for v, p in rows if ref in p]
        if len(matches) != 1:
            what = "no indexed video matches" if not matches else f"{len(matches)} videos match"
            raise SearchError(f"{what} {ref!r}; give a video id (see `videokb videos`) or a unique part of its path")
        out.append(matches[0])
    return out


def search(store: Store, query: str | None = None, image: Image.Image | None = None,
           options: SearchOptions | None = None) -> list[Moment]:
    """Ranked moments for a text query or an example picture."""
    return Searcher(store, options).search(query, image)
