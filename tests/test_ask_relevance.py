"""Relevance (agent/focus.py, agent/kinds.py): which clause speaks of the question, where a number or span must sit."""

import pytest
from ask_helpers import window

from videokb.agent.evidence import Line, Window


def test_a_year_is_no_count_or_measure():
    """A number said as a year ("opened in 1848") does not answer "how many days" or "how long"; a year
    question is not affected, and a number with no year word before it is left to the other checks."""
    from videokb.agent.kinds import asked, refuses

    said = "Its first bridge opened in 1848."
    assert refuses(asked("How many days does the bridge take to build?"), "1848", said)
    assert refuses(asked("How long is the bridge?"), "1848", said)
    assert refuses(asked("In what year did the bridge open?"), "1848", said) is None
    assert refuses(asked("How many people came?"), "1848", "About 1848 people came.") is None


def test_compare_reads_a_value_from_its_slide_first():
    """The slide's value stands over Whisper's spoken one (slide "Rose $9.70", speech "a rose cost $1.70");
    a window with no numbered screen line gives nothing, so the speech is read."""
    from videokb.agent.planner import shown_values

    w = Window("v", "/lib/v.mp4", 0.0, 10.0, 1.0, number=1, lines=[
        Line(0.0, "screen", "Rose $9.70"), Line(0.5, "speech", "a rose cost $1.70"), Line(1.0, "screen", "Roses")])
    assert [ln.text for ln in shown_values([w])[0].lines] == ["Rose $9.70"]
    assert shown_values([window(1, "a rose cost $1.70")]) == []


def test_where_reads_part_of_and_compass_places():
    """"In which part of X" asks where; a compass direction from a place ("east of Africa") is a place
    phrase as "near Greenland" is."""
    from videokb.agent.focus import place_phrases
    from videokb.agent.kinds import asks_where

    assert asks_where("In which part of Africa is the Congo Basin?")
    assert not asks_where("In which year was the bridge opened?")
    w = window(1, "Madagascar lies east of Africa and is about 1,600 kilometers long")
    assert place_phrases([w], {"madagascar", "lie"}, {"madagascar", "lie"}) == ["east of Africa"]


def test_a_sentence_said_after_a_slide_is_gone_does_not_borrow_its_title():
    """A photo follows the slide "Mount Cook" with no text of its own: its sentence is said once the slide has
    left the screen, so it is not about Mount Cook, and its place ("near Lake Tekapo") does not answer where
    Mount Cook is. Said while the slide is shown, the same sentence is read with its title."""
    from videokb.agent.focus import in_place_clause, place_phrases

    def talk(slide_end_s):
        return Window("t", "/lib/peaks_talk.mp4", 0.0, 20.0, 1.0, number=1, lines=[
            Line(0.0, "screen", "Mount Cook", end_s=slide_end_s),
            Line(0.2, "speech", "Mount Cook rises about 3,700 meters above the plains.", end_s=6.0),
            Line(10.3, "speech", "This photo shows a stone hut near Lake Tekapo.", end_s=14.0)])

    words = {"country", "mount", "cook"}
    assert not in_place_clause("near Lake Tekapo", [talk(10.0)], words, words)
    assert place_phrases([talk(10.0)], words, words) == []
    assert in_place_clause("near Lake Tekapo", [talk(15.0)], words, words)  # the slide still shown


def test_a_number_is_on_target_whatever_its_thousands_separator():
    """Whisper writes the year 1796 as "1,796"; the span "1796" (the slide's way, as the check reads it) sits
    in that clause all the same."""
    from videokb.agent.focus import on_target

    w = window(1, "Part 7. The vaccine against cholera was first tested in the year 1,879.")
    assert on_target("1879", [w], {"year", "vaccine", "against", "cholera", "first", "tested"})
    assert on_target("1,879", [w], {"year", "vaccine", "against", "cholera", "first", "tested"})
    assert not on_target("1880", [w], {"year", "vaccine", "against", "cholera", "first", "tested"})


