"""A generated archive for questions over many videos, with the questions and their answers.

Families of look-alike videos (cafes with menus, team meetings with agendas, science talks with titled
slides), distractors that share a family's words without belonging to it (a school cafeteria with a menu
that mentions a fire drill), one long lecture, videos narrated in German, Spanish, French, Italian and
Mandarin, and questions of each kind (lookup, long-video lookup, compare, count, before/after,
not-in-archive, cross-language), each kind asked with several templates.

The train/dev split is seeded and goes by template AND by video: a seeded third of each kind's templates and
a seeded third of each family's videos (for compare: of the items compared; count: of the topics; long
lookup: of the lecture's facts; cross-language: of the foreign videos) are "train". A case is train when
both its template and its video are, dev when neither is, and "mixed" otherwise (scored only with
``--split all``), so a dev question shares neither its wording nor its video with any train question.
``bench/ask_quality.py`` ingests the archive and scores ``videokb ask``; the tests use the families.
Everything comes from a seed: the same seed gives the same videos, questions and split.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from videokb.sample import RENDER_VERSION, SampleVideo, SceneSpec, VideoSpec, make_video

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def spoken(n: int) -> str:
    """0-999 as words, as a narrator says it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    rest = n % 100
    return f"{_ONES[n // 100]} hundred" + (f" {spoken(rest)}" if rest else "")


def spoken_price(cents: int) -> str:
    d, c = divmod(cents, 100)
    return f"{spoken(d)} dollars" + (f" and {spoken(c)} cents" if c else "")


