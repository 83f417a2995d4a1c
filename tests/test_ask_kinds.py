"""The kind of value a question asks for (agent/kinds.py): a measure, a count, a place; the citation check and
copy decoding refuse a value of another measure, in English and in the archive's other languages; a "where"
answer comes from the clause that holds a place."""

import pytest

from videokb.agent.cite import Verifier, as_digits
from videokb.agent.evidence import Line, Window
from videokb.agent.focus import in_place_clause, place_focused
from videokb.agent.kinds import asked, asks_where, counted_words, counts_another, holds_place, measure_sources, refuses
from videokb.index.embedders import get_embedder

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def window(n, *lines, path="/lib/talk.mp4", language="en"):
    return Window(path.rsplit("/", 1)[-1], path, 0.0, 10.0, 1.0, number=n, language=language,
                  lines=[Line(float(i), "speech", t) for i, t in enumerate(lines)])


@pytest.fixture(scope="module")
def verifier():
    return Verifier(get_embedder("sentence-transformers", MINILM, "cpu"))


@pytest.mark.parametrize("question, measures, dimension", [
    ("How deep is the Gulf Stream?", {"length"}, "depth"),
    ("What is the height of Mount Etna?", {"length"}, "height"),
    ("How long is the Nile?", {"length", "time"}, "length"),
    ("How heavy is the blue whale?", {"mass"}, None),
    ("How much does the blue whale weigh?", {"mass"}, None),
    ("What volume of water does the river carry?", {"volume"}, None),
    ("How much water does the Amazon carry each second?", {"volume"}, None),
    ("What area does the Sahara cover?", {"area"}, None),
    ("How hot can fresh lava get?", {"temperature"}, None),
    ("Wie tief ist der Bodensee?", {"length"}, "depth"),
    ("¿Qué profundidad tiene el lago?", {"length"}, "depth"),
    ("Quelle est la hauteur de la tour ?", {"length"}, "height"),
    ("这座山有多高？", {"length"}, "height"),
])
def test_the_measure_a_question_asks_for(question, measures, dimension):
    want = asked(question)
    assert (set(want.measures), want.dimension) == (measures, dimension)


@pytest.mark.parametrize("question", ["How much is an espresso at Harbor Cafe?", "Who designed the lighthouse?",
                                      "Where does cold salty water sink?"])
def test_a_question_of_no_measure_asks_for_none(question):
    assert asked(question) is None


@pytest.mark.parametrize("question", ["When did the Gotthard Base Tunnel open?", "In what year was it finished?",
                                      "When does the market close?", "¿Cuándo cierra la librería?"])
def test_when_asks_for_a_date_or_a_time_and_no_length_answers_it(question):
    """A year said as one ("opened in 1937") or a time with no unit may answer; "57 kilometers" may not (it
    answered "When did the Gotthard Base Tunnel open?"). No number is needed: "at dawn" may answer."""
    want = asked(question)
    assert want.measures == {"date", "time"} and not want.number
    assert refuses(want, "57", "The tunnel is about 57 kilometers long")
    assert not refuses(want, "1937", "which opened in 1937") and not refuses(want, "6", "we open daily at 6 AM")


def test_the_population_asks_for_a_count_of_people():
    want = asked("What is the population of Siberia?")
    assert want.counted == "people"
    assert refuses(want, "1600", "Lake Baikal in Siberia is about 1600 meters deep")
    assert not refuses(want, "40000", "about 40000 people live there")