def test_who_or_what_does_it_reads_the_doer_said_in_the_passive():
    """"What leads a wolf pack?" when the talk says "A wolf pack is led by ..." in the passive: the phrase
    after "VERBed by", from a sentence that shares another of the question's words; not for other shapes."""
    from videokb.agent.phrases import doer_phrases

    w = window(1, "Each wolf pack guided by an older female, and pups stay near the den.",
               "The museum was designed by Lena Park in 1901.")
    assert doer_phrases("What guides a wolf pack?", [w]) == ["an older female"]
    assert doer_phrases("Who designed the museum?", [w]) == ["Lena Park"]
    assert doer_phrases("Who designed the bridge?", [w]) == []  # no sentence about a bridge
    assert doer_phrases("What is a wolf pack?", [w]) == []


def test_who_or_what_does_it_reads_the_doer_said_before_the_verb():
    """"What covered most of northern Europe during the ice ages?": the model copied "ice", the question's own
    word; the talk names the doer before the verb ("sheets of ice covered ..."), in a sentence that holds every
    other word of the question; a pronoun names nothing, and a sentence about another thing gives none."""
    from videokb.agent.phrases import subject_phrases

    w = window(1, "During the ice ages, sheets of ice covered most of northern Europe and Canada.",
               "Robert Stevenson designed the Bell Rock lighthouse, and it was finished in 1810.",
               "Samuel Clemens wrote about Niagara Falls.")
    assert subject_phrases("What covered most of northern Europe during the ice ages?", [w]) == ["sheets of ice"]
    assert subject_phrases("Who designed the Bell Rock lighthouse?", [w]) == ["Robert Stevenson"]
    assert subject_phrases("Who finished the Bell Rock lighthouse?", [w]) == []  # "it was finished"
    assert subject_phrases("Who wrote about Angel Falls?", [w]) == []  # Niagara Falls, not Angel Falls
    assert subject_phrases("What is the ice?", [w]) == []
    # a noun of the verb's stem is no verb: Whisper's "map passengers" does not say who mapped the cave
    cave = window(1, "Mammoth Cave in Kentucky is about 600 kilometers of map passengers.")
    assert subject_phrases("Who mapped Mammoth Cave?", [cave]) == []
    # Whisper's "sheets and ice": the subject is all that comes before the verb, "and" included
    heard = window(1, "During the ice ages, sheets and ice covered most of northern Europe and Canada.")
    assert subject_phrases("What covered most of northern Europe during the ice ages?", [heard]) == ["sheets and ice"]


def test_what_does_it_verb_reads_the_words_after_the_verb():
    """"What does a boring machine grind through?": the model copied "a boring machine", the question's own
    words; the talk says what after the verb and its preposition ("grinds through granite with ..."), in a
    sentence holding the subject. A question's last word ending in a lone "s" is a noun, no verb."""
    from videokb.agent.phrases import object_phrases

    w = window(1, "A boring machine grinds through granite with a spinning wheel and steel teeth.",
               "Every tunnel needs fresh air, escape doors and lamps.",
               "Old lighthouses guided ships past dangerous rocks with fire and mirrors.")
    assert object_phrases("What does a boring machine grind through?", [w]) == ["granite"]
    assert object_phrases("What does every tunnel need?", [w]) == ["fresh air"]
    assert object_phrases("What did old lighthouses use to guide ships?", [w]) == []  # "ships" is no verb
    assert object_phrases("What does a boring machine cut?", [w]) == []  # not said
    assert object_phrases("What does a whale need?", [w]) == []  # no sentence about a whale
    # the verb's own forms, not every word of its stem: "navigation" is no form of "navigate"
    birds = window(2, "Bird navigation with the stars was studied for years.")
    assert object_phrases("What do birds navigate with?", [birds]) == []


