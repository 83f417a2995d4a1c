"""The searcher's vector list on a real LanceDB store with an IVF-PQ index: ``per_list`` rows read alone are the
first ``per_list`` of the ``2 x per_list`` it asked before, and rows of an attempt not (or no longer) live still
leave ``per_list`` live hits."""

from __future__ import annotations

import numpy as np
import pytest

from videokb.index import schema as S
from videokb.index.maintenance import MaintenancePolicy, maintain
from videokb.index.query import nearest
from videokb.index.store import Store
from videokb.retrieval import Searcher, SearchOptions

DIM = 16
TEXT = S.EmbedderSpec("sentence-transformers", "m", DIM)
POLICY = MaintenancePolicy(vector_index_min_rows=1000, partition_rows=256, pq_subvector_dim=4)


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def add(store: Store, video_id: str, ingest_id: str, vecs: np.ndarray, commit: bool = True) -> None:
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(DIM), {"vector": TEXT})
    store.add(segs, [{"video_id": video_id, "ingest_id": ingest_id, "segment_idx": i, "start_s": 5.0 * i,
                      "end_s": 5.0 * i + 4, "text": f"{video_id} sentence {i}", "language": "en",
                      "vector": v.tolist()} for i, v in enumerate(vecs)])
    if commit:
        store.commit_video({"video_id": video_id, "ingest_id": ingest_id, "video_path": f"/{video_id}.mp4"})


@pytest.fixture
def indexed(tmp_path):
    """3,000 segments of 30 videos under an IVF-PQ index (~11 partitions)."""
    rng = np.random.default_rng(0)
    store = Store(tmp_path / "db")
    for v in range(30):
        add(store, f"v{v}", "a", unit(rng, 100))
    maintain(store, POLICY)
    assert {ix.columns[0]: ix.index_type for ix in store.table(S.SEGMENTS).list_indices()}["vector"] == "IvfPq"
    return store, rng


def keys(rows) -> list[tuple]:
    return [(r["video_id"], r["start_s"], round(r["_distance"], 6)) for r in rows]


def test_per_list_rows_are_the_first_of_twice_as_many(indexed):
    store, rng = indexed
    searcher = Searcher(store, SearchOptions(k=5, per_list=20, device="cpu"))
    searcher._open.refresh()
    table = searcher._dataset(S.SEGMENTS)
    for q in unit(rng, 5):
        hits = searcher._vector_hits(table, q, "vector", "speech", "text")
        before = table.to_table(nearest=nearest("vector", q, 40, rows=table.count_rows()), prefilter=True,
                                columns=["video_id", "start_s", "_distance"]).to_pylist()[:20]
        assert len(hits) == 20
        assert [(h.video_id, h.start_s, round(1 - h.extra["similarity"], 6)) for h in hits] == keys(before)


def test_rows_of_an_attempt_not_live_leave_per_list_live_hits(indexed):
    store, rng = indexed
    q = unit(rng, 1)[0]
    # An ingest of v3 in progress wrote 15 rows next to the query; its attempt is not live yet.
    near = q + 0.05 * unit(rng, 15)
    add(store, "v3", "b", near / np.linalg.norm(near, axis=1, keepdims=True), commit=False)
    searcher = Searcher(store, SearchOptions(k=5, per_list=20, device="cpu"))
    searcher._open.refresh()
    live = store.live_attempts()
    table = searcher._dataset(S.SEGMENTS)
    hits = searcher._vector_hits(table, q, "vector", "speech", "text")
    assert sum(h.extra["ingest_id"] == "b" for h in hits) == 15  # the margin (2 x per_list) was asked for
    found = [h for h in hits if live[h.video_id] == h.extra["ingest_id"]][:20]
    before = [r for r in table.to_table(nearest=nearest("vector", q, 40, rows=table.count_rows()), prefilter=True,
                                        columns=["video_id", "ingest_id", "start_s", "_distance"]).to_pylist()
              if live[r["video_id"]] == r["ingest_id"]][:20]
    assert len(found) == 20
    assert [(h.video_id, h.start_s, round(1 - h.extra["similarity"], 6)) for h in found] == keys(before)