def price(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


@dataclass
class Case:
    kind: str  # lookup | long_lookup | compare | count | adjacent | not_found | cross_language
    question: str
    accepted: list[str]  # the answer is right if it holds any of these (case-folded); [] = "not found"
    videos: list[str] = field(default_factory=list)  # file names the citations must cover
    evidence: list[str] = field(default_factory=list)  # a cited window of those videos must hold one of these
    split: str = "dev"  # train | dev | mixed (template and video on different sides)
    template: str = ""  # which wording of the kind ("lookup/1")
    key: str = ""  # what the split goes by besides the template: a video, an item, a topic, a fact


@dataclass
class Archive:
    specs: list[VideoSpec]
    cases: list[Case]


CAFES = ["harbor", "corner", "garden", "station", "river", "market"]
ITEMS = ["espresso", "croissant", "muffin"]
TOPICS = {  # topic -> (agenda slide line, a sentence that says it)
    "fire drill": ("Fire drill", "The fire drill is planned for next week, so please know your exits."),
    "budget review": ("Budget review", "The budget review needs every team's numbers by the end of the month."),
    "parking lot": ("Parking lot", "The parking lot will be repaved, so park on the street for two days."),
    "holiday party": ("Holiday party", "The holiday party will be held in the cafeteria this year."),
    "new interns": ("New interns", "Three new interns join the design team on Monday."),
}
TALKS = {
    "ocean_currents_talk": [
        ("Ocean currents", "Ocean currents carry warm water from the equator toward the poles."),
        ("The Gulf Stream", "The Gulf Stream moves about thirty million cubic meters of water every second."),
        (None, "This photo shows the moon, whose gravity drives the tides along every coast."),
        ("Deep water", "Cold salty water sinks near Greenland and flows south along the ocean floor."),
    ],
    "volcano_talk": [
        ("How volcanoes form", "Volcanoes form where magma rises through cracks in the crust."),
        ("Mount Etna", "Mount Etna in Sicily is about three thousand three hundred meters tall."),
        ("Lava temperature", "Fresh lava can reach about eleven hundred degrees Celsius."),
        (None, "This picture shows layers of cooled rock, like bricks stacked by many eruptions."),
    ],
    "bird_migration_talk": [
        ("Why birds migrate", "Birds migrate to follow food and warm weather across the seasons."),
        ("The Arctic tern", "The Arctic tern flies from pole to pole, the longest migration of any bird."),
        (None, "This photo shows a clock, because migrating birds keep time by the length of the day."),
        ("Navigation", "Many birds navigate with the magnetic field of the earth and the position of the sun."),
    ],
    "solar_system_talk": [
        ("The planets", "Eight planets orbit the sun, and the four inner ones are made of rock."),
        ("Jupiter", "Jupiter is the largest planet, more than eleven times wider than the earth."),
        ("Neptune", "Neptune has sixteen known moons and the fastest winds in the solar system."),
        (None, "This picture of the deep sky shows thousands of galaxies far beyond our own."),
    ],
}
# talk -> facts: (two wordings of the question, accepted answers); the first is each talk's old question.
TALK_FACTS = {
    "ocean_currents_talk": [
        (("How much water does the Gulf Stream move every second?",
          "What volume of water does the Gulf Stream carry each second?"),
         ["30 million", "thirty million", "30,000,000", "30000000"]),
        (("Where does cold salty water sink?", "Near which island does cold salty water sink?"), ["greenland"]),
    ],
    "volcano_talk": [
        (("How tall is Mount Etna?", "What is the height of Mount Etna?"),
         ["3,300", "3300", "three thousand three hundred"]),
        (("How hot can fresh lava get?", "What temperature can fresh lava reach?"),
         ["1100", "1,100", "eleven hundred"]),
    ],
    "bird_migration_talk": [
        (("Which bird has the longest migration?", "What bird flies from pole to pole?"), ["arctic tern", "tern"]),
        (("How do many birds navigate?", "What do many birds use to navigate?"), ["magnetic field", "magnetic"]),
    ],
    "solar_system_talk": [
        (("How many known moons does Neptune have?", "What number of moons does Neptune have?"),
         ["16", "sixteen"]),
        (("How many planets orbit the sun?", "What number of planets go around the sun?"), ["8", "eight"]),
    ],
}
# file, voice, narration, slide, facts: (English question, the question in another language, accepted)
FOREIGN = [
    ("bakerei_berlin.mp4", "de", "Der Apfelkuchen kostet vier Euro und die Bäckerei öffnet um sieben Uhr.",
     "Apfelkuchen 4 Euro\nGeöffnet ab 7 Uhr", [
         ("How much does the apple cake cost at the Berlin bakery?",
          "¿Cuánto cuesta la tarta de manzana en la panadería de Berlín?", ["4"]),
         ("At what time does the Berlin bakery open?", "À quelle heure ouvre la boulangerie de Berlin ?", ["7"])]),
    ("mercado_madrid.mp4", "es", "Las naranjas cuestan dos euros el kilo y el mercado cierra a las tres.",
     "Naranjas 2 euros el kilo\nCierre 15:00", [
         ("How much is a kilo of oranges at the Madrid market?",
          "Wie viel kostet ein Kilo Orangen auf dem Markt in Madrid?", ["2"]),
         ("When does the Madrid market close?", "Quand ferme le marché de Madrid ?", ["3", "15"])]),
    ("musee_paris.mp4", "fr", "Le musée possède neuf cents tableaux et le billet coûte quinze euros.",
     "Billet 15 euros\n900 tableaux", [
         ("How much is a ticket to the Paris museum?",
          "¿Cuánto cuesta una entrada al museo de París?", ["15"]),
         ("How many paintings does the Paris museum have?", "Wie viele Gemälde hat das Museum in Paris?",
          ["900", "nine hundred"])]),
    ("chaguan_beijing.mp4", "cmn", "这家茶馆有三十种茶，每杯茶八元。", "30种茶\n每杯8元", [
         ("How much is a cup of tea at the Beijing tea house?", "北京茶馆一杯茶多少钱？", ["8"]),
         ("How many kinds of tea does the Beijing tea house serve?",
          "¿Cuántos tipos de té sirve la casa de té de Pekín?", ["30", "thirty"])]),
    ("gelateria_roma.mp4", "it", "Una coppa di gelato costa tre euro e la gelateria chiude alle dieci di sera.",
     "Gelato 3 euro\nChiude alle 22", [
         ("How much is a cup of ice cream at the Rome gelateria?",
          "Combien coûte une coupe de glace à la gelateria de Rome ?", ["3"]),
         ("When does the Rome gelateria close?", "Wann schließt die Gelateria in Rom?", ["10", "22"])]),
]
NOT_IN_ARCHIVE = ["Who won the chess tournament?", "What is the price of a bicycle repair?",
                  "How many goals were scored in the football final?", "When does the swimming pool open?",
                  "What is the name of the orchestra conductor?", "How much is a haircut at the barber shop?",
                  "How tall is Mount Fuji?", "What time does the library close on Sunday?",
                  "How much does a bagel cost at {cafe}?", "In what year was the discovery of gold reported?",
                  "How many moons does Saturn have?", "Which team won the rowing race?",
                  # near misses: a thing the archive's videos could hold but do not (a cafe without lattes,
                  # a lecture without copper, a talk on Jupiter that gives no moons, the Gulf Stream's depth)
                  "How much does a latte cost at {cafe}?", "In what year was the discovery of copper reported?",
                  "How many moons does Jupiter have?", "How deep is the Gulf Stream?",
                  "How many people attended the budget review?", "What is the price of a movie ticket?",
                  "How tall is the Eiffel Tower?", "Who painted the Mona Lisa?",
                  "When does the train to Munich leave?"]

# Templates per kind; "{a}" is the article of the item.
LOOKUP_T = ["How much is {a} {item} at {title}?", "What does {a} {item} cost at {title}?",
            "What is the price of {a} {item} at {title}?", "At {title}, how much do they charge for {a} {item}?"]
COMPARE_T = ["Which of the cafes sells the {word} {item}?", "Which cafe has the {word} {item}?",
             "Which of our cafes offers the {word} {item}?"]
COUNT_T = ["How many of the meetings mention the {topic}?", "How many meetings talk about the {topic}?",
           "In how many of the team meetings is the {topic} discussed?"]
ADJACENT_T = ["What is said after the slide titled {title}?", "What does the speaker say after the slide called "
              "{title}?", "What comes after the slide titled {title}?"]
LONG_T = ["In what year was the discovery of {element} reported?",
          "According to the lecture, when was the discovery of {element} reported?"]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class _Splitter:
    """Seeded train sets of templates (per kind) and of keys (per family); a case's split follows both."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"split-{seed}")
        self.train: set[str] = set()

    def choose(self, names: list[str]) -> None:
        """A third of ``names`` (at least one) goes to train."""
        self.train.update(self.rng.sample(names, max(1, len(names) // 3)))

    def __call__(self, template: str, key: str) -> str:
        t, k = template in self.train, key in self.train
        return "train" if t and k else "dev" if not t and not k else "mixed"


def build_archive(seed: int = 0, *, cafes: int = 4, meetings: int = 4, lecture_scenes: int = 30,
                  foreign: bool = True, talks: bool = True, distractors: bool = True) -> Archive:
    rng = random.Random(seed)
    split = _Splitter(seed)
    for kind, templates in (("lookup", LOOKUP_T), ("compare", COMPARE_T), ("count", COUNT_T),
                            ("adjacent", ADJACENT_T), ("long_lookup", LONG_T), ("talk", ["0", "1"]),
                            ("cross_language", ["en", "other"])):
        split.choose([f"{kind}/{i}" for i in range(len(templates))])
    specs: list[VideoSpec] = []
    cases: list[Case] = []

    def add(kind: str, template: str, key: str, question: str, accepted: list[str], videos: list[str],
            evidence: list[str]) -> None:
        cases.append(Case(kind, question, accepted, videos, evidence, split(template, key), template, key))

    # -- cafes: one menu each; compare the prices across them --------------------------------------
    names = rng.sample(CAFES, cafes)
    prices = {item: rng.sample(range(150, 650, 10), cafes) for item in ITEMS}
    split.choose([f"{n}_cafe.mp4" for n in names])
    split.choose(list(ITEMS))
    for i, name in enumerate(names):
        p = {item: prices[item][i] for item in ITEMS}
        title = f"{name.title()} Cafe"
        file = f"{name}_cafe.mp4"
        specs.append(VideoSpec(file, title, (
            SceneSpec(f"Welcome to {title}. An espresso costs {spoken_price(p['espresso'])}, and a croissant "
                      f"costs {spoken_price(p['croissant'])}.",
                      slide_text=f"{title} menu\nEspresso {price(p['espresso'])}\nCroissant {price(p['croissant'])}"),
            SceneSpec("This photo shows a red cup of espresso on a saucer with a silver spoon.", photo="coffee"),
            SceneSpec(f"Our blueberry muffin costs {spoken_price(p['muffin'])}, baked fresh every morning.",
                      slide_text=f"Blueberry muffin {price(p['muffin'])}\nBaked daily"),
        )))
        for j, item in enumerate(ITEMS):  # each fact in two of the wordings, in turn
            for t in (i + j) % len(LOOKUP_T), (i + j + 1) % len(LOOKUP_T):
                q = LOOKUP_T[t].format(a=_article(item), item=item, title=title)
                add("lookup", f"lookup/{t}", file, q, [price(p[item])[1:]], [file], [price(p[item])])
    for item in ITEMS:
        for word, pick in (("cheapest", min), ("most expensive", max)):
            best = names[prices[item].index(pick(prices[item]))]
            for t, template in enumerate(COMPARE_T):
                add("compare", f"compare/{t}", item, template.format(word=word, item=item), [f"{best}_cafe"],
                    [f"{c}_cafe.mp4" for c in names], [price(pick(prices[item]))])

    # -- meetings: agendas; count the meetings that mention a topic --------------------------------
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"][:meetings]
    topics = list(TOPICS)
    agenda = {d: rng.sample(topics, 2) for d in days}
    split.choose(topics)
    for d in days:
        scenes = [SceneSpec(f"Good morning, this is the {d.title()} team meeting.",
                            slide_text=f"Team meeting\n{d.title()} agenda")]
        for t in agenda[d]:
            slide, said = TOPICS[t]
            scenes.append(SceneSpec(said, slide_text=slide))
        specs.append(VideoSpec(f"team_meeting_{d}.mp4", f"{d.title()} Team Meeting", tuple(scenes)))
    for topic in topics:
        having = [d for d in days if topic in agenda[d]]
        for t, template in enumerate(COUNT_T):
            add("count", f"count/{t}", topic, template.format(topic=topic), [str(len(having))],
                [f"team_meeting_{d}.mp4" for d in having], [topic.split()[-1]])

    # -- distractors: a cafeteria (not a cafe) with a menu, that mentions a fire drill (not a meeting) --
    if distractors:
        specs.append(VideoSpec("school_cafeteria.mp4", "School Cafeteria", (
            SceneSpec("Welcome to the school cafeteria. An espresso costs one dollar, and a croissant costs "
                      "one dollar and ten cents.",
                      slide_text="School cafeteria menu\nEspresso $1.00\nCroissant $1.10"),
            SceneSpec("After the fire drill, lunch is served at noon in the main hall.",
                      slide_text="Lunch at noon\nMain hall"),
        )))

    # -- science talks: titled slides; what is said after a slide ----------------------------------
    if talks:
        split.choose(list(TALKS))
        for name, parts in TALKS.items():
            file = f"{name}.mp4"
            specs.append(VideoSpec(file, name.replace("_", " ").title(), tuple(
                SceneSpec(said, slide_text=title) if title else SceneSpec(said, photo=_photo(said))
                for title, said in parts)))
            for i, ((title, _), (_, said_next)) in enumerate(zip(parts, parts[1:])):
                if title is None:
                    continue
                key = max((w for w in said_next.split() if w.isalpha() and w not in _NUMBER_WORDS), key=len)
                for t in i % len(ADJACENT_T), (i + 1) % len(ADJACENT_T):
                    add("adjacent", f"adjacent/{t}", file, ADJACENT_T[t].format(title=title), [key.lower()],
                        [file], [key])
            for questions, accepted in TALK_FACTS[name]:
                for t, q in enumerate(questions):
                    add("lookup", f"talk/{t}", file, q, accepted, [file], accepted)

    # -- one long lecture: facts far apart ---------------------------------------------------------
    if lecture_scenes:
        scenes, facts = [], []
        for i in range(lecture_scenes):
            year = 1700 + 7 * i + rng.randrange(5)
            chem = f"element {i + 1}"
            if i % 3 == 0 and len(facts) < len(_ELEMENTS):
                element = _ELEMENTS[len(facts)]
                scenes.append(SceneSpec(f"Part {i + 1}. The discovery of {element} was reported in the year "
                                        f"{year}.", slide_text=f"Part {i + 1}\n{element.title()}: {year}"))
                facts.append((element, year))
            else:
                scenes.append(SceneSpec(f"Part {i + 1}. Chemists of that time argued about {chem} and many "
                                        "careful measurements were repeated in the laboratory.",
                                        photo=["moon", "clock", "coins", "camera"][i % 4]))
        specs.append(VideoSpec("history_of_chemistry_lecture.mp4", "History of Chemistry", tuple(scenes)))
        split.choose([e for e, _ in facts])
        for element, year in facts:
            for t in range(len(LONG_T)):
                add("long_lookup", f"long_lookup/{t}", element, LONG_T[t].format(element=element),
                    [str(year)], ["history_of_chemistry_lecture.mp4"], [str(year)])

    # -- other languages ---------------------------------------------------------------------------
    if foreign:
        split.choose([f[0] for f in FOREIGN])
        for file, voice, said, slide, facts in FOREIGN:
            specs.append(VideoSpec(file, file[:-4].replace("_", " ").title(), (
                SceneSpec(said, slide_text=slide, voice=voice),)))
            for english, other, accepted in facts:
                add("cross_language", "cross_language/0", file, english, accepted, [file], accepted)
                add("cross_language", "cross_language/1", file, other, accepted, [file], accepted)

    cafe = f"{names[0].title()} Cafe"
    not_found = [q.format(cafe=cafe) for q in NOT_IN_ARCHIVE]
    split.choose(not_found)
    for q in not_found:  # one wording each: the question is its own template
        add("not_found", q, q, q, [], [], [])
    return Archive(specs, cases)


_NUMBER_WORDS = frozenset(_ONES + _TENS + ["hundred", "thousand", "million"])
_ELEMENTS = ["oxygen", "hydrogen", "nitrogen", "chlorine", "helium", "argon", "neon", "iodine", "sodium",
             "potassium", "calcium", "barium"]


def _photo(said: str) -> str:
    for name in ("moon", "brick", "clock", "coffee", "coins", "camera"):
        if name in said or (name == "brick" and "bricks" in said):
            return name
    if "galaxies" in said:
        return "hubble_deep_field"
    return "moon"


def make_archive(archive: Archive, out_dir: Path) -> list[SampleVideo]:
    """Write every video of ``archive`` into ``out_dir``; returns those made. A file is kept only when it was
    made here from the same spec by the same renderer (``.specs.json`` records a digest per file), so a changed
    spec or renderer never leaves a stale video in a benchmark (a Mandarin slide made before the CJK font was
    used showed empty boxes)."""
    out_dir = Path(out_dir)
    record = out_dir / ".specs.json"
    made = json.loads(record.read_text()) if record.exists() else {}
    out = []
    for spec in archive.specs:
        digest = hashlib.sha256(f"{RENDER_VERSION}:{spec!r}".encode()).hexdigest()
        if (out_dir / spec.filename).exists() and made.get(spec.filename) == digest:
            continue
        out.append(make_video(spec, out_dir))
        made[spec.filename] = digest
        tmp = record.with_suffix(".tmp")  # after the video, so a killed run never records a half-made file
        tmp.write_text(json.dumps(made, indent=1, sort_keys=True))
        os.replace(tmp, record)
    return out


__all__ = ["Archive", "Case", "build_archive", "make_archive", "price", "spoken", "spoken_price"]
