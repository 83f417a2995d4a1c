"""The whole text search of this checkout beside the one of a git ref, on an index `bench/search.py --keep` left:
interleaved queries in one process (so machine load hits both alike), the same moments asserted for every
query, then p50/p95 wall time and CPU time per search for each.

    python bench/search.py --sizes 100000 --keep              # once: builds ~/.cache/videokb-bench/search/n100000
    python bench/search_ab.py --ref main --index ~/.cache/videokb-bench/search/n100000

``index/query.py``, ``retrieval/clips.py``, ``retrieval/lexical.py``, ``retrieval/corrections.py``,
``retrieval/scoring.py`` and ``retrieval/search.py`` are loaded as they are at ``--ref`` (the rest of the
package is this checkout's); scoring settings are the bench's (floor off,
reranker on), as in bench/search.py. ``--differ-ok`` counts the queries whose moments differ instead of
stopping at the first: for a change that trades exactness for speed (the ANN's probes), whose recall
bench/search.py measures on planted neighbours; the synthetic queries have none, so their moments are near-ties
that any ANN setting reorders.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

from videokb.index.store import Store

current = importlib.import_module("videokb.retrieval.search")  # the package exports a search() too
ROOT = Path(__file__).resolve().parent.parent


# Loaded at the ref, in this order; each imports the ones before it as they are at the ref.
REF_MODULES = (("query", "index/query.py", "videokb.index.query"), ("clips", "retrieval/clips.py",
               "videokb.retrieval.clips"), ("lexical", "retrieval/lexical.py", "videokb.retrieval.lexical"),
               ("corrections", "retrieval/corrections.py", "videokb.retrieval.corrections"),
               ("scoring", "retrieval/scoring.py", "videokb.retrieval.scoring"),
               ("search", "retrieval/search.py", "videokb.retrieval.search"))
# Modules a ref may predate (split out of scoring.py later): skipped there.
OPTIONAL = {"lexical", "corrections"}


def load_ref(ref: str) -> types.ModuleType:
    """retrieval/search.py at ``ref``, importing index/query.py, retrieval/clips.py, lexical.py, corrections.py and
    scoring.py at ``ref`` too."""
    mods = {}
    for name, path, module in REF_MODULES:
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=name not in OPTIONAL,
                               capture_output=True, text=True)
        if shown.returncode:
            continue
        src = shown.stdout
        for other, _, other_module in REF_MODULES:
            src = src.replace(f"from {other_module} import", f"from videokb_ref_{other} import")
        mod_name = f"videokb_ref_{name}"
        spec = importlib.util.spec_from_loader(mod_name, loader=None)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = mod
        exec(compile(src, f"{ref}:{path}", "exec"), mod.__dict__)
        mods[name] = mod
    return mods["search"]


def key(moments) -> list[tuple]:
    return [(m.video_id, round(m.start_s, 3), round(m.end_s, 3), round(m.score, 5)) for m in moments]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--ref", default="main")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--modalities", default="speech,ocr")
    ap.add_argument("--query-file", type=Path, help="a JSON list of {'text': ...} (bench/quality.py's queries.json) "
                    "instead of the synthetic queries; searched with the settings the index records")
    ap.add_argument("--differ-ok", action="store_true", help="count queries whose moments differ, do not stop")
    args = ap.parse_args()
    store = Store(args.index)
    if args.query_file:
        import json

        queries = [q["text"] for q in json.loads(args.query_file.read_text())][: args.queries]
        settings = None
    else:
        vocab = [f"w{i}" for i in range(5000)]
        queries = [f"{vocab[i]} {vocab[i * 7 % 5000]} meeting about the budget {i}" for i in range(args.queries)]
        settings = dataclasses.replace(store.search_settings(), min_similarity=-1.0, w_rerank=0.25)
    ref = load_ref(args.ref)
    searchers = {}
    for label, mod in (("ref", ref), ("this", current)):
        opts = mod.SearchOptions(k=10, modalities=tuple(args.modalities.split(",")), device="cpu", settings=settings)
        searchers[label] = mod.Searcher(Store(args.index), opts)
        searchers[label].search("warm up query")
    wall = {k: [] for k in searchers}
    cpu = {k: [] for k in searchers}
    differ = 0
    for i, query in enumerate(queries):
        found = {}
        for label in (("ref", "this") if i % 2 else ("this", "ref")):
            t, c = time.perf_counter(), time.process_time()
            found[label] = searchers[label].search(query)
            wall[label].append(time.perf_counter() - t)
            cpu[label].append(time.process_time() - c)
        if key(found["ref"]) != key(found["this"]):
            differ += 1
            if args.differ_ok:
                continue
            raise SystemExit(f"query {query!r}: different moments\n ref  {key(found['ref'])}\n this "
                             f"{key(found['this'])}")
    for label in searchers:
        w, c = 1000 * np.array(wall[label]), 1000 * np.array(cpu[label])
        print(f"{label:>4} ({args.ref if label == 'ref' else 'checkout'}): wall p50 {np.percentile(w, 50):6.1f} ms "
              f"p95 {np.percentile(w, 95):6.1f} ms | CPU p50 {np.percentile(c, 50):6.1f} ms")
    print(f"same moments on {len(queries) - differ} of {len(queries)} queries; p50 ratio ref/this "
          f"{np.percentile(wall['ref'], 50) / np.percentile(wall['this'], 50):.2f}x")


if __name__ == "__main__":
    main()
