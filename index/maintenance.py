"""Keep the index fast as the library grows: ANN and full-text indexes, compaction, old versions.

Below ``MaintenancePolicy.vector_index_min_rows`` a vector column is searched by a flat scan, which is exact
and fast enough; past it the column gets an ANN index (IVF-PQ by default, cosine like every query). Rows
appended after an index was built are still found, because Lance scans the rows no index covers (vectors
exactly, text with the index's tokenizer); :func:`maintain` folds them into the indexes once there are enough
of them to slow searches down. Full-text indexes are created as soon as a text table has rows, since a
full-text query needs one, and are then updated incrementally the same way instead of rebuilt.

:func:`optimize` is the heavier, explicit step (``videokb optimize``): it merges small fragments, folds every
unindexed row and every index delta in, and deletes old table versions.

Searches that stay exact with these indexes are built in :mod:`index.query`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from videokb.index import schema as S
from videokb.index.failpoints import hit

if TYPE_CHECKING:
    from lancedb.table import Table

    from videokb.index.store import Store

__all__ = [
    "DEFAULT_KEEP_VERSIONS",
    "IndexState",
    "MaintenanceAction",
    "MaintenancePolicy",
    "TableReport",
    "create_fts_index",
    "maintain",
    "num_sub_vectors",
    "optimize",
    "refresh_fts",
]

logger = logging.getLogger(__name__)

VectorIndexType = Literal["IVF_PQ", "IVF_HNSW_SQ"]
# Rows per IVF partition: Lance's own targets, which its index updates also split and merge towards
# (index.query probes a share of the partitions, counted from this).
IVF_PQ_PARTITION_ROWS = 8192
IVF_HNSW_PARTITION_ROWS = 1_048_576

# Old versions kept by `optimize`. Lance's default is 7 days, which would make `videokb optimize` reclaim no
# space for a week after a re-ingest. Nothing in videokb reads an old version on purpose (no time travel;
# every handle moves to the latest version before each read), so the window only has to outlast a query or
# an ingest step that started on a version just before the cleanup; an hour is far beyond both. Files of a
# write still in progress are safe whatever the window: they belong to no version yet, and cleanup leaves
# such files alone until they are 7 days old (``delete_unverified=False``).
DEFAULT_KEEP_VERSIONS = timedelta(hours=1)


@dataclass
class MaintenancePolicy:
    """When to build and update indexes; the defaults suit a library, tests lower them."""

    # A flat scan of this many vectors takes tens of milliseconds; past it an ANN index pays for itself.
    vector_index_min_rows: int = 100_000
    # IVF-PQ keeps ~dim/8 bytes a vector (a few GB for tens of millions of region vectors); IVF_HNSW_SQ
    # has better recall before re-ranking but keeps ~dim bytes plus a graph a vector.
    vector_index_type: VectorIndexType = "IVF_PQ"
    partition_rows: int | None = None  # rows per IVF partition; None: Lance's targets (see above)
    pq_subvector_dim: int = 8  # dims per PQ sub-vector (dim / num_sub_vectors)
    # Rows an index does not cover are scanned on every query; fold them in once they reach this many, or
    # this fraction of the indexed rows, whichever is fewer.
    fold_in_rows: int = 10_000
    fold_in_fraction: float = 0.05

    def __post_init__(self) -> None:
        # PQ trains 256 centroids per sub-vector: fewer rows than that cannot train it.
        if self.vector_index_min_rows < 256:
            raise ValueError(f"vector_index_min_rows must be >= 256, not {self.vector_index_min_rows}")
        if self.vector_index_type not in ("IVF_PQ", "IVF_HNSW_SQ"):
            raise ValueError(f"vector_index_type must be IVF_PQ or IVF_HNSW_SQ, not {self.vector_index_type!r}")
        if self.partition_rows is not None and self.partition_rows < 1:
            raise ValueError("partition_rows must be >= 1")
        if self.pq_subvector_dim < 1 or self.fold_in_rows < 1 or not 0 < self.fold_in_fraction <= 1:
            raise ValueError("pq_subvector_dim and fold_in_rows must be >= 1, fold_in_fraction in (0, 1]")

    def rows_per_partition(self) -> int:
        if self.partition_rows is not None:
            return self.partition_rows
        return IVF_PQ_PARTITION_ROWS if self.vector_index_type == "IVF_PQ" else IVF_HNSW_PARTITION_ROWS

    def should_fold_in(self, indexed: int, unindexed: int) -> bool:
        return unindexed >= max(1, min(self.fold_in_rows, math.ceil(self.fold_in_fraction * indexed)))


@dataclass
class MaintenanceAction:
    """What :func:`maintain` did to one indexed column."""

    table: str
    column: str
    kind: Literal["vector", "fts"]
    action: Literal["created", "folded_in", "up_to_date", "pending", "below_threshold"]
    rows: int  # rows the column has values in
    unindexed_rows: int  # after the action
    detail: str = ""


@dataclass
class IndexState:
    name: str
    column: str
    index_type: str
    indexed_rows: int
    unindexed_rows: int
    segments: int  # the index and its deltas; optimize merges them into one


@dataclass
class TableReport:
    """One table before and after :func:`optimize`."""

    table: str
    rows_before: int
    rows_after: int
    fragments_before: int
    fragments_after: int
    versions_removed: int
    bytes_before: int | None  # on disk, with old versions; None for a remote store
    bytes_after: int | None
    indexes: list[IndexState] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def num_sub_vectors(dim: int, subvector_dim: int = 8) -> int:
    """PQ sub-vectors for ``dim``: the most that divide it with at least ``subvector_dim`` dims each."""
    return next((n for n in range(max(1, dim // subvector_dim), 0, -1) if dim % n == 0), 1)


# -- maintain -------------------------------------------------------------------------------------------
def maintain(store: Store, policy: MaintenancePolicy | None = None) -> list[MaintenanceAction]:
    """Create the indexes tables have grown into and fold new rows into existing ones; run after ingest."""
    policy = policy or MaintenancePolicy()
    actions: list[MaintenanceAction] = []
    for name in store.table_names():
        table = store.db.open_table(name)
        indexes = _indexes_by_column(table)
        to_fold: list[str] = []
        for column, dim in _vector_columns(table).items():
            act = _maintain_vector(name, table, column, dim, indexes.get(column), policy)
            if act.action == "pending":
                to_fold.append(indexes[column].name)
            actions.append(act)
        for column in store.fts_columns(name, table.schema.names):
            act = _maintain_fts(store, name, table, column, indexes.get(column), policy)
            if act.action == "pending":
                to_fold.append(indexes[column].name)
            actions.append(act)
        if to_fold:
            _fold_in(table, to_fold)
            for act in actions:
                if act.table == name and act.action == "pending":
                    act.action, act.unindexed_rows = "folded_in", 0
    for act in actions:
        if act.action in ("created", "folded_in"):
            logger.info("%s.%s: %s %s index (%d rows) %s", act.table, act.column, act.action, act.kind,
                        act.rows, act.detail)
    return actions


def _vector_columns(table: Table) -> dict[str, int]:
    """Vector column -> width, for the columns whose embedder the table records."""
    names = set(table.schema.names)
    return {col: spec.dim for col, spec in S.embedder_specs(table.schema).items() if col in names}


def _indexes_by_column(table: Table) -> dict:
    return {ix.columns[0]: ix for ix in table.list_indices() if len(ix.columns) == 1}


def _maintain_vector(name: str, table: Table, column: str, dim: int, index, policy: MaintenancePolicy):
    if index is not None:
        return _fold_in_action(name, column, "vector", index, policy)
    rows = table.count_rows(f"{column} IS NOT NULL")
    if rows < policy.vector_index_min_rows:
        return MaintenanceAction(name, column, "vector", "below_threshold", rows, rows)
    config, detail = _vector_config(rows, dim, policy)
    hit("index.create_index")
    table.create_index(column, config=config)
    return MaintenanceAction(name, column, "vector", "created", rows, 0, detail)


def _vector_config(rows: int, dim: int, policy: MaintenancePolicy):
    from lancedb.index import HnswSq, IvfPq

    # Lance may train fewer partitions than asked when they would hold few rows.
    partitions = max(1, rows // policy.rows_per_partition())
    if policy.vector_index_type == "IVF_PQ":
        subs = num_sub_vectors(dim, policy.pq_subvector_dim)
        config = IvfPq(distance_type="cosine", num_partitions=partitions, num_sub_vectors=subs)
        return config, f"IVF_PQ(distance_type=cosine, num_partitions={partitions}, num_sub_vectors={subs})"
    config = HnswSq(distance_type="cosine", num_partitions=partitions)
    return config, f"IVF_HNSW_SQ(distance_type=cosine, num_partitions={partitions})"


def _maintain_fts(store: Store, name: str, table: Table, column: str, index, policy: MaintenancePolicy):
    if index is not None:
        return _fold_in_action(name, column, "fts", index, policy)
    rows = store.fts_rows(table, column)
    if rows == 0:  # nothing to tokenize yet (an empty table, or English speech only: no translation)
        return MaintenanceAction(name, column, "fts", "below_threshold", 0, 0)
    create_fts_index(table, column)
    return MaintenanceAction(name, column, "fts", "created", rows, 0)


def refresh_fts(store: Store) -> None:
    """Create the missing full-text indexes; existing ones are kept, not rebuilt.

    Rows added since an index was built are still found (Lance scans the rows no index covers);
    :func:`maintain` folds them in once there are enough of them.
    """
    for name in store.table_names():
        table = store.table(name) if store.fts_columns(name) else None
        if table is None:
            continue
        indexed = [ix.columns for ix in table.list_indices()]
        for column in store.fts_columns(name, table.schema.names):
            if [column] not in indexed and store.fts_rows(table, column) > 0:
                create_fts_index(table, column)


def create_fts_index(table: Table, column: str) -> None:
    from lancedb.index import FTS

    hit("index.create_index")
    table.create_index(column, config=FTS(with_position=True))


def _fold_in_action(name: str, column: str, kind, index, policy: MaintenancePolicy) -> MaintenanceAction:
    indexed, unindexed = index.num_indexed_rows or 0, index.num_unindexed_rows or 0
    action = "pending" if policy.should_fold_in(indexed, unindexed) else "up_to_date"
    return MaintenanceAction(name, column, kind, action, indexed + unindexed, unindexed)


def _fold_in(table: Table, index_names: list[str], merge: int | None = None) -> None:
    # Lance's index update: new rows go to the existing partitions (no retraining) as a delta index, or into
    # the last ``merge`` segments. LanceDB's `Table.optimize` does this too, but also compacts and prunes.
    kwargs = {} if merge is None else {"num_indices_to_merge": merge}
    hit("index.fold_in")
    table.to_lance().optimize.optimize_indices(index_names=index_names, **kwargs)
    table.checkout_latest()


# -- optimize -------------------------------------------------------------------------------------------
def optimize(
    store: Store,
    *,
    cleanup_older_than: timedelta = DEFAULT_KEEP_VERSIONS,
    policy: MaintenancePolicy | None = None,
) -> list[TableReport]:
    """Bring every index up to date, merge small fragments and delete versions older than the window.

    Row counts and search results are unchanged; only files are rewritten. Runs :func:`maintain` first, so
    indexes a table has grown into are built too.
    """
    maintain(store, policy)
    reports = []
    for name in store.table_names():
        table = store.db.open_table(name)
        before = _snapshot(table)
        # Fold unindexed rows and every delta into one segment per index, then compact (the indexes are
        # remapped to the new fragments) and prune; LanceDB's optimize alone would leave the deltas.
        merges = {ix.name: ix.num_segments or 1 for ix in table.list_indices()}
        for index_name, segments in merges.items():
            _fold_in(table, [index_name], merge=segments)
        hit("index.optimize")
        table.optimize(cleanup_older_than=cleanup_older_than)
        after = _snapshot(table)
        report = TableReport(
            table=name,
            rows_before=before["rows"],
            rows_after=after["rows"],
            fragments_before=before["fragments"],
            fragments_after=after["fragments"],
            versions_removed=len(before["versions"] - after["versions"]),
            bytes_before=before["bytes"],
            bytes_after=after["bytes"],
            indexes=_index_states(table),
        )
        logger.info("%s: %d -> %d fragments, %d versions removed", name, report.fragments_before,
                    report.fragments_after, report.versions_removed)
        reports.append(report)
    return reports


def _snapshot(table: Table) -> dict:
    return {
        "rows": table.count_rows(),
        "fragments": len(table.to_lance().get_fragments()),
        "versions": {v["version"] for v in table.list_versions()},
        "bytes": _disk_bytes(table.uri),
    }


def _disk_bytes(uri: str) -> int | None:
    if "://" in uri and not uri.startswith("file://"):
        return None
    root = Path(uri.removeprefix("file://"))
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _index_states(table: Table) -> list[IndexState]:
    return [
        IndexState(ix.name, ix.columns[0], ix.index_type, ix.num_indexed_rows or 0, ix.num_unindexed_rows or 0,
                   ix.num_segments or 1)
        for ix in table.list_indices()
    ]
