from videokb.retrieval.moments import Hit, group_moments, rrf


def hit(video, start, end, source, text="t", modality=None):
    return Hit(video, start, end, modality or source.split(":")[0], source, text, 0.5)


def test_rrf_scores_by_rank_and_weight():
    a, b, c = hit("v", 0, 1, "speech:vector"), hit("v", 5, 6, "speech:vector"), hit("v", 9, 10, "visual:fts")
    fused = rrf({"speech:vector": [a, b], "visual:fts": [c]}, {"visual:fts": 0.5}, k=60)
    assert [h.fused for h in fused] == [1 / 61, 1 / 62, 0.5 / 61]
    assert (a.rank, b.rank, c.rank) == (1, 2, 1)


def test_overlapping_hits_of_two_modalities_make_one_moment_that_outranks_single_hits():
    lists = {
        "speech:vector": [hit("v1", 10, 14, "speech:vector"), hit("v2", 0, 3, "speech:vector")],
        "ocr:fts": [hit("v1", 8, 12, "ocr:fts", modality="ocr")],
    }
    moments = group_moments(rrf(lists, {}))
    assert (moments[0].video_id, moments[0].start_s, moments[0].end_s) == ("v1", 8, 14)
    assert moments[0].modalities == ["speech", "ocr"]
    assert moments[1].video_id == "v2"


def test_touching_spans_stay_apart_and_other_videos_never_merge():
    lists = {"speech:vector": [hit("v", 0, 5, "speech:vector"), hit("v", 5, 9, "speech:vector"),
                               hit("w", 0, 5, "speech:vector")]}
    assert len(group_moments(rrf(lists, {}))) == 3


def test_a_list_counts_once_per_moment_and_weak_hits_do_not_stretch_it():
    lists = {"speech:vector": [hit("v", 10, 12, "speech:vector"), hit("v", 11, 40, "speech:vector")]}
    (m,) = group_moments(rrf(lists, {}))
    assert m.score == 1 / 61
    assert (m.start_s, m.end_s) == (10, 12)


def test_snippet_names_each_modality():
    lists = {"speech:vector": [hit("v", 0, 2, "speech:vector", "said this")],
             "ocr:fts": [hit("v", 1, 3, "ocr:fts", "SLIDE", modality="ocr")]}
    (m,) = group_moments(rrf(lists, {}))
    assert m.snippet() == "[speech] said this | [ocr] SLIDE"