def test_a_span_sits_in_a_sentence_as_whole_words():
    """"honey" is not in "Honeybee's ... colony", nor "100" in "1000": a span found only inside a longer word
    does not sit in the sentence most about the question."""
    from videokb.agent.focus import on_target

    bees = window(1, "A honeybee colony is ruled by a single queen.",
                  "This photo shows old coins, because honey was once traded like money.")
    assert not on_target("honey", [bees], {"queen", "bee", "eat"})
    assert on_target("a single queen", [bees], {"queen", "bee", "eat"})
    # "$6" is the menu's "$6.00"; "$3" is not "$3.30"
    menu = window(3, "Blueberry muffin $6.00 | Croissant $3.30")
    assert on_target("$6", [menu], {"muffin"}) and not on_target("$3", [menu], {"croissant"})
    hall = window(2, "The hall seats 1000 people.", "The stage is 100 years old.")
    assert not on_target("100", [hall], {"people", "seat"})
    assert on_target("1000", [hall], {"people", "seat"})


def test_a_number_for_a_named_thing_sits_in_a_clause_that_names_it():
    """"How long is the Amazon?": the window says the Nile's length (its rarer word "long") and what the Amazon
    carries; the Nile's length is not the Amazon's, even once the clauses read again hold the Nile's alone."""
    from videokb.agent.focus import on_target

    rivers = Window("r", "/lib/rivers_talk.mp4", 0.0, 20.0, 1.0, number=1, lines=[
        Line(5.0, "screen", "The Nile", end_s=12.0),
        Line(5.2, "speech", "The aisle is about 6,600 kilometers long, the longest river in Africa.", end_s=11.5),
        Line(16.0, "screen", "The Amazon", end_s=22.0),
        Line(16.2, "speech", "The Amazon carries about 200,000 cubic meters of water each second.", end_s=21.0)])
    words = {"length", "amazon", "river"}
    assert not on_target("6,600 kilometers", [rivers], words, {"amazon"})
    nile_only = Window("r", "/lib/rivers_talk.mp4", 0.0, 20.0, 1.0, number=1, lines=[rivers.lines[1]])
    assert not on_target("6,600 kilometers", [nile_only], words, {"amazon"}, context=[rivers])
    assert on_target("6,600 kilometers", [rivers], {"length", "nile", "river"}, {"nile"})  # under its slide
    assert on_target("200,000 cubic meters", [rivers], {"water", "amazon", "carry"}, {"amazon"})
    # the name may sit in another clause of the number's sentence
    rings = window(2, "Huygens pointed a lens at Saturn and saw seven faint rings.", "Mars has two moons.")
    assert on_target("7", [rings], {"number", "ring", "huygen", "saturn"}, {"huygens", "saturn"})


def test_a_span_for_a_named_thing_sits_in_a_sentence_that_names_it():
    """"Who filmed Lake Titicaca?": the window says who filmed Loch Ness ("filmed" is the rarer question word)
    and where Lake Titicaca sits; the name of the one who filmed Loch Ness does not answer for the lake."""
    from videokb.agent.focus import on_target

    lakes = Window("l", "/lib/lakes_talk.mp4", 0.0, 20.0, 1.0, number=1, lines=[
        Line(0.0, "screen", "Lake Titicaca", end_s=8.0),
        Line(0.2, "speech", "Lake Titicaca sits high in the Andes between two countries.", end_s=7.5),
        Line(9.0, "screen", "Loch Ness", end_s=20.0),
        Line(9.2, "speech", "Tim Dinsdale filmed Loch Ness, and its first hotel opened in 1880.", end_s=19.0)])
    assert not on_target("Tim Dinsdale", [lakes], {"film", "lake", "titicaca"}, {"lake", "titicaca"})
    assert on_target("Tim Dinsdale", [lakes], {"film", "loch", "ness"}, {"loch", "ness"})
    assert on_target("the Andes", [lakes], {"lake", "titicaca", "sit"}, {"lake", "titicaca"})


