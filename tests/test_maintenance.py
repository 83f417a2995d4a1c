"""Index maintenance on a real LanceDB store: ANN and full-text indexes past thresholds, compaction."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest

from videokb.index import query
from videokb.index import schema as S
from videokb.index.maintenance import MaintenancePolicy, maintain, num_sub_vectors, optimize, refresh_fts
from videokb.index.query import nearest as nearest_params
from videokb.index.query import vector_query
from videokb.index.store import Store

DIM = 32
TEXT = S.EmbedderSpec("sentence-transformers", "m", 8)
IMAGE = S.EmbedderSpec("efficientnet", "lite0", DIM)
REGIONS = S.regions_table_name("efficientnet")
# The library defaults, scaled down to a few thousand rows.
POLICY = MaintenancePolicy(vector_index_min_rows=1000, fold_in_rows=200, fold_in_fraction=0.05, partition_rows=512,
                           pq_subvector_dim=4)
CENTERS = np.random.default_rng(0).normal(size=(40, DIM))


def vectors(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (CENTERS[rng.integers(0, len(CENTERS), n)] + 0.3 * rng.normal(size=(n, DIM))).astype(np.float32)


def region_rows(video_id: str, ingest_id: str, n: int, seed: int) -> list[dict]:
    return [{"video_id": video_id, "ingest_id": ingest_id, "frame_idx": i // 10, "t_s": i / 10, "start_s": i / 10,
             "end_s": i / 10 + 1, "region_idx": i % 10, "kind": "grid3", "bbox_xyxy": [0, 0, 1, 1],
             "labels": None, "vector": v.tolist()} for i, v in enumerate(vectors(seed, n))]


def segment_rows(video_id: str, ingest_id: str, words: list[str]) -> list[dict]:
    return [{"video_id": video_id, "ingest_id": ingest_id, "segment_idx": i, "start_s": float(i),
             "end_s": i + 1.0, "text": f"{w} said at {i}", "language": "en", "words": [], "avg_logprob": 0.0,
             "no_speech_prob": 0.0, "vector": [1.0] + [0.0] * 7} for i, w in enumerate(words)]


def commit(store: Store, video_id: str, ingest_id: str) -> None:
    store.commit_video({"video_id": video_id, "ingest_id": ingest_id, "video_path": f"/{video_id}.mp4",
                        "models": "{}"})


def add_video(store: Store, video_id: str, n_regions: int, seed: int, word: str = "hello", ingest_id: str = "a"):
    regions = store.ensure_table(REGIONS, S.regions_schema(DIM), {"vector": IMAGE})
    segments = store.ensure_table(S.SEGMENTS, S.segments_schema(8), {"vector": TEXT})
    store.add(regions, region_rows(video_id, ingest_id, n_regions, seed))
    store.add(segments, segment_rows(video_id, ingest_id, [word] * 5))
    commit(store, video_id, ingest_id)
    return regions, segments


def nearest(table, vector, k: int = 10, where: str | None = None) -> list[tuple]:
    """As search runs it: pylance with :func:`index.query.nearest`; and LanceDB's builder with
    :func:`vector_query` must agree with it."""
    cols = ["video_id", "ingest_id", "frame_idx", "region_idx", "_distance"]
    rows = table.to_lance().to_table(nearest=nearest_params("vector", vector, k), filter=where, prefilter=True,
                                     columns=cols).to_pylist()
    q = vector_query(table, vector, "vector")
    if where:
        q = q.where(where, prefilter=True)
    built = q.select(cols).limit(k).to_list()
    key = [(r["video_id"], r["frame_idx"], r["region_idx"]) for r in rows]
    assert key == [(r["video_id"], r["frame_idx"], r["region_idx"]) for r in built]
    return [(r["video_id"], r["ingest_id"], r["frame_idx"], r["region_idx"], round(r["_distance"], 5)) for r in rows]


def exact(table, vector, k: int = 10, where: str | None = None) -> list[tuple]:
    q = table.search(vector, vector_column_name="vector").distance_type("cosine").bypass_vector_index()
    if where:
        q = q.where(where, prefilter=True)
    rows = q.select(["video_id", "ingest_id", "frame_idx", "region_idx", "_distance"]).limit(k).to_list()
    return [(r["video_id"], r["ingest_id"], r["frame_idx"], r["region_idx"], round(r["_distance"], 5)) for r in rows]


def fts(table, word: str) -> list[tuple]:
    rows = table.search(word, query_type="fts", fts_columns="text").select(["video_id", "ingest_id", "text", "_score"])
    return sorted((r["video_id"], r["ingest_id"], r["text"]) for r in rows.limit(1000).to_list())


def index_types(table) -> dict[str, str]:
    return {ix.columns[0]: ix.index_type for ix in table.list_indices()}


def by_column(actions, table: str) -> dict[str, str]:
    return {a.column: a.action for a in actions if a.table == table}


def test_the_vector_index_is_built_once_past_the_threshold_and_not_before(tmp_path):
    store = Store(tmp_path / "db")
    regions, segments = add_video(store, "v1", 600, seed=1)
    actions = maintain(store, POLICY)
    assert by_column(actions, REGIONS) == {"vector": "below_threshold"}
    assert index_types(regions) == {}
    # The full-text index does not wait for a size: a full-text query needs one. English speech has no
    # translation, so its column waits for one.
    assert by_column(actions, S.SEGMENTS) == {"vector": "below_threshold", "text": "created",
                                              "text_en": "below_threshold"}
    assert index_types(segments) == {"text": "FTS"}

    add_video(store, "v2", 600, seed=2)
    actions = maintain(store, POLICY)
    created = next(a for a in actions if a.table == REGIONS)
    assert (created.action, created.rows, created.unindexed_rows) == ("created", 1200, 0)
    assert created.detail == "IVF_PQ(distance_type=cosine, num_partitions=2, num_sub_vectors=8)"
    assert index_types(regions) == {"vector": "IvfPq"}
    [ix] = regions.list_indices()
    assert ix.index_details["metric_type"] == "COSINE"

    # A second run with nothing new leaves the indexes as they are.
    assert by_column(maintain(store, POLICY), REGIONS) == {"vector": "up_to_date"}
    q = vectors(99, 1)[0]
    assert nearest(regions, q) == exact(regions, q)  # re-ranked: same neighbours, exact distances


def test_rows_appended_after_the_index_are_found_then_folded_in(tmp_path):
    store = Store(tmp_path / "db")
    add_video(store, "v1", 1200, seed=1)
    regions, segments = add_video(store, "v2", 20, seed=2)
    maintain(store, POLICY)
    assert regions.list_indices()[0].num_unindexed_rows == 0

    # Fewer new rows than the fold-in threshold: searched by a scan of the unindexed rows meanwhile.
    add_video(store, "v3", 50, seed=3, word="zebra")
    assert by_column(maintain(store, POLICY), REGIONS) == {"vector": "up_to_date"}
    assert regions.list_indices()[0].num_unindexed_rows == 50
    new = vectors(3, 50)[0]  # v3's first region
    assert nearest(regions, new, k=10)[0] == ("v3", "a", 0, 0, 0.0)
    assert [r[0] for r in fts(segments, "zebra")] == ["v3"] * 5  # not in the FTS index yet, still found

    add_video(store, "v4", 300, seed=4, word="yak")
    actions = maintain(store, POLICY)
    assert by_column(actions, REGIONS) == {"vector": "folded_in"}
    assert by_column(actions, S.SEGMENTS)["text"] == "folded_in"
    assert [(ix.num_indexed_rows, ix.num_unindexed_rows) for ix in regions.list_indices()] == [(1570, 0)]
    assert {(ix.columns[0], ix.num_unindexed_rows) for ix in segments.list_indices()} == {("text", 0)}
    assert nearest(regions, new, k=10)[0] == ("v3", "a", 0, 0, 0.0)
    assert [r[0] for r in fts(segments, "yak")] == ["v4"] * 5
    q = vectors(98, 1)[0]
    assert nearest(regions, q, k=20) == exact(regions, q, k=20)


def test_a_filtered_search_returns_all_it_asks_for_with_an_index(tmp_path, monkeypatch):
    store = Store(tmp_path / "db")
    add_video(store, "big", 8000, seed=1)
    regions, _ = add_video(store, "small", 30, seed=2)
    # ~30 partitions: more than LanceDB searches by default (20) when a filter leaves too few rows.
    maintain(store, MaintenancePolicy(vector_index_min_rows=1000, partition_rows=256, pq_subvector_dim=4))
    assert index_types(regions) == {"vector": "IvfPq"}
    # One video's rows sit in a few of the IVF partitions, so the partitions probed first (one here) hold
    # too few of them; the rest are searched until the limit is met.
    monkeypatch.setattr(query, "NPROBES", 1)
    q = vectors(97, 1)[0]
    got = nearest(regions, q, k=30, where="video_id = 'small'")
    assert len(got) == 30 and got == exact(regions, q, k=30, where="video_id = 'small'")


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")  # no other process here
def test_deleted_attempts_do_not_come_back(tmp_path):
    store = Store(tmp_path / "db")
    add_video(store, "v1", 1200, seed=1, word="old")
    regions, segments = add_video(store, "v2", 10, seed=2)
    maintain(store, POLICY)
    old = np.array(regions.search().where("video_id = 'v1'").limit(1).to_list()[0]["vector"], dtype=np.float32)
    assert nearest(regions, old, k=1)[0][:2] == ("v1", "a")

    # A re-ingest of v1 commits attempt b (whose rows differ), deleting attempt a's indexed rows; a failed
    # attempt c of v2 is discarded.
    add_video(store, "v1", 100, seed=5, word="new", ingest_id="b")
    store.add(regions, region_rows("v2", "c", 10, seed=6))
    store.add(segments, segment_rows("v2", "c", ["broken"]))
    store.discard_attempt("v2", "c")

    def attempts():
        return {r[:2] for r in nearest(regions, old, k=2000)}, {r[:2] for r in fts(segments, "old new broken")}

    want = ({("v1", "b"), ("v2", "a")}, {("v1", "b")})
    assert attempts() == want
    maintain(store, POLICY)
    assert attempts() == want
    optimize(store, cleanup_older_than=timedelta(0), policy=POLICY)
    assert attempts() == want
    assert regions.count_rows() == 110


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")  # no other process here
def test_optimize_compacts_and_keeps_rows_and_results(tmp_path):
    store = Store(tmp_path / "db")
    add_video(store, "v0", 1200, seed=0)
    maintain(store, POLICY)
    for i in range(1, 13):  # many small ingests: a fragment and a delta each
        add_video(store, f"v{i}", 25, seed=i, word=f"w{i}")
        maintain(store, MaintenancePolicy(vector_index_min_rows=1000, fold_in_rows=1))
    regions, segments = store.table(REGIONS), store.table(S.SEGMENTS)
    queries = vectors(96, 3)
    before = [nearest(regions, q, k=30) for q in queries], fts(segments, "w3 w7 hello")
    assert regions.list_indices()[0].num_segments > 1

    reports = {r.table: r for r in optimize(store, cleanup_older_than=timedelta(0), policy=POLICY)}
    assert set(reports) == {S.VIDEOS, S.SEGMENTS, REGIONS}
    r = reports[REGIONS]
    assert (r.rows_before, r.rows_after) == (1500, 1500)
    assert r.fragments_before == 13 and r.fragments_after < r.fragments_before
    assert r.versions_removed > 0 and r.bytes_after < r.bytes_before
    [ix] = r.indexes
    assert (ix.column, ix.index_type, ix.indexed_rows, ix.unindexed_rows, ix.segments) == ("vector", "IvfPq", 1500, 0, 1)
    assert reports[S.SEGMENTS].fragments_after < reports[S.SEGMENTS].fragments_before
    assert ([nearest(regions, q, k=30) for q in queries], fts(segments, "w3 w7 hello")) == before
    assert len(regions.list_versions()) == 1


def test_optimize_keeps_recent_versions_by_default(tmp_path):
    store = Store(tmp_path / "db")
    for i in range(3):
        add_video(store, f"v{i}", 10, seed=i)
    r = {r.table: r for r in optimize(store)}[REGIONS]
    assert r.versions_removed == 0 and r.fragments_after < r.fragments_before and r.rows_after == 30


def test_maintain_and_optimize_an_empty_store_and_small_tables(tmp_path):
    store = Store(tmp_path / "db")
    assert maintain(store) == [] and optimize(store) == []

    store.ensure_table(REGIONS, S.regions_schema(DIM), {"vector": IMAGE})
    store.ensure_table(S.SEGMENTS, S.segments_schema(8), {"vector": TEXT})
    assert {(a.table, a.column, a.action) for a in maintain(store)} == {
        (REGIONS, "vector", "below_threshold"), (S.SEGMENTS, "vector", "below_threshold"),
        (S.SEGMENTS, "text", "below_threshold"), (S.SEGMENTS, "text_en", "below_threshold")}
    add_video(store, "v1", 50, seed=1)
    maintain(store)
    reports = optimize(store)
    assert {r.table: r.rows_after for r in reports} == {REGIONS: 50, S.SEGMENTS: 5, S.VIDEOS: 1}
    assert store.table(REGIONS).list_indices() == []
    assert [r[0] for r in fts(store.table(S.SEGMENTS), "hello")] == ["v1"] * 5


def test_refresh_fts_creates_missing_indexes_and_keeps_existing_ones(tmp_path):
    store = Store(tmp_path / "db")
    _, segments = add_video(store, "v1", 5, seed=1)
    refresh_fts(store)
    [ix] = segments.list_indices()
    add_video(store, "v2", 5, seed=2, word="later")
    refresh_fts(store)
    [again] = segments.list_indices()
    assert again.index_uuid == ix.index_uuid  # not rebuilt
    assert [r[0] for r in fts(segments, "later")] == ["v2"] * 5


@pytest.mark.parametrize(("dim", "want"), [(384, 48), (768, 96), (1280, 160), (32, 4), (36, 4), (2, 1), (7, 1)])
def test_pq_sub_vectors_divide_the_dimension(dim, want):
    assert num_sub_vectors(dim) == want and dim % want == 0


def test_policy_rejects_thresholds_pq_cannot_train_on():
    with pytest.raises(ValueError, match="256"):
        MaintenancePolicy(vector_index_min_rows=100)
    with pytest.raises(ValueError, match="IVF_PQ or IVF_HNSW_SQ"):
        MaintenancePolicy(vector_index_type="HNSW")


def test_probes_grow_with_the_table_so_recall_does_not_fall_with_it():
    # The share of partitions probed, not their count, sets recall (bench/search.py at 1M vs 10M regions).
    assert query.nprobes(None) == query.nprobes(5_000) == query.NPROBES
    big = query.nprobes(10_000_000)
    assert big / (10_000_000 / 8192) == pytest.approx(query.PROBE_SHARE, rel=0.01)
    assert nearest_params("vector", np.ones(4), 10, rows=10_000_000)["minimum_nprobes"] == big


def partitions_searched(ds, search: dict) -> int:
    plan = ds.scanner(nearest=search, columns=["video_id"]).analyze_plan()
    return sum(int(n) for n in re.findall(r"partitions_searched=(\d+)", plan))


def test_an_unfiltered_search_probes_at_most_its_share_of_the_partitions(tmp_path, monkeypatch):
    # Lance raises the partitions probed by its own rule (for k > 10, nearly all of them on spread-out
    # vectors): an unfiltered search is bounded by max_nprobes; a filtered one is not, so it fills its limit.
    store = Store(tmp_path / "db")
    regions = store.ensure_table(REGIONS, S.regions_schema(DIM), {"vector": IMAGE})
    spread = np.random.default_rng(1).normal(size=(8000, DIM)).astype(np.float32)  # no clusters, as bench/search.py
    store.add(regions, [{**r, "vector": v.tolist()} for r, v in zip(region_rows("big", "a", 8000, seed=1), spread)])
    maintain(store, MaintenancePolicy(vector_index_min_rows=1000, partition_rows=256, pq_subvector_dim=4))
    monkeypatch.setattr(query, "IVF_PQ_PARTITION_ROWS", 256)  # the shares count this index's ~31 partitions
    monkeypatch.setattr(query, "NPROBES", 2)
    monkeypatch.setattr(query, "PROBE_SHARE", 0.05)
    monkeypatch.setattr(query, "MAX_PROBE_SHARE", 0.2)
    ds, rows = regions.to_lance(), regions.count_rows()
    assert (query.nprobes(rows), query.max_nprobes(rows)) == (2, 7)
    q = np.random.default_rng(2).normal(size=DIM).astype(np.float32)
    bounded = partitions_searched(ds, nearest_params("vector", q, 30, rows=rows))
    unbounded = partitions_searched(ds, nearest_params("vector", q, 30, rows=rows, filtered=True))
    # Lance's own rule usually probes more for the filtered search, but its k-means partitions are not seeded,
    # so on some builds 30 rows fit in 7 partitions (CI saw 7 < 7 once): what we bound is the unfiltered count.
    assert bounded == 7 <= unbounded
    got = vector_query(regions, q, "vector", rows=rows).select(["video_id"]).limit(30).explain_plan(verbose=True)
    assert "maximum_nprobes=Some(7)" in got
