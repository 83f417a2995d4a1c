"""Before / after a slide (agent/adjacent.py): the wordings read as such, the slide named, what is said next."""

import pytest
from ask_helpers import VIDEOS

from videokb.agent.plan import make_plan


@pytest.mark.parametrize("question,direction,topic,reads", [
    ("What does the speaker say once the slide Glaciers is gone?", "after", "Glaciers", "said"),
    ("What is said once the slide titled Caves has gone?", "after", "Caves", "said"),
    ("What comes right after the Bell Rock slide?", "after", "Bell Rock", "said"),
    ("What does the narrator say just before the Ice ages slide?", "before", "Ice ages", "said"),
    ("What do we hear next, after the slide titled Lake Baikal?", "after", "Lake Baikal", "said"),
    ("What was on screen just before the slide Glacier speed?", "before", "Glacier speed", "shown"),
    ("Which slide is shown after the slide called Glaciers?", "after", "Glaciers", "shown"),
    ("What slide comes after the one called Caves?", "after", "Caves", "shown"),
    ("What is said once the Waterfalls slide is gone?", "after", "Waterfalls", "said"),
    ("What does the speaker go on to say after the slide titled Angel Falls?", "after", "Angel Falls", "said"),
    # the direction in the verb, the ask after a fronted clause, "the next slide after X" asking for a slide
    ("Which slide follows the one titled Sea caves?", "after", "Sea caves", "shown"),
    ("What slide precedes the slide called Sea caves?", "before", "Sea caves", "shown"),
    ("What follows the slide titled Sea caves?", "after", "Sea caves", "said"),
    ("After the slide titled Sea caves, what does the speaker say?", "after", "Sea caves", "said"),
    ("After the Sea caves slide, what comes next?", "after", "Sea caves", "said"),
    ("What does the speaker talk about after the slide Sea caves disappears?", "after", "Sea caves", "said"),
    ("What does the presenter say next after showing the Sea caves slide?", "after", "Sea caves", "said"),
    ("What is said when the Sea caves slide is replaced?", "after", "Sea caves", "said"),
    ("What is the next slide after Sea caves?", "after", "Sea caves", "shown"),
    ("What is shown on the slide before Sea caves?", "before", "Sea caves", "shown"),
    ("What's on screen after the slide Sea caves?", "after", "Sea caves", "shown"),
    # an adverb before a fronted clause, the slide going away in the present tense, any verb of saying, an
    # ask that opens with "tell me"
    ("Right after the slide called Sea caves, what does the presenter explain?", "after", "Sea caves", "said"),
    ("What is covered once the slide titled Sea caves ends?", "after", "Sea caves", "said"),
    ("What does the presenter go on to describe when the slide about sea caves disappears?", "after", "sea caves",
     "said"),
    ("Tell me what the presenter says following the slide titled Sea caves.", "after", "Sea caves", "said"),
    ("What does the lecturer describe after the Sea caves slide?", "after", "Sea caves", "said"),
    ("What topic is discussed before the slide titled Sea caves?", "before", "Sea caves", "said"),
])
def test_before_after_questions_in_other_wordings(question, direction, topic, reads):
    plan = make_plan(question, VIDEOS)
    assert (plan.shape, plan.direction, plan.after_topic, plan.reads, plan.what_next) == (
        "adjacent", direction, topic, reads, True)


TALKS = [("v1", "/lib/caves_talk.mp4"), ("v2", "/lib/glaciers_talk.mp4")]


@pytest.mark.parametrize("question,direction,slide_at,reads", [
    ("What is said after the first slide of the caves talk?", "after", "first", "said"),
    ("What does the speaker say before the final slide of the caves talk?", "before", "last", "said"),
    ("What was on screen before the last slide of the caves talk?", "before", "last", "shown"),
    ("What is shown on the last slide of the caves talk?", "on", "last", "shown"),
    ("What is on the opening slide of the caves talk?", "on", "first", "shown"),
    ("What does the last slide of the caves talk say?", "on", "last", "shown"),
    ("What is said on the first slide of the caves talk?", "on", "first", "said"),
    ("What does the speaker say during the closing slide of the caves talk?", "on", "last", "said"),
])
def test_a_slide_named_by_its_place_in_the_talk(question, direction, slide_at, reads):
    """"The first slide", "the last slide of the caves talk": no title to look for; the slide is the first
    (last) shown in the video named."""
    plan = make_plan(question, TALKS)
    assert (plan.shape, plan.direction, plan.slide_at, plan.reads, plan.what_next, plan.video_ids) == (
        "adjacent", direction, slide_at, reads, True, ["v1"])


def test_a_title_with_a_place_word_is_no_place():
    plan = make_plan("What is said after the slide titled The first lighthouses?", TALKS)
    assert (plan.slide_at, plan.after_topic) == (None, "The first lighthouses")
    assert make_plan("How tall was the first lighthouse on the reef?", TALKS).shape == "lookup"