def test_a_span_of_the_questions_own_words_says_nothing():
    from videokb.agent.focus import repeats_question

    asked = {"blue", "whale", "eat"}
    assert repeats_question("whale", asked) and repeats_question("the Blue Whale", asked)
    assert not repeats_question("krill", asked) and not repeats_question("150 tons", asked)
    # Whisper says "Island" under the slide "Iceland" (agent.heard): the name as heard is the question's own
    asked = {"iceland", "sit"}
    assert repeats_question("Island", asked, {"island": "iceland"}) and not repeats_question("Island", asked)
    assert not repeats_question("a ridge", asked, {"island": "iceland"})


def test_what_does_a_misheard_name_verb_reads_the_object_said():
    """Ask archive 2 (train): "What does Iceland sit on?" over the slide "Iceland" and the speech "Island sits
    on a ridge ..."; the model copied "Island". The sentence holds the subject as this video mishears it."""
    from videokb.agent.phrases import object_phrases

    said = "Island sits on a ridge where two plates pull apart a few centimeters each year."
    heard = Window("v", "/lib/islands_talk.mp4", 16.0, 22.0, 1.0, number=1, lines=[
        Line(16.0, "screen", "Iceland"), Line(16.4, "speech", said)], heard={"island": "iceland"})
    assert object_phrases("What does Iceland sit on?", [heard]) == ["a ridge"]
    assert object_phrases("What does Iceland sit on?", [window(1, said)]) == []


@pytest.mark.parametrize("a, b", [("opened", "open"), ("finished", "finish"), ("completed", "complete"),
                                  ("closed", "close"), ("stopped", "stop"), ("carried", "carry"), ("based", "base"),
                                  ("birds", "bird"), ("navigate", "navigation"), ("depth", "deep")])
def test_relevance_reads_a_word_by_its_stem(a, b):
    from videokb.agent.focus import term

    assert term(a) == term(b)


@pytest.mark.parametrize("a, b", [("plane", "plan"), ("hoped", "hop"), ("hopped", "hope"), ("speed", "spe"),
                                  ("honey", "honeybee"), ("length", "depth")])
def test_relevance_stems_keep_other_words_apart(a, b):
    from videokb.agent.focus import term

    assert term(a) != term(b)


def test_a_number_said_with_the_past_form_of_the_question_verb_is_on_target():
    """"When did the Golden Gate Bridge open?": the year sits in "which opened in 1937", the only clause
    that says the question's verb; the bridge's length is said in another clause and answers nothing."""
    from videokb.agent.focus import on_target

    w = window(1, "The Golden Gate Bridge in San Francisco is about 2,700 meters long.",
               "Joseph Strauss led the building of the Golden Gate Bridge, which opened in 1937.")
    words = {"golden", "gate", "open"}
    assert on_target("1937", [w], words)
    assert not on_target("2,700", [w], words)
    # The clause says "opened": a question about when it closed is not answered by it.
    assert not on_target("1937", [w], {"golden", "gate", "close"})


def test_a_number_in_a_sentence_saying_a_misheard_name_is_on_target():
    """"When was the Bell Rock lighthouse finished?": the sentence with the year says Whisper's "male rock",
    which this video's slide spells "The Bell Rock" (agent.heard): the year is on target. Without that
    spelling, the sentence does not name the Bell Rock, and another sentence does."""
    from videokb.agent.focus import on_target

    lines = [Line(0.0, "screen", "The Bell Rock", end_s=8.0),
             Line(0.5, "speech", "The Bell Rock lighthouse stands on a reef off Scotland.", end_s=7.0),
             Line(9.0, "speech", "Robert Stevenson designed the male rock lighthouse, and it was finished in 1810.",
                  end_s=15.0)]
    heard = Window("v", "/lib/lighthouses_talk.mp4", 0.0, 16.0, 1.0, number=1, lines=lines,
                   heard={"male rock": "bell rock"})
    words, names = {"bell", "rock", "lighthouse", "finished"}, {"bell", "rock"}
    assert on_target("1810", [heard], words, names)
    unheard = Window("v", "/lib/lighthouses_talk.mp4", 0.0, 16.0, 1.0, number=1, lines=lines)
    assert not on_target("1810", [unheard], words, names)



