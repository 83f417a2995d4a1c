"""A generated archive for questions over many videos, with the questions and their answers.

Families of look-alike videos (cafes with menus, team meetings with agendas, science talks with titled
slides), one long lecture, videos narrated in German, Spanish, French and Mandarin, and templated questions
of each kind (lookup, long-video lookup, compare, count, before/after, not-in-archive, cross-language) with a
train/dev split. ``bench/ask_quality.py`` ingests it and scores ``videokb ask``; the tests use the families.
Everything comes from a seed: the same seed gives the same videos and questions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from videokb.sample import SampleVideo, SceneSpec, VideoSpec, make_video

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
    split: str = "dev"


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
}
FOREIGN = [  # file, voice, narration, slide, English question, accepted
    ("bakerei_berlin.mp4", "de", "Der Apfelkuchen kostet vier Euro und die Bäckerei öffnet um sieben Uhr.",
     "Apfelkuchen 4 Euro\nGeöffnet ab 7 Uhr", "How much does the apple cake cost at the Berlin bakery?", ["4"]),
    ("mercado_madrid.mp4", "es", "Las naranjas cuestan dos euros el kilo y el mercado cierra a las tres.",
     "Naranjas 2 euros el kilo\nCierre 15:00", "How much is a kilo of oranges at the Madrid market?", ["2"]),
    ("musee_paris.mp4", "fr", "Le musée possède neuf cents tableaux et le billet coûte quinze euros.",
     "Billet 15 euros\n900 tableaux", "How much is a ticket to the Paris museum?", ["15"]),
    ("chaguan_beijing.mp4", "cmn", "这家茶馆有三十种茶，每杯茶八元。", "30种茶\n每杯8元",
     "How much is a cup of tea at the Beijing tea house?", ["8"]),
]
NOT_IN_ARCHIVE = ["Who won the chess tournament?", "What is the price of a bicycle repair?",
                  "How many goals were scored in the football final?", "When does the swimming pool open?",
                  "What is the name of the orchestra conductor?", "How much is a haircut at the barber shop?"]


def _split(i: int) -> str:
    return "train" if i % 3 == 0 else "dev"


def build_archive(seed: int = 0, *, cafes: int = 4, meetings: int = 4, lecture_scenes: int = 30,
                  foreign: bool = True, talks: bool = True) -> Archive:
    rng = random.Random(seed)
    specs: list[VideoSpec] = []
    cases: list[Case] = []

    # -- cafes: one menu each; compare the prices across them --------------------------------------
    names = rng.sample(CAFES, cafes)
    prices = {item: rng.sample(range(150, 650, 10), cafes) for item in ITEMS}
    for i, name in enumerate(names):
        p = {item: prices[item][i] for item in ITEMS}
        title = f"{name.title()} Cafe"
        specs.append(VideoSpec(f"{name}_cafe.mp4", title, (
            SceneSpec(f"Welcome to {title}. An espresso costs {spoken_price(p['espresso'])}, and a croissant "
                      f"costs {spoken_price(p['croissant'])}.",
                      slide_text=f"{title} menu\nEspresso {price(p['espresso'])}\nCroissant {price(p['croissant'])}"),
            SceneSpec("This photo shows a red cup of espresso on a saucer with a silver spoon.", photo="coffee"),
            SceneSpec(f"Our blueberry muffin costs {spoken_price(p['muffin'])}, baked fresh every morning.",
                      slide_text=f"Blueberry muffin {price(p['muffin'])}\nBaked daily"),
        )))
        item = ITEMS[i % len(ITEMS)]
        article = "an" if item[0] in "aeiou" else "a"
        cases.append(Case("lookup", f"How much is {article} {item} at {title}?", [price(p[item])[1:]],
                          [f"{name}_cafe.mp4"], [price(p[item])]))
    n = 0
    for item in ITEMS:
        for word, pick in (("cheapest", min), ("most expensive", max)):
            best = names[prices[item].index(pick(prices[item]))]
            cases.append(Case("compare", f"Which of the cafes sells the {word} {item}?", [f"{best}_cafe"],
                              [f"{c}_cafe.mp4" for c in names], [price(pick(prices[item]))], _split(n)))
            n += 1

    # -- meetings: agendas; count the meetings that mention a topic --------------------------------
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"][:meetings]
    topics = list(TOPICS)
    agenda = {d: rng.sample(topics, 2) for d in days}
    for d in days:
        scenes = [SceneSpec(f"Good morning, this is the {d.title()} team meeting.",
                            slide_text=f"Team meeting\n{d.title()} agenda")]
        for t in agenda[d]:
            slide, said = TOPICS[t]
            scenes.append(SceneSpec(said, slide_text=slide))
        specs.append(VideoSpec(f"team_meeting_{d}.mp4", f"{d.title()} Team Meeting", tuple(scenes)))
    for j, t in enumerate(topics):
        having = [d for d in days if t in agenda[d]]
        cases.append(Case("count", f"How many of the meetings mention the {t}?", [str(len(having))],
                          [f"team_meeting_{d}.mp4" for d in having], [t.split()[-1]], _split(j)))

    # -- science talks: titled slides; what is said after a slide ----------------------------------
    if talks:
        k = 0
        for name, parts in TALKS.items():
            specs.append(VideoSpec(f"{name}.mp4", name.replace("_", " ").title(), tuple(
                SceneSpec(said, slide_text=title) if title else SceneSpec(said, photo=_photo(said))
                for title, said in parts)))
            for (title, _), (_, said_next) in zip(parts, parts[1:]):
                if title is None:
                    continue
                key = max((w for w in said_next.split() if w.isalpha() and w not in _NUMBER_WORDS), key=len)
                cases.append(Case("adjacent", f"What is said after the slide titled {title}?", [key.lower()],
                                  [f"{name}.mp4"], [key], _split(k)))
                k += 1
            title, fact = parts[1]
            cases.append(Case("lookup", _FACT_QUESTIONS[name], _FACT_ANSWERS[name], [f"{name}.mp4"],
                              _FACT_ANSWERS[name], "dev"))

    # -- one long lecture: facts far apart ---------------------------------------------------------
    if lecture_scenes:
        scenes, m = [], 0
        for i in range(lecture_scenes):
            year = 1700 + 7 * i + rng.randrange(5)
            chem = f"element {i + 1}"
            if i % 3 == 0 and m < len(_ELEMENTS):
                element = _ELEMENTS[m]
                scenes.append(SceneSpec(f"Part {i + 1}. The discovery of {element} was reported in the year "
                                        f"{year}.", slide_text=f"Part {i + 1}\n{element.title()}: {year}"))
                cases.append(Case("long_lookup", f"In what year was the discovery of {element} reported?", [str(year)],
                                  ["history_of_chemistry_lecture.mp4"], [str(year)], _split(m)))
                m += 1
            else:
                scenes.append(SceneSpec(f"Part {i + 1}. Chemists of that time argued about {chem} and many "
                                        "careful measurements were repeated in the laboratory.",
                                        photo=["moon", "clock", "coins", "camera"][i % 4]))
        specs.append(VideoSpec("history_of_chemistry_lecture.mp4", "History of Chemistry", tuple(scenes)))

    # -- other languages ---------------------------------------------------------------------------
    if foreign:
        for i, (file, voice, said, slide, question, accepted) in enumerate(FOREIGN):
            specs.append(VideoSpec(file, file[:-4].replace("_", " ").title(), (
                SceneSpec(said, slide_text=slide, voice=voice),)))
            cases.append(Case("cross_language", question, accepted, [file], accepted, "dev"))

    for i, q in enumerate(NOT_IN_ARCHIVE):
        cases.append(Case("not_found", q, [], [], [], _split(i)))
    return Archive(specs, cases)


_NUMBER_WORDS = frozenset(_ONES + _TENS + ["hundred", "thousand", "million"])
_ELEMENTS = ["oxygen", "hydrogen", "nitrogen", "chlorine", "helium", "argon", "neon", "iodine", "sodium",
             "potassium", "calcium", "barium"]
_FACT_QUESTIONS = {
    "ocean_currents_talk": "How much water does the Gulf Stream move every second?",
    "volcano_talk": "How tall is Mount Etna?",
    "bird_migration_talk": "Which bird has the longest migration?",
}
_FACT_ANSWERS = {
    "ocean_currents_talk": ["30 million", "thirty million", "30,000,000", "30000000"],
    "volcano_talk": ["3,300", "3300", "three thousand three hundred"],
    "bird_migration_talk": ["arctic tern", "tern"],
}


def _photo(said: str) -> str:
    for name in ("moon", "brick", "clock", "coffee", "coins", "camera"):
        if name in said or (name == "brick" and "bricks" in said):
            return name
    return "moon"


def make_archive(archive: Archive, out_dir: Path) -> list[SampleVideo]:
    """Write every video of ``archive`` into ``out_dir`` (existing files are kept)."""
    out = []
    for spec in archive.specs:
        if (Path(out_dir) / spec.filename).exists():
            continue
        out.append(make_video(spec, Path(out_dir)))
    return out


__all__ = ["Archive", "Case", "build_archive", "make_archive", "price", "spoken", "spoken_price"]