@pytest.mark.parametrize("question, number, text, refused", [
    # the Gulf Stream's flow is a volume: no depth, no width; it answers how much water it moves
    ("How deep is the Gulf Stream?", "30000000", "moves about thirty million cubic meters of water every second", True),
    ("How wide is the Gulf Stream?", "30000000", "moves about thirty million cubic meters of water every second", True),
    ("How much water does the Gulf Stream move?", "30000000", "moves about thirty million cubic meters of water", False),
    # a length said "long" is no depth or height; said "tall", it is a height
    ("How deep is the Nile?", "6600", "The Nile is about six thousand six hundred kilometers long", True),
    ("How long is the Nile?", "6600", "The Nile is about six thousand six hundred kilometers long", False),
    ("How tall is Mount Etna?", "3300", "Mount Etna is about three thousand three hundred meters tall", False),
    ("How heavy is Mount Etna?", "3300", "Mount Etna is about three thousand three hundred meters tall", True),
    ("How hot can lava get?", "1100", "Fresh lava can reach about eleven hundred degrees Celsius", False),
    ("How deep can lava get?", "1100", "Fresh lava can reach about eleven hundred degrees Celsius", True),
    # a count is not a length ("for 100 kilometers" is no number of days), unless it counts that unit
    ("How many days does the flight last?", "100", "it flies for 100 kilometers", True),
    ("How many kilometers does it fly?", "100", "it flies for 100 kilometers", False),
    ("How many moons does Neptune have?", "16", "Neptune has sixteen known moons", False),
    # a number with no unit is left to the other checks
    ("How deep is the lake?", "85", "the lake is about 85 at its middle", False),
    # ... but a year said as one ("in the year 1850", "opened in 1848") is a date, no measure or count
    ("How deep is the lake?", "1850", "it was reported in the year 1850", True),
    ("How many days does the bridge take to build?", "1848", "its first bridge opened in 1848", True),
    # a fall is a height, and a word Whisper inserted before the unit does not hide it
    ("How wide is the waterfall?", "100", "the falls drop about a hundred baby meters", True),
    ("How tall is the waterfall?", "100", "the falls drop about a hundred baby meters", False),
    # other languages: the unit words are theirs
    ("Wie tief ist der See?", "9", "Der See ist 9 Meter lang", True),
    ("How deep is the lake?", "9", "Der See ist 9 Meter tief", False),
    ("How heavy is the bell?", "9", "La campana pesa 9 toneladas", False),
    ("How tall is the bell?", "9", "La campana pesa 9 toneladas", True),
    ("How deep is the lake?", "9", "这个湖深9米", False),
    ("How heavy is the lake?", "9", "这个湖深9米", True),
    ("How much is a cup of tea?", "8", "每杯8元", False),
    ("How many kinds of tea are there?", "8", "每杯8元", True),
])
def test_a_value_of_another_measure_is_refused(question, number, text, refused):
    assert bool(refuses(asked(question), number, as_digits(text))) == refused


def test_the_check_drops_a_value_of_another_measure(verifier):
    """The near miss: "How deep is the Gulf Stream?" answered with its flow, a number about the thing named."""
    gulf = window(1, "The Gulf Stream moves about thirty million cubic meters of water every second.")
    _, cites = verifier.check("How deep is the Gulf Stream?", "30 million", [gulf])
    assert not any(c.supported for c in cites)
    _, cites = verifier.check("How much water does the Gulf Stream move every second?", "30 million", [gulf])
    assert [c.supported for c in cites] == [True]
    # the same in another language: "Meter ... lang" is a length, not a depth
    see = window(1, "Der Bodensee ist 63 Kilometer lang.", path="/lib/bodensee.mp4", language="de")
    _, cites = verifier.check("How deep is the Bodensee?", "63", [see])
    assert not any(c.supported for c in cites)
    _, cites = verifier.check("How long is the Bodensee?", "63", [see])
    assert [c.supported for c in cites] == [True]


def test_copy_decoding_cannot_copy_a_value_of_another_measure():
    lines = ["The Gulf Stream moves about thirty million cubic meters of water every second.",
             "Near Florida the current is about eight hundred meters deep, and forty kilometers wide."]
    assert measure_sources("How deep is the Gulf Stream?", lines) == [
        "Near Florida the current is about eight hundred meters deep"]
    assert measure_sources("How wide is the Gulf Stream?", lines) == ["forty kilometers wide."]
    assert measure_sources("How much is an espresso?", lines) == lines  # no measure asked: unchanged


