import numpy as np
import pytest

from videokb.index.search_config import SearchSettings
from videokb.retrieval.moments import Hit
from videokb.retrieval.scoring import phrase_score, score_moments


def hit(video, start, end, source, sim, text="t", bm25=0.0, modality=None):
    return Hit(video, start, end, modality or source.split(":")[0], source, text, bm25 or sim,
               extra={"similarity": sim})


def test_the_best_single_match_beats_a_moment_matched_weakly_by_many_lists():
    strong = hit("v2", 30, 33, "speech:vector", 0.86)
    weak = [hit("v1", 0, 4, "speech:vector", 0.80), hit("v1", 0, 6, "ocr:vector", 0.81, modality="ocr"),
            hit("v1", 1, 3, "speech:fts", 0.80, bm25=7.0), hit("v1", 0, 6, "visual:label_vector", 0.82)]
    (first, second) = score_moments("q", [*weak, strong], SearchSettings(), 60.0, None, None)
    assert (first.video_id, first.start_s, first.end_s) == ("v2", 30, 33)
    assert second.video_id == "v1" and second.modalities == ["speech", "ocr", "visual"]


def test_bounds_are_the_evidence_not_the_weak_neighbours():
    hits = [hit("v", 10, 12, "speech:vector", 0.9), hit("v", 6, 14, "ocr:vector", 0.7, modality="ocr")]
    (m,) = score_moments("q", hits, SearchSettings(), 60.0, None, None)
    assert (m.start_s, m.end_s) == (10, 12)
    hits = [hit("v", 10, 12, "speech:vector", 0.9), hit("v", 6, 14, "ocr:vector", 0.895, modality="ocr")]
    (m,) = score_moments("q", hits, SearchSettings(), 60.0, None, None)
    assert (m.start_s, m.end_s) == (6, 14)


def test_touching_spans_stay_apart_and_other_videos_never_merge():
    hits = [hit("v", 0, 5, "speech:vector", 0.9), hit("v", 5, 9, "speech:vector", 0.8),
            hit("w", 0, 5, "speech:vector", 0.7)]
    assert len(score_moments("q", hits, SearchSettings(), 60.0, None, None)) == 3


def test_label_offset_and_bonuses_use_the_settings():
    hits = [hit("v", 0, 2, "visual:label_vector", 0.85, "tabby cat", modality="visual"),
            hit("w", 0, 2, "speech:vector", 0.84, "a cat sat")]
    plain = score_moments("tabby cat", hits, SearchSettings(offsets={}), 60.0, None, None)
    assert plain[0].video_id == "v"
    offset = score_moments("tabby cat", hits, SearchSettings(offsets={"visual:label_vector": -0.05}), 60, None, None)
    assert offset[0].video_id == "w"
    phrase = score_moments("tabby cat", hits, SearchSettings(offsets={"visual:label_vector": -0.05}, w_phrase=0.1),
                           60.0, None, None)
    assert phrase[0].video_id == "v" and phrase[0].score == pytest.approx(0.80 + 0.1)


def test_rerank_reads_the_whole_moment_text():
    hits = [hit("v", 0, 2, "speech:vector", 0.80, "alpha"), hit("w", 0, 2, "speech:vector", 0.81, "beta")]
    texts = {"alpha": np.array([1.0, 0.0]), "beta": np.array([0.0, 1.0])}
    embed = lambda ts: np.stack([texts[t] for t in ts])  # noqa: E731 - the passage encoder the searcher passes
    ranked = score_moments("q", hits, SearchSettings(w_rerank=0.5), 60.0, embed, np.array([1.0, 0.0]))
    assert [m.video_id for m in ranked] == ["v", "w"]
    assert ranked[0].score == pytest.approx(0.80 + 0.5)


def test_phrase_score_counts_adjacent_pairs():
    assert phrase_score("docking on day 2", "Docking on day 2 of the mission") == 1.0
    assert phrase_score("day 2 docking", "docking on day 2") == 0.5
    assert phrase_score("cinnamon", "Cinnamon rolls") == 1.0
    assert phrase_score("cinnamon", "") == 0.0
