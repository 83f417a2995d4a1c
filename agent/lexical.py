"""The question's words found word for word in the archive, and the things it asks about.

Vector search ranks the parts of a long lecture that all say "the discovery of ... was reported in the year
..." about equally, whichever element the question names; the one word that tells them apart ("argon") is
found word for word with the read-only ``sql`` tool instead (:func:`rare_moments`). A question word that
only a few moments of the archive hold is what the question is about: those moments are read first.

:func:`entities` are the things a question asks about (the noun after "the", "a", "of" or "against": "the
discovery of gold" asks about gold, "the swimming pool" about a swimming pool); a window that holds none of them cannot
answer it, however well its numbers fit (``agent.cite`` refuses it).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from videokb.agent.plan import STOPWORDS, fold, singular, word_stem
from videokb.retrieval import Moment

if TYPE_CHECKING:
    from videokb.agent.tools import ArchiveTools

logger = logging.getLogger(__name__)

MAX_RARE_MOMENTS = 4  # a word held by more moments than this does not tell them apart
_MIN_LETTERS = 4
# "against" names a thing as "of" does: "the vaccine against leprosy" asks about leprosy, and a lecture whose
# every part says "the vaccine against ... was first tested in ..." does not answer for one it never names.
_OPENERS = frozenset(["the", "a", "an", "of", "against"])
_AUXILIARY = re.compile(r"\b(do|does|did|can|could|will|would|should)\b", re.I)
_ENGLISH = re.compile(r"^\W*(what|how|when|where|which|who|whom|whose|why|in|at|near|according|is|are|does|do|"
                      r"did|can)\b", re.I)
_VERBISH = frozenset(["cost", "costs", "price"])  # "how much does a bagel cost": asked of the bagel
_GENERIC = frozenset("lecture talk talks video videos clip meeting meetings speaker slide slides part year time "
                     "number kind kinds".split())
# An order or age before the thing names none ("the first canal lock" asks about a canal lock, and a window
# saying "its first bridge" does not bear on it).
_ORDER = frozenset("first second third fourth fifth last next previous original earliest latest oldest newest "
                   "early late old new main".split())


def _pattern(word: str) -> str:
    """The whole word or its plural ("moon" finds "moons", "gold" does not find "golden")."""
    return rf"\b{re.escape(fold(word))}(s|es)?\b"


def rare_moments(tools: ArchiveTools, words: set[str], seen_text: str = "") -> list[Moment]:
    """Moments whose speech (or its stored English translation) or screen text holds a question word that at
    most MAX_RARE_MOMENTS moments of the archive hold, ranked by how many such words they hold. Words
    ``seen_text`` (the windows already retrieved) holds are not looked for: they were found."""
    seen = fold(seen_text)
    translated = tools.translation_column()
    found: dict[tuple[str, float], list] = {}
    for word in sorted(words):
        pattern = _pattern(singular(word))  # the question's "birds" finds "bird" too
        if len(word) < _MIN_LETTERS or word.isdigit() or re.search(pattern, seen):
            continue
        sources = ["SELECT video_id, start_s, end_s, text FROM events WHERE kind IN ('speech', 'ocr') "
                   "AND regexp_matches(strip_accents(lower(text)), $1)"]
        if translated:
            sources.append(f"SELECT video_id, start_s, end_s, {translated} FROM segments "
                           f"WHERE regexp_matches(strip_accents(lower(coalesce({translated}, ''))), $1)")
        _, rows = tools.sql(" UNION ALL ".join(sources) + f" ORDER BY video_id, start_s LIMIT {4 * MAX_RARE_MOMENTS}",
                            [pattern])
        spans = {(vid, round(start, 1)): (vid, start, end) for vid, start, end, _ in rows}
        if not spans or len(spans) > MAX_RARE_MOMENTS:
            continue
        for key, span in spans.items():
            found.setdefault(key, [span, set()])[1].add(word)
    infos = {v.video_id: v for v in tools._all_videos().values()}
    ranked = sorted(found.values(), key=lambda x: (-len(x[1]), x[0][0], x[0][1]))
    return [Moment(vid, start, end, float(len(ws)), [], infos[vid].video_path) for (vid, start, end), ws in ranked
            if vid in infos]


def entities(question: str) -> list[list[str]]:
    """The things the question names, each as the words of its phrase, the first one first: the words after
    "the", "a", "an", "of" or "against" up to the next small word ("the swimming pool", "the Rome gelateria"), leaving
    out a phrase asked about another ("the price of a bagel": the bagel), words that name the archive's own
    kinds of things ("the lecture", "the year"), and the question's closing verb ("does the pool open?")."""
    if not _ENGLISH.search(question):
        return []  # the phrase rules are English ones; other languages' questions are left to the other checks
    words = re.findall(r"[\w'-]+", question)
    out = []
    for i, w in enumerate(words[:-1]):
        if fold(w) not in _OPENERS:
            continue
        phrase = []
        for nxt in words[i + 1:]:
            f = fold(nxt).strip("'")
            if f in STOPWORDS or f in _OPENERS or not f.isalpha() or len(phrase) == 3:
                break
            phrase.append(f)
        end = i + 1 + len(phrase)
        if end == len(words) and len(phrase) > 1 and _AUXILIARY.search(" ".join(words[:i])):
            phrase.pop()  # "when does the swimming pool open?": "open" is the verb
        if end < len(words) and fold(words[end]) == "of":
            continue  # "the price of ...": the thing is after "of"
        phrase = [f for f in phrase if f not in _VERBISH]
        while len(phrase) > 1 and phrase[0] in _ORDER:
            phrase.pop(0)
        if phrase and phrase[0] not in _GENERIC and len(phrase[0]) >= 3:
            out.append(phrase)
    return out


def holds_entity(phrase: list[str], text: str, video_path: str = "") -> bool:
    """Whether ``text`` holds the phrase's first word (a plural or a singular of it, or a word of the same
    stem), or the video's file name holds a word of it (the question named the video: "the Rome gelateria" for
    gelateria_roma.mp4)."""
    have = fold(text)
    stem = fold(Path(video_path).stem.replace("_", " ")) if video_path else ""
    first = singular(phrase[0])
    # Or a word of the same Snowball stem: Whisper's "map passengers" holds "mapped passages"'s "mapped".
    return bool(re.search(_pattern(first), have) or re.search(_pattern(first), stem)
                or word_stem(first) in {word_stem(w) for w in re.findall(r"[^\W\d_]+", have)}
                or any(re.search(rf"\b{re.escape(w)}\b", stem) for w in phrase))


__all__ = ["MAX_RARE_MOMENTS", "entities", "holds_entity", "rare_moments"]