def test_a_span_from_windows_that_never_speak_of_the_question_is_off_target():
    from videokb.agent.focus import on_target

    assert not on_target("the land", [window(1, "Islands break away from the land.")], {"madagascar", "lie"})


def test_speech_is_not_joined_across_a_new_slide():
    """Whisper dropped the full stop at the slide change: "... break away from the land" | "Madagascar lies
    east of Africa": "the land" is not in the sentence that says what lies east of Africa."""
    from videokb.agent.evidence import Line, Window
    from videokb.agent.focus import joined, on_target

    w = Window("v", "/lib/islands_talk.mp4", 0.0, 10.0, 1.0, number=1, lines=[
        Line(0.0, "screen", "Islands"), Line(0.0, "speech", "Island rise from the seafloor or break away from the land"),
        Line(4.6, "screen", "Madagascar"), Line(5.0, "speech", "Madagascar lies east of Africa")])
    assert [ln.text for ln in joined(w) if ln.kind == "speech"] == [
        "Island rise from the seafloor or break away from the land", "Madagascar lies east of Africa"]
    assert not on_target("the land", [w], {"lies", "east", "africa"})
    assert on_target("Madagascar", [w], {"lies", "east", "africa"})
    # A sentence said across a slide change goes on in lower case: it is still one sentence.
    lecture = Window("v", "/lib/maps_lecture.mp4", 0.0, 10.0, 1.0, number=1, lines=[
        Line(0.0, "speech", "Merchants Part 25 The first printed map of Greece appeared"),
        Line(1.0, "screen", "Part 25"), Line(1.0, "screen", "Greece map: 1627"),
        Line(4.0, "speech", "in the year 1,627.")])
    assert [ln.text for ln in joined(lecture) if ln.kind == "speech"] == [
        "Merchants Part 25 The first printed map of Greece appeared in the year 1,627."]


def test_a_thing_named_by_a_word_of_the_same_stem():
    """Whisper's "600 kilometers of map passengers" names "mapped passages" by its first word's stem."""
    from videokb.agent.lexical import holds_entity

    assert holds_entity(["mapped", "passages"], "Mammoth Cave is about 600 kilometers of map passengers.")
    assert not holds_entity(["honey"], "a honeybee's flight") and not holds_entity(["gold"], "a golden crown")


def test_the_kind_of_answer_asked_for_is_no_keyword():
    """"In which country is Angel Falls?": a clause about "six countries of central Africa" does not speak of
    the falls (the country question was answered from it, "in Venezuela" refused)."""
    from videokb.agent.planner import answer_kind

    assert answer_kind("In which country is Angel Falls?") == {"countri"}
    assert answer_kind("What year did it open?") == {"year"} and answer_kind("Which city has the bridge?") == {"citi"}
    assert answer_kind("What is the country of Angel Falls?") == set() and answer_kind("Where is it?") == set()


def test_when_the_model_copies_the_questions_words_the_one_time_said_there_answers(tmp_path):
    """Two meetings say "The office moved [sic, Whisper's] to the new building starts in June"; asked "When does the office
    move start?", the bundled Gemma copies "office move" from the clauses read again. The one time phrase
    of those clauses ("in June") is the answer, checked like any span (before: "not found")."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import tiny_kb

    import videokb

    said = "The office moved to the new building starts in June, so pack your {}."
    tiny_kb.build(tmp_path, {
        f"board_meeting_{month.lower()}": ([(0.0, 2.5, f"Welcome everyone, this is the {month} board meeting."),
                                    (3.0, 5.5, said.format(word))],
                                   [(0.0, 2.5, "Board meeting"), (3.0, 6.0, "Office move")])
        for month, word in (("January", "necks"), ("March", "tasks"))})
    r = videokb.open(tmp_path / "db", device="cpu").ask("When does the office move start?")
    assert r.answer in ("in June [1]", "in June [2]")
    assert any("the time said there: 'in June'" in str(s) for s in r.steps)