@pytest.mark.parametrize("question", ["What year is given after the slide titled Sea caves?",
                                      "What price does the presenter mention after the slide titled Sea caves?",
                                      "Right after the slide called Sea caves, how deep is the cave?"])
def test_a_narrower_ask_after_a_slide_is_asked_of_the_next_span(question):
    """An ask that names a thing (a year, a price) is no "what is said there": it is asked of the next span."""
    plan = make_plan(question, VIDEOS)
    assert (plan.shape, plan.direction, plan.after_topic, plan.what_next) == ("adjacent", "after", "Sea caves", False)


def test_the_slide_named_is_the_one_without_other_words():
    from videokb.agent.adjacent import title_match

    # titles repeating a word of another: "Glaciers" is the slide "Glaciers", not "Melting glaciers"
    scores = {t: title_match("Glaciers", t) for t in ("Glaciers", "Melting glaciers", "Glacier speed")}
    assert max(scores, key=scores.get) == "Glaciers"
    assert title_match("the great lakes", "Great lakes") == (1.0, 1.0)  # a question's article is no title word
    assert title_match("Krubera Cave", "Krubcra Cave")[0] == 1.0  # OCR misread a letter
    assert title_match("Mount Etna", "Mount Fuji") == (0.5, 0.5)
    assert title_match("Mammoth", "Whale songs") == (0.0, 0.0)


def test_the_timeline_is_cut_into_slides_and_the_gaps_between_them():
    from videokb.agent.adjacent import screen_spans

    rows = [(0.0, 5.0, ["Glaciers"]), (5.0, 9.0, ["Glacier speed"]), (9.0, 13.0, ["Melting glaciers"]),
            (13.0, 15.0, ["The Aletsch Glacier"]), (15.0, 17.0, ["The Aletsch Glacier"]),  # one slide, 2 frames
            (25.0, 30.0, ["Ice ages"])]
    spans = screen_spans(rows, 32.0)
    assert [(s, e, sorted(lines)) for s, e, lines in spans] == [
        (0.0, 5.0, ["glaciers"]), (5.0, 9.0, ["glacier speed"]), (9.0, 13.0, ["melting glaciers"]),
        (13.0, 17.0, ["the aletsch glacier"]), (17.0, 25.0, []),  # a photo between two slides
        (25.0, 30.0, ["ice ages"]), (30.0, 32.0, [])]


def test_what_is_said_in_one_go_splits_at_pauses_and_slide_changes():
    from videokb.agent.adjacent import paragraphs

    # Whisper started the second slide's words 0.06 s before its first keyframe, after a 0.7 s pause
    segments = [(0.02, 4.64, "Tunnels carry roads."), (5.34, 9.62, "A boring machine grinds."),
                (9.8, 11.0, "It is slow."), (14.7, 19.2, "The tunnel is long.")]
    assert [p[2] for p in paragraphs(segments, [5.4, 14.4])] == [
        "Tunnels carry roads.", "A boring machine grinds. It is slow.", "The tunnel is long."]


def test_the_speech_of_a_slide_whose_keyframe_came_late_is_its_own():
    from videokb.agent.adjacent import own_paragraph

    # measured on the generated solar-system talk: no keyframe between the slides "Jupiter" and "Neptune"
    # (one background), so the text "Jupiter" is read until 15.2 s while "Neptune has ..." is said from 10.98 s
    paras = [(0.0, 4.52, "Eight planets orbit the sun."), (5.38, 9.9, "Jupiter is the largest planet."),
             (10.98, 15.62, "Neptune has 16 known moons."), (16.58, 21.4, "This picture of the deep sky.")]
    assert own_paragraph(paras, 5.2, 15.2, "Jupiter") == 1  # after it: index 2, Neptune's words
    assert own_paragraph(paras, 15.2, 16.4, "Neptune") == 2  # after it: the photo, not Neptune again
    assert own_paragraph(paras, 0.0, 5.2, "The planets") == 0  # its words need not say the title
    assert own_paragraph(paras, 16.4, 16.5, "Melting glaciers") is None  # a slide shown in silence
    # words said under the next slide that repeat a short title are not the slide's (generated canals talk)
    canals = [(0.05, 4.41, "Cannell's carry boats across that land"), (5.05, 9.51, "A canal lock lifts a boat")]
    assert own_paragraph(canals, 0.0, 5.2, "Canals") == 0


def test_the_slide_named_holds_every_name_of_the_topic():
    """"After the slide titled Mount Fuji" is not after "Mount Etna", which shares only "Mount"; a letter
    misread by OCR still finds the slide, and a sentence-case title's first word is no name."""
    from videokb.agent.adjacent import names_held, topic_names

    assert topic_names("Mount Fuji") == ["mount", "fuji"] and topic_names("Glacier speed") == []
    assert topic_names("The Arctic tern") == ["arctic"]
    assert not names_held("Mount Fuji", "Mount Etna")
    assert names_held("Mount Etna", "Mount Etna") and names_held("The Arctic tern", "The Arctie tern")
    assert names_held("Glacier speed", "Melting glaciers")  # no name: left to the word and meaning scores

