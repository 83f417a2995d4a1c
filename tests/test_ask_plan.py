"""Planning: the question's shape, the video it names, its hints; retrieval keeps what the plan searches first."""

import pytest
from ask_helpers import VIDEOS

from videokb.agent.plan import make_plan
from videokb.index.embedders import get_embedder


def test_plan_keeps_the_question_and_adds_its_keywords():
    plan = make_plan("How much does the sourdough loaf cost?", VIDEOS)
    assert plan.queries == ["How much does the sourdough loaf cost?", "sourdough loaf cost"]
    assert plan.video_ids is None and plan.when is None


def test_plan_recognises_a_named_video_and_time_hints():
    assert make_plan("In the cafe tasting, what won?", VIDEOS).video_ids == ["v2"]
    assert make_plan("What was said at the start of the bakery tour?", VIDEOS).when == "start"
    assert make_plan("what happens near the end?", VIDEOS).when == "end"
    plan = make_plan("What did the council approve after the slide about the agenda?", VIDEOS)
    assert plan.after_topic == "the agenda"


def test_a_word_two_file_names_hold_singular_or_plural_names_neither_video():
    """v1 ask archive: "In what year did the Golden Gate Bridge open to traffic?" took bridge_bakery.mp4 for the
    video it names (bridges_talk.mp4 says "bridges", another word), read the bakery first and lost the talk's
    window; "bridge" is in two file names, as "cafe" is in every cafe's."""
    videos = [("bakery", "/v/bridge_bakery.mp4"), ("talk", "/v/bridges_talk.mp4"), ("cafe", "/v/harbor_cafe.mp4")]
    assert make_plan("In what year did the Golden Gate Bridge open to traffic?", videos).video_ids is None
    assert make_plan("How much is a scone at the Bridge Bakery?", videos).video_ids == ["bakery"]
    assert make_plan("What does the harbor cafe sell?", videos).video_ids == ["cafe"]


@pytest.mark.parametrize(("question", "shape", "extra"), [
    ("Which of the cafes sells the cheapest espresso?", "compare", ("min", "How much is the espresso?")),
    ("Which talk reports the highest temperature?", "compare", ("max", "What is the temperature?")),
    ("How many of the meetings mention the fire drill?", "count", (None, None)),
    ("How many videos talk about coffee?", "count", (None, None)),
    ("How many astronauts are in the crew?", "lookup", (None, None)),
    ("How many dogs are available for adoption?", "lookup", (None, None)),
    ("What is said after the slide titled Mount Etna?", "adjacent", ("after", "What is said after the slide titled Mount Etna?")),
    ("What price is given before the slide about muffins?", "adjacent", ("before", "What price is given?")),
    ("How much is the adoption fee?", "lookup", (None, None)),
])
def test_the_planner_picks_the_question_shape(question, shape, extra):
    plan = make_plan(question, VIDEOS)
    assert (plan.shape, plan.direction, plan.value_question) == (shape, *extra)


def test_count_plan_names_the_group_and_topic():
    plan = make_plan("How many of the meetings mention the fire drill?", VIDEOS)
    assert (plan.group, plan.topic) == ("meeting", "the fire drill")
    assert make_plan("What did they say after the slide about the launch window?", VIDEOS).what_next


def test_a_count_group_is_a_whole_word_of_the_file_names():
    """"day" sits inside "monday" and "tuesday", but no file name has the word: "how many days does the tern
    fly?" is a fact inside one video, not a count over videos."""
    videos = [("1", "/lib/team_meeting_monday.mp4"), ("2", "/lib/team_meeting_tuesday.mp4"),
              ("3", "/lib/bird_migration_talk.mp4")]
    assert make_plan("How many days does the Arctic tern fly?", videos).shape == "lookup"
    assert make_plan("How many meetings talk about the fire drill?", videos).shape == "count"


def test_a_count_asked_in_the_passive_keeps_only_its_topic():
    plan = make_plan("In how many of the team meetings is the holiday party discussed?", VIDEOS)
    assert (plan.shape, plan.group, plan.topic) == ("count", "meeting", "the holiday party")


def test_a_file_name_alone_does_not_restrict_the_search(tmp_path):
    """A video called fee.mp4 is searched first for "what is the adoption fee?", not alone: the video that
    states the fee is still found."""
    from test_ask_imports import MINILM, tiny_index

    from videokb.agent import AskOptions
    from videokb.agent.ask import retrieve

    embedder = get_embedder("sentence-transformers", MINILM, "cpu")
    store = tiny_index(tmp_path / "db", embedder, {"fee": ["Welcome to our shop.", "We open at 6 AM."],
                                                    "pet_adoption_day": ["The adoption fee is $75 for every dog."]})
    videos = [(v["video_id"], v["video_path"]) for v in store.videos().to_pylist()]
    plan = make_plan("What is the adoption fee?", videos)
    assert "fee" in plan.video_ids  # named, so searched first
    windows = retrieve(store, plan, AskOptions(device="cpu"))
    assert any(w.video_id == "pet_adoption_day" and "$75" in w.evidence_text() for w in windows)


