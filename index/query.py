"""Vector searches that stay exact enough once a column has an ANN index, and cost nothing without one.

Searches against an IVF-PQ index must re-rank on the stored vectors: PQ distances are approximate (off by
0.2-0.8 in cosine distance on test data), which would both miss neighbours and move hits across the
``min_similarity`` floors. :func:`nearest` (pylance) and :func:`vector_query` (LanceDB) build a search with
those settings; :mod:`index.maintenance` decides when the indexes are built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lancedb.query import LanceVectorQueryBuilder
    from lancedb.table import Table

__all__ = ["NPROBES", "REFINE_FACTOR", "nearest", "vector_query"]

# IVF partitions searched first, and how many candidates per wanted hit are re-ranked on the stored vectors.
NPROBES = 20
REFINE_FACTOR = 5


def vector_query(table: Table, vector, column: str) -> LanceVectorQueryBuilder:
    """A cosine search of ``column`` that stays exact enough with an ANN index, and costs nothing without.

    Candidates are re-ranked on the stored vectors, so ``_distance`` is the true cosine distance that the
    similarity floors are set against. Partitions past the first ``NPROBES`` are searched only when those
    held too few rows passing a ``where`` prefilter (one video's rows sit in a few partitions), so a
    filtered search still returns its ``limit``.
    """
    return (
        table.search(np.asarray(vector, dtype=np.float32), vector_column_name=column)
        .distance_type("cosine")
        .minimum_nprobes(NPROBES)
        .maximum_nprobes(0)
        .refine_factor(REFINE_FACTOR)
    )


def nearest(column: str, vector, k: int) -> dict:
    """The same search as :func:`vector_query`, as pylance's ``nearest`` argument (``dataset.to_table``)."""
    return {"column": column, "q": np.asarray(vector, dtype=np.float32), "k": k, "metric": "cosine",
            "minimum_nprobes": NPROBES, "refine_factor": REFINE_FACTOR}  # no maximum: as many as it takes
