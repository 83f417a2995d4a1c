"""More train-only questions of :mod:`videokb.sample_archive`, made up in round ask6 (issue 12) on each
variant's train talks, in shapes the train split lacked: lookups where speech recognition garbled the name the
question uses or the answer word (the slide spells it: "Lake Michael" said under "Lake Baikal"), lookups worded
otherwise than the slide or the speech; before/after questions about the first or last slide of a talk, or
naming the slide by what it is about; not-in-archive questions that name a thing the archive holds in another
role (a person who designed something asked what they wrote; a place where something is, asked its own
size).

:func:`more_cases` yields them; :func:`videokb.sample_archive.build_archive` adds them last, after every seeded
draw, so no other question, video or split changes (``tests/test_ask_archive_banks.py`` pins them by digest).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class More:
    lookups: list[tuple[str, str, list[str]]]  # (file, question, accepted)
    adjacent: list[tuple[str, str, list[str]]]  # (file, question, accepted): before/after in more shapes
    not_found: list[str]


MORE0 = More(
    lookups=[
        ("glaciers_talk.mp4", "How long is the Aletsch Glacier?", ["23", "twenty three"]),
        ("glaciers_talk.mp4", "In which country is the Aletsch Glacier?", ["switzerland"]),
        ("glaciers_talk.mp4", "How far do some glaciers in Alaska slide in one day?", ["40", "forty"]),
        ("glaciers_talk.mp4", "What covered most of northern Europe during the ice ages?", ["sheets"]),
        ("lakes_talk.mp4", "Which lake is the deepest on earth?", ["baikal"]),
        ("lighthouses_talk.mp4", "How tall is the lighthouse on the reef off Scotland?", ["35", "thirty five"]),
        ("lighthouses_talk.mp4", "What did old lighthouses use to guide ships?", ["fire", "mirrors"]),
        ("lighthouses_talk.mp4", "In what year was the Bell Rock lighthouse completed?", ["1810"]),
    ],
    adjacent=[
        ("lighthouses_talk.mp4", "What is said after the first slide of the lighthouses talk?", ["reef", "scotland"]),
        ("glaciers_talk.mp4", "What is shown on the last slide of the glaciers talk?", ["ice ages"]),
        ("lakes_talk.mp4", "What does the speaker say after the slide about the deepest lake on earth?",
         ["frozen", "winter", "moon"]),
        ("glaciers_talk.mp4", "What is said after the slide about the glacier in Switzerland?", ["clock", "record", "centuries"]),
    ],
    not_found=["How tall is Robert Stevenson?", "Where was Robert Stevenson born?",
               "How many keepers worked at the Bell Rock lighthouse?", "How deep is the Aletsch Glacier?",
               "What is the population of Siberia?", "How cold is Lake Baikal?"],
)

MORE1 = More(
    lookups=[
        ("tunnels_talk.mp4", "How long is the Gotthard Base Tunnel?", ["57", "fifty seven"]),
        ("tunnels_talk.mp4", "What does a boring machine grind through?", ["granite"]),
        ("tunnels_talk.mp4", "What does every tunnel need?", ["fresh air", "escape doors", "lamps"]),
        ("caves_talk.mp4", "Where is Krubera Cave?", ["georgia"]),
        ("caves_talk.mp4", "How many kilometers of mapped passages does Mammoth Cave have?", ["600", "six hundred"]),
        ("caves_talk.mp4", "How do caves form?", ["dissolves"]),
        ("bridges_talk.mp4", "In which city is the Golden Gate Bridge?", ["san francisco"]),
        ("bridges_talk.mp4", "In what year did the Golden Gate Bridge open to traffic?", ["1937"]),
    ],
    adjacent=[
        ("caves_talk.mp4", "What is said after the first slide of the caves talk?", ["krubera", "georgia"]),
        ("tunnels_talk.mp4", "What is shown on the last slide of the tunnels talk?", ["tunnel safety"]),
        ("bridges_talk.mp4", "What does the presenter say after the slide about the bridge in San Francisco?",
         ["clock", "rings"]),
        ("caves_talk.mp4", "What is said right after the slide about the deepest cave?", ["bricks", "layers"]),
    ],
    not_found=["How long did Joseph Strauss live?", "When was Krubera Cave discovered?", "How deep is San Francisco Bay?",
               "Who mapped Mammoth Cave?", "Who led the building of the Gotthard Base Tunnel?",
               "When did the Gotthard Base Tunnel open?"],
)

MORE2 = More(
    lookups=[
        ("islands_talk.mp4", "What does Iceland sit on?", ["ridge"]),
        ("islands_talk.mp4", "What lies east of Africa?", ["madagascar"]),
        ("canals_talk.mp4", "How long is the Panama Canal?", ["82", "eighty two"]),
        ("canals_talk.mp4", "What pulled narrow canal boats along the towpath?", ["horses"]),
        ("canals_talk.mp4", "How does a canal lock lift a boat?", ["filling", "chamber"]),
        ("waterfalls_talk.mp4", "In which country is Angel Falls?", ["venezuela"]),
        ("waterfalls_talk.mp4", "Which waterfall is the highest on earth?", ["angel"]),
        ("waterfalls_talk.mp4", "When did Niagara Falls get its first bridge?", ["1848"]),
    ],
    adjacent=[
        ("islands_talk.mp4", "What is said after the first slide of the islands talk?", ["madagascar", "africa"]),
        ("canals_talk.mp4", "What is shown on the last slide of the canals talk?", ["canal boats"]),
        ("waterfalls_talk.mp4", "What does the speaker say after the slide about the highest waterfall?",
         ["camera", "spray"]),
        ("canals_talk.mp4", "What is said after the slide about the canal that joins two oceans?",
         ["camera", "records"]),
    ],
    not_found=["How tall is Samuel Clemens?", "When was Samuel Clemens born?", "Who wrote about Madagascar?",
               "When did the first bridge over the Panama Canal open?", "How many horses work on the Panama Canal?",
               "What is the capital of Venezuela?"],
)

MORE = [MORE0, MORE1, MORE2]


def more_cases(variant: int) -> Iterator[tuple[str, str, str, str, list[str]]]:
    """(kind, template id, file or "", question, accepted) of ``variant``'s more questions."""
    more = MORE[variant]
    for file, question, accepted in more.lookups:
        yield "lookup", "more_lookup", file, question, accepted
    for file, question, accepted in more.adjacent:
        yield "adjacent", "more_adjacent", file, question, accepted
    for question in more.not_found:
        yield "not_found", "more_not_found", "", question, []


__all__ = ["MORE", "More", "more_cases"]
