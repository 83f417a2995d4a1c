"""Vector searches that stay exact enough once a column has an ANN index, and cost nothing without one.

Searches against an IVF-PQ index must re-rank on the stored vectors: PQ distances are approximate (off by
0.2-0.8 in cosine distance on test data), which would both miss neighbours and move hits across the
``min_similarity`` floors. :func:`nearest` (pylance) and :func:`vector_query` (LanceDB) build a search with
those settings; :mod:`index.maintenance` decides when the indexes are built.

How many IVF partitions a search reads is bounded on both sides. Lance probes at least ``minimum_nprobes``,
raised by its own early-pruning rule (for k > 10: every partition whose centroid lies within 81 x the nearest
centroid's distance), and past the minimum only while a prefilter left too few rows. On 384-d vectors that rule
probed 106 of the 122 partitions of 1M segments for the 100 candidates a search takes (bench/search.py), two
thirds of a whole search's time, where a third of them found as many planted neighbours. So an unfiltered search
probes between :func:`nprobes` and :func:`max_nprobes` partitions; a filtered one keeps no upper bound, so that
one video's rows, which sit in a few partitions, still fill its limit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from videokb.index.maintenance import IVF_PQ_PARTITION_ROWS

if TYPE_CHECKING:
    from lancedb.query import LanceVectorQueryBuilder
    from lancedb.table import Table

__all__ = ["MAX_PROBE_SHARE", "NPROBES", "PROBE_SHARE", "REFINE_FACTOR", "max_nprobes", "nearest", "nprobes",
           "vector_query"]

# IVF partitions searched first (at least), and how many candidates per wanted hit are re-ranked on the stored
# vectors.
NPROBES = 20
REFINE_FACTOR = 5
# Share of a table's IVF partitions searched first. On bench/search.py's planted neighbours recall follows the
# share probed, not the count: 20 of the 1,220 partitions of 10M 64-d region vectors found 0.96 of them (100:
# 0.976, 196: 0.993, 300: 0.999), and a larger refine factor changed nothing (the misses sit in partitions not
# probed). The share is taken of the partitions index.maintenance builds (one per ~8,192 rows); a table with fewer
# partitions than asked (IVF_HNSW_SQ, a fresh index) is searched whole.
PROBE_SHARE = 0.16
# Share of the partitions an unfiltered search probes at most, whatever Lance's early pruning asks for. On the
# planted neighbours of 1M 384-d segments (122 partitions), recall@10 by partitions probed: 20: 0.978, 30: 0.991,
# 40: 0.998, 60: 0.9995, 106 (Lance's pruning, no bound): 1.0; p50 of a search of 500 candidates 14 ms at 20
# probes, 17 at 40, 23 at 60, 33 at 106. At 10M 64-d regions the pruning keeps to the minimum (196), under this.
MAX_PROBE_SHARE = 1 / 3


def _partitions(rows: int) -> float:
    return rows / IVF_PQ_PARTITION_ROWS


def nprobes(rows: int | None) -> int:
    """Partitions to probe first in a column of ``rows`` vectors (None: unknown, the minimum)."""
    if rows is None:
        return NPROBES
    return max(NPROBES, math.ceil(PROBE_SHARE * _partitions(rows)))


def max_nprobes(rows: int | None) -> int | None:
    """Partitions an unfiltered search of ``rows`` vectors probes at most (None: unknown, no bound)."""
    if rows is None:
        return None
    return max(nprobes(rows), math.ceil(MAX_PROBE_SHARE * _partitions(rows)))


def vector_query(table: Table, vector, column: str, rows: int | None = None,
                 filtered: bool = False) -> LanceVectorQueryBuilder:
    """A cosine search of ``column`` that stays exact enough with an ANN index, and costs nothing without.

    Candidates are re-ranked on the stored vectors, so ``_distance`` is the true cosine distance that the
    similarity floors are set against. ``rows``: the table's row count, which sets how many partitions are
    probed (:func:`nprobes` at least, :func:`max_nprobes` at most). ``filtered``: the caller adds a ``where``
    prefilter; then partitions past the first are searched until the ``limit`` is met (one video's rows sit in
    a few partitions), so a filtered search still returns its ``limit``.
    """
    bound = None if filtered else max_nprobes(rows)
    return (
        table.search(np.asarray(vector, dtype=np.float32), vector_column_name=column)
        .distance_type("cosine")
        .minimum_nprobes(nprobes(rows))
        .maximum_nprobes(bound or 0)  # 0: no bound
        .refine_factor(REFINE_FACTOR)
    )


def nearest(column: str, vector, k: int, rows: int | None = None, filtered: bool = False,
            refine_factor: int = REFINE_FACTOR) -> dict:
    """The same search as :func:`vector_query`, as pylance's ``nearest`` argument (``dataset.to_table``);
    ``refine_factor``: candidates re-ranked on the stored vectors per hit asked for."""
    search = {"column": column, "q": np.asarray(vector, dtype=np.float32), "k": k, "metric": "cosine",
              "minimum_nprobes": nprobes(rows), "refine_factor": refine_factor}
    bound = None if filtered else max_nprobes(rows)
    if bound is not None:
        search["maximum_nprobes"] = bound
    return search