def test_a_named_video_stays_in_the_windows_when_rare_words_are_looked_up(tmp_path):
    """"How many kinds of tea does the Chengdu teahouse make?": "make" is held word for word by a few moments
    of other videos; read first, they must not push the video the question names out of the windows."""
    from test_ask_imports import MINILM, tiny_index

    from videokb.agent import AskOptions
    from videokb.agent.ask import retrieve

    store = tiny_index(tmp_path / "db", get_embedder("sentence-transformers", MINILM, "cpu"), {
        "chengdu_teahouse": ["30种茶", "每杯8元"],
        "oak_bakery": ["Our oven makes forty loaves a day."], "elm_bakery": ["She makes cakes for weddings."]})
    videos = [(v["video_id"], v["video_path"]) for v in store.videos().to_pylist()]
    plan = make_plan("How many kinds of tea does the Chengdu teahouse make?", videos)
    assert plan.video_ids == ["chengdu_teahouse"]
    windows = retrieve(store, plan, AskOptions(device="cpu", max_windows=1))
    assert [w.video_id for w in windows] == ["chengdu_teahouse"]



BAKERIES = [("m", "/v/maple_bakery.mp4"), ("k", "/v/hospital_kiosk.mp4"), ("w", "/v/willow_bakery.mp4")]


@pytest.mark.parametrize("question", [
    "Which bakery sells the cheapest baguette?",
    "What is the cheapest baguette among the bakeries?",
    "Of all the bakeries, which has the cheapest baguette?",
    "Where is the baguette cheapest among the bakeries?",
    "Which is the cheapest baguette of the bakeries?",
    "In which bakery is a baguette cheapest?",
    "Tell me which bakery sells the cheapest baguette.",
    "Which of the bakeries is the baguette cheapest at?",
])
def test_a_compare_names_its_group_and_thing_wherever_the_question_puts_them(question):
    """The videos compared ("among the bakeries", "of all the bakeries", "in which bakery") and the thing
    ("the baguette", before or after the superlative) are read wherever the wording puts them; with no
    group, a hospital kiosk that sells baguettes too would be compared with the bakeries."""
    plan = make_plan(question, BAKERIES)
    assert (plan.shape, plan.direction, plan.group, plan.value_question) == (
        "compare", "min", "bakery", "How much is the baguette?")


def test_a_superlative_after_the_thing_compares_it():
    plan = make_plan("At which bakery is the scone most expensive?", BAKERIES)
    assert (plan.shape, plan.direction, plan.group, plan.value_question) == (
        "compare", "max", "bakery", "How much is the scone?")
    # a singular after "of the" is no group ("the menu" is one thing)
    assert make_plan("What is the cheapest item of the menu at Maple Bakery?", BAKERIES).group is None


@pytest.mark.parametrize(("question", "shape", "group", "topic"), [
    ("Which meetings mention the budget review?", "count", "meeting", "the budget review"),
    ("Count the meetings that mention the fire drill.", "count", "meeting", "the fire drill"),
    ("List the meetings that discuss the parking lot", "count", "meeting", "the parking lot"),
    ("Which of the meetings talk about the holiday party?", "count", "meeting", "the holiday party"),
    ("Which cafes sell the cheapest espresso?", "compare", "cafe", "espresso price"),  # a superlative compares
    ("Which meeting mentions the fire drill?", "lookup", None, None),  # one video asked for
    ("Tell me which meetings discussed the fire drill.", "count", "meeting", "the fire drill"),
    ("In how many cafes can I buy an espresso?", "count", "cafe", "an espresso"),
])
def test_which_videos_mention_x_is_a_count_that_names_each(question, shape, group, topic):
    videos = [("a", "/v/team_meeting_monday.mp4"), ("b", "/v/team_meeting_friday.mp4"), ("c", "/v/maple_cafe.mp4"),
              ("d", "/v/harbor_cafe.mp4")]
    plan = make_plan(question, videos)
    assert (plan.shape, plan.group, plan.topic) == (shape, group, topic)


@pytest.mark.parametrize(("question", "direction", "topic"), [
    ("What slide comes before The waggle dance?", "before", "waggle dance"),
    ("Which slide comes right after The waggle dance?", "after", "waggle dance"),
    ("What slide is shown after Honeybees?", "after", "Honeybees"),
])
def test_which_slide_comes_before_x_asks_for_the_slide(question, direction, topic):
    plan = make_plan(question, VIDEOS)
    assert (plan.shape, plan.direction, plan.after_topic, plan.reads) == ("adjacent", direction, topic, "shown")


def test_a_count_names_its_group_in_the_plural():
    from videokb.agent.plan import plural

    assert [plural(w) for w in ("bakery", "cafe", "meeting", "box", "day")] == [
        "bakeries", "cafes", "meetings", "boxes", "days"]