def test_a_where_answer_comes_from_the_clause_that_holds_a_place():
    """The clause that answers "where": of those holding a place, the one most about the question."""
    assert asks_where("Where does cold salty water sink?") and asks_where("Near which island does it sink?")
    assert asks_where("In which country is the oasis?") and not asks_where("Who built the castle?")
    assert holds_place("near Greenland") and holds_place("on a reef") and not holds_place("about 35 meters tall")
    deep = window(1, "Cold salty water sinks near Greenland and flows south along the ocean floor.")
    keywords = {"cold", "salty", "water", "sink"}
    assert in_place_clause("near Greenland", [deep], keywords)
    assert in_place_clause("Greenland", [deep], keywords)
    assert not in_place_clause("the ocean floor", [deep], keywords)
    assert not in_place_clause("salty water", [deep], keywords)  # no place
    assert [ln.text for w in place_focused([deep], keywords) for ln in w.lines] == [
        "Cold salty water sinks near Greenland"]


def test_how_many_of_a_unit_is_not_answered_in_another_unit():
    """"How many centimeters does Madagascar move each year?" is not answered by its length, "1,600
    kilometers" (the same measure, another unit); the unit's other spellings still answer."""
    want = asked("How many centimeters does Madagascar move each year?")
    assert refuses(want, "1600", "Madagascar is about 1600 kilometers long")
    assert not refuses(want, "2", "the plates pull apart 2 cm a year")
    km = asked("How many kilometers long is the Panama Canal?")
    assert not refuses(km, "82", "about 82 km long") and not refuses(km, "82", "about 82 kilometres long")


@pytest.mark.parametrize("question, words", [
    ("How many horses work on the Panama Canal?", {"hors", "work"}),
    ("How many known moons does Neptune have?", {"known", "moon"}),
    ("How many kinds of dumplings does the house make?", {"kind", "dumpl"}),
    ("What is the population of Siberia?", set()),  # no "how many": the people-count check's business
])
def test_the_words_a_count_counts(question, words):
    assert counted_words(question) == words


@pytest.mark.parametrize("question, number, text, refused", [
    # the near miss: a count of another thing in the clause about the thing named
    ("How many horses work on the Panama Canal?", "2", "The Panama Canal is about 82 kilometers long and joins two oceans", True),
    ("How many oceans does the Panama Canal join?", "2", "The Panama Canal is about 82 kilometers long and joins two oceans", False),
    ("How many known moons does Neptune have?", "16", "Neptune has sixteen known moons", False),
    ("How many moons did Galileo see?", "4", "Galileo saw four large moons around Jupiter", False),
    ("How many kinds of noodles are served?", "20", "the shop serves 20 kinds of noodles", False),
    # a number that counts nothing said is left to the other checks
    ("How many moons does Neptune have?", "16", "Neptune has sixteen of them", False),
    ("How many planets are there?", "8", "there are 8.", False),
])
def test_a_count_of_another_thing_is_refused(question, number, text, refused):
    assert bool(counts_another(question, number, as_digits(text))) == refused


def test_the_check_drops_a_count_of_another_thing(verifier):
    """"How many horses work on the Panama Canal?" was answered "2" from "... joins two oceans"."""
    canal = window(1, "The Panama Canal is about eighty two kilometers long and joins two oceans.")
    for span in ("2", "two"):
        _, cites = verifier.check("How many horses work on the Panama Canal?", span, [canal])
        assert not any(c.supported for c in cites)
    _, cites = verifier.check("How many oceans does the Panama Canal join?", "two", [canal])
    assert [c.supported for c in cites] == [True]
    # another language's window cannot say the English noun: left to the other checks
    zoo = window(1, "Le zoo a 40 éléphants.", path="/lib/zoo_sevilla.mp4", language="fr")
    _, cites = verifier.check("How many elephants does the Sevilla zoo have?", "40", [zoo])
    assert [c.supported for c in cites] == [True]


@pytest.mark.parametrize(("text", "phrases"), [
    ("The office move to the new building starts in June, so pack your desks.", ["in June"]),
    ("The market opens at 9 AM on Saturdays.", ["at 9 AM", "on Saturdays"]),
    ("It opened in 1890 and closed on March 3, 1990.", ["in 1890", "on March 3, 1990"]),
    ("You may come next spring.", ["next spring"]),
    ("In March the shop is closed until midnight.", ["In March", "until midnight"]),
    ("It is 57 kilometers long and may close.", []),
])
def test_the_time_phrases_of_a_clause(text, phrases):
    from videokb.agent.kinds import time_phrases

    assert time_phrases(text) == phrases
