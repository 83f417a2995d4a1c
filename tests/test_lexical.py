"""Lexical matching (``retrieval.lexical``) of what speech recognition does to words: compounds split or
joined, rare words misspelt by a sound."""

import pytest

from videokb.retrieval.lexical import lexical
from videokb.retrieval.moments import Hit


def hit(video, start, end, source, sim, text, modality=None):
    return Hit(video, start, end, modality or source.split(":")[0], source, text, sim, extra={"similarity": sim})


def test_a_compound_matches_whisper_writing_it_as_two_words_and_the_other_way_round():
    # Whisper heard "fieldstone" as "field stone" and "lighthouse" as "light house"
    rows = [hit("v", 290, 296, "speech:vector", 0.8, "its tower is made on field stone, sailors rely on it"),
            hit("v", 266, 272, "speech:vector", 0.8, "its tower is made on steel ladders"),
            hit("v", 100, 104, "speech:vector", 0.8, "the Storm light house near Boston")]
    lexical("lighthouse made of fieldstone", rows)
    lex = [h.extra.get("lex", 0.0) for h in rows]
    assert lex[0] > lex[1] and lex[0] > lex[2] > 0
    assert set(rows[0].extra["lex_units"]) != set(rows[1].extra["lex_units"])
    # a query that splits the compound finds the row that writes it as one word, and "field" alone counts
    one = [hit("v", 0, 4, "speech:vector", 0.8, "a fieldstone tower"),
           hit("v", 5, 9, "speech:vector", 0.8, "a brick tower")]
    lexical("tower of field stone", one)
    assert one[0].extra["lex"] > one[1].extra["lex"] > 0


def test_a_rare_word_speech_recognition_misspelt_by_a_sound_still_counts():
    """The train-only bench library's lecture: Whisper heard "made of marble" as "made unmarble" and "rough
    flint" as "rough lint", and the sentences about other castles' walls, which say "made of", won."""
    rows = [hit("lecture", 310, 316, "speech:vector", 0.8, "its walls are made unmarble"),
            hit("lecture", 145, 153, "speech:vector", 0.8, "its walls are made of rough lint"),
            hit("lecture", 286, 292, "speech:vector", 0.8, "its walls are made of clay bricks")]
    lexical("walls made of marble", rows)
    assert rows[0].extra["lex"] > rows[2].extra["lex"] and rows[1].extra["lex"] == rows[2].extra["lex"]
    lexical("walls made of rough flint", rows)
    assert rows[1].extra["lex"] > rows[2].extra["lex"] and rows[1].extra["lex"] == pytest.approx(1.0)
    # the fresh library's "lighthouse near Lagos", said "near Lagus"
    lagus = [hit("v", 0, 6, "speech:vector", 0.8, "The pelican light house near Lagus"),
             hit("v", 7, 9, "speech:vector", 0.8, "The albatross lighthouse near Lisbon")]
    lexical("lighthouse near Lagos", lagus)
    assert lagus[0].extra["lex"] == pytest.approx(1.0) and lagus[1].extra["lex"] < 1.0
    # a plural stays another word, as before: the fresh library's talk title "Mountains" does not hold the
    # "mountain" of "how many mountain goats were seen" (the sentence that says "mountain" does)
    talk = [hit("v", 0, 4, "ocr:vector", 0.8, "Mountains", modality="ocr"),
            hit("v", 10, 14, "speech:vector", 0.8, "we saw 26 members of a herd on mountain roads")]
    lexical("how many mountain goats were seen", talk)
    assert talk[0].extra["lex"] == 0 and talk[1].extra["lex"] > 0
    # nor does a compound hold its last word: "lighthouse" is not the "house" of "a house by the harbour"
    house = [hit("v", 0, 4, "speech:vector", 0.8, "the lighthouse"), hit("v", 5, 9, "speech:vector", 0.8, "the bay")]
    lexical("a house by the harbour", house)
    assert house[0].extra["lex"] == house[1].extra["lex"] == 0
    # a short word must match as it is written: "cat" is not held by "hat" or "bobcat"
    short = [hit("v", 0, 4, "speech:vector", 0.8, "a hat and a bobcat"), hit("v", 5, 9, "speech:vector", 0.8, "a dog")]
    lexical("cat", short)
    assert short[0].extra.get("lex", 0.0) == short[1].extra.get("lex", 0.0) == 0.0
