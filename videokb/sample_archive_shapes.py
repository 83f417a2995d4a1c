"""Before/after questions in more shapes, always train: other wordings ("once the slide X is gone", "what
comes right after the X slide", "what was on screen just before X"), a slide named by a part of its title or
a paraphrase, before-slide questions, and talks built to hold the hard cases: titles that repeat a word of
another slide's title ("Glaciers", "Glacier speed", "Melting glaciers"), a slide shown with no speech, a
slide followed by a photo, and the last slide of a talk.

:func:`shape_cases` yields them for a bank's train talks and shape talks; :mod:`videokb.sample_archive`
adds them after every seeded draw, so no dev (or other) question or split changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A talk: (slide title or None for a photo scene, what is said; "" for a slide shown with no speech)
Talk = list[tuple[str | None, str]]


@dataclass(frozen=True)
class Shapes:
    talks: dict[str, Talk]  # extra train videos with the hard cases
    parts: dict[str, str]  # slide title -> how a question may name it instead (a part of it, a paraphrase)
    # (wording, what it asks): "after_said", "before_said", "after_shown", "before_shown"; {title}, {part}, or
    # {bare}: the title without a leading "The" ("the Bell Rock slide")
    templates: list[tuple[str, str]]


SHAPES0 = Shapes(
    talks={
        "glaciers_talk": [
            ("Glaciers", "Glaciers are rivers of ice that creep slowly down from high valleys."),
            ("Glacier speed", "Some glaciers in Alaska slide forward about forty meters in a single day."),
            ("Melting glaciers", ""),
            ("The Aletsch Glacier", "The Aletsch Glacier in Switzerland is about twenty three kilometers long."),
            (None, "This photo shows a clock, because glaciers keep a record of many centuries of snow."),
            ("Ice ages", "During the ice ages, sheets of ice covered most of northern Europe and Canada."),
        ],
    },
    parts={"The Bell Rock": "the Bell Rock", "Lake Baikal": "Baikal", "Lake Superior": "Superior",
           "Old lighthouses": "old lighthouses", "Glacier speed": "how fast glaciers move",
           "The Aletsch Glacier": "Aletsch", "Ice ages": "the ice ages", "Keepers": "the keepers",
           "Great lakes": "the great lakes", "Glaciers": "glaciers", "Melting glaciers": "glaciers melting"},
    templates=[
        ("What does the speaker say once the slide {title} is gone?", "after_said"),
        ("What comes right after the {bare} slide?", "after_said"),
        ("What is said after the slide about {part}?", "after_said"),
        ("What do we hear next, after the slide titled {title}?", "after_said"),
        ("What is said before the slide titled {title}?", "before_said"),
        ("What does the narrator say just before the {bare} slide?", "before_said"),
        ("What was on screen just before the slide {title}?", "before_shown"),
        ("Which slide is shown after the slide called {title}?", "after_shown"),
    ],
)

SHAPES1 = Shapes(
    talks={
        "tunnels_talk": [
            ("Tunnels", "Tunnels carry roads and railways through hills and under wide harbors."),
            ("Tunnel boring machines", "A boring machine grinds through granite with a spinning wheel of steel "
                                       "teeth."),
            ("Long tunnels", ""),
            ("The Gotthard Tunnel", "The Gotthard Base Tunnel under the Alps is about fifty seven kilometers "
                                    "long."),
            (None, "This picture shows old coins that workers found deep inside the mountain."),
            ("Tunnel safety", "Every tunnel needs fresh air, escape doors and lamps along its walls."),
        ],
    },
    parts={"The Golden Gate": "the Golden Gate", "Krubera Cave": "Krubera", "Mammoth Cave": "Mammoth",
           "Famous bridges": "famous bridges", "Builders": "the builders", "Caves": "caves",
           "Tunnel boring machines": "the boring machines", "The Gotthard Tunnel": "Gotthard",
           "Tunnel safety": "safety in tunnels", "Tunnels": "tunnels", "Long tunnels": "the long tunnels"},
    templates=[
        ("What is said once the slide titled {title} has gone?", "after_said"),
        ("What follows right after the {bare} slide?", "after_said"),
        ("What does the presenter talk about after the part on {part}?", "after_said"),
        ("What do we hear after the slide named {title}?", "after_said"),
        ("What is said just before the slide called {title}?", "before_said"),
        ("What does the presenter say before the {bare} slide?", "before_said"),
        ("What is shown right before the slide titled {title}?", "before_shown"),
        ("What slide comes after the one called {title}?", "after_shown"),
        # made up in round ask5 on these train talks (appended: the wordings above keep their ids)
        ("What is talked about after the slide titled {title}?", "after_said"),
        ("Right after the slide called {title}, what does the presenter explain?", "after_said"),
        ("What does the presenter describe after the {bare} slide?", "after_said"),
        ("What is covered once the slide titled {title} ends?", "after_said"),
        ("Tell me what the presenter says following the slide titled {title}.", "after_said"),
        ("What does the presenter go on to describe when the slide about {part} disappears?", "after_said"),
        ("What is mentioned just before the slide titled {title}?", "before_said"),
        ("Which title appears right after the slide called {title}?", "after_shown"),
    ],
)

SHAPES2 = Shapes(
    talks={
        "canals_talk": [
            ("Canals", "Canals carry boats across flat land between rivers and lakes."),
            ("Canal locks", "A canal lock lifts a boat by filling a small chamber with water."),
            ("Old canals", ""),
            ("The Panama Canal", "The Panama Canal is about eighty two kilometers long and joins two oceans."),
            (None, "This photo shows a camera that records every ship passing the gates."),
            ("Canal boats", "Narrow canal boats were once pulled by horses walking on a towpath."),
        ],
    },
    parts={"Angel Falls": "Angel Falls", "Niagara Falls": "Niagara", "Madagascar": "Madagascar",
           "Waterfalls": "waterfalls", "Islands": "islands", "Canal locks": "how locks lift boats",
           "The Panama Canal": "Panama", "Canals": "canals", "Old canals": "the old canals"},
    templates=[
        ("What is said once the {bare} slide is gone?", "after_said"),
        ("What does the speaker go on to say after the slide titled {title}?", "after_said"),
        ("What is said after the part about {part}?", "after_said"),
        ("What did the speaker say before the slide titled {title}?", "before_said"),
        ("What is shown after the slide named {title}?", "after_shown"),
        ("What was on the screen before the {bare} slide?", "before_shown"),
    ],
)

SHAPES = [SHAPES0, SHAPES1, SHAPES2]
_NUMBERS = frozenset("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                     "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
                     "thousand million about every shows their there which where".split())  # and words of any part


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _distinct_words(said: str, parts: Talk) -> list[str]:
    """The words of ``said`` (5 letters or more) that no other part of its talk says or shows: an answer
    holding one read that part ("picture" or "glaciers" would not show it); several, as speech recognition
    may garble one ("off-cutland" for "off Scotland")."""
    others = set().union(*(_words(f"{t or ''} {s}") for t, s in parts if s != said))
    return sorted((w for w in _words(said) - others - _NUMBERS if len(w) >= 5), key=lambda w: (-len(w), w))


def shape_cases(talks: dict[str, Talk], shapes: Shapes) -> Iterator[tuple[str, str, str, list[str]]]:
    """(template id, file, question, accepted) for every slide of ``talks`` and every wording that has an
    answer there: what is said next (the next part that has speech, past a slide shown in silence), what
    was said before, the slide shown next or before (a photo is not asked about)."""
    for name, parts in talks.items():
        for i, (title, _) in enumerate(parts):
            if title is None:
                continue
            spoken_after = next((s for _, s in parts[i + 1:] if s), None)
            spoken_before = next((s for _, s in reversed(parts[:i]) if s), None)
            shown = {"after_shown": parts[i + 1][0] if i + 1 < len(parts) else None,
                     "before_shown": parts[i - 1][0] if i > 0 else None}
            for t, (template, asks) in enumerate(shapes.templates):
                if asks.endswith("_said"):
                    said = spoken_after if asks == "after_said" else spoken_before
                    accepted = _distinct_words(said, parts) if said else None
                else:
                    other = shown[asks]
                    accepted = [other.lower()] if other else None
                if accepted is None or ("{part}" in template and title not in shapes.parts):
                    continue
                bare = title[4:] if title.startswith("The ") else title
                question = template.format(title=title, part=shapes.parts.get(title, title), bare=bare)
                yield f"shape_adjacent/{t}", f"{name}.mp4", question, accepted


__all__ = ["SHAPES", "Shapes", "shape_cases"]
