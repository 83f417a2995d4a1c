"""Names speech recognition misheard, as the video's own slides spell them.

Whisper mishears a name the same way each time a video says it ("The Bell Rock" on the slide, "The male rock
lighthouse stands ..." said under it, and later "Robert Stevenson designed the male rock lighthouse" under a
slide that does not name it). Where a slide title and the speech begun under it line up word for word but for
one capitalised word of the title, the speech's word in that place is how this video's speech says the name:
"male rock" -> "bell rock". Under a one-word title, a word spelled nearly alike that opens the speech is how it
says the title ("Iceland", "Island sits on a ridge ..."). A window that says "male rock" then bears on a
question about the Bell Rock; it must still hold every number and name of the answer it supports (the check
reads its own text).
"""

from __future__ import annotations

import difflib
import re

import duckdb

from videokb.agent.plan import STOPWORDS, fold, word_stem

_WORD = re.compile(r"[^\W\d_][\w'-]*")
TITLE_SHOWN_EARLY_S = 1.0  # Whisper may begin a segment up to this much before the slide it is said under
ONE_WORD_OPENING = 2  # a one-word title's name is said among the first this many words of the speech under it
# ... spelled this much alike (difflib ratio): "island" / "iceland" 0.77, "parrots" / "paris" 0.67
ONE_WORD_ALIKE = 0.75


def _words(text: str) -> list[str]:
    return [re.sub(r"'s$", "", fold(w)) for w in _WORD.findall(text)]


def aligned(title: str, speech: str) -> tuple[str, str] | None:
    """(said, spelled): the two-word phrase of ``speech`` that stands where ``title`` has one capitalised word
    the speech lacks, beside a title word the speech holds ("The Bell Rock", "The male rock lighthouse ...":
    ("male rock", "bell rock")), or for a one-word title the word said in its place (:func:`_one_word`); None
    when no single word lines up so (none missing, or several)."""
    raw = _WORD.findall(title)
    spelled = _words(title)
    said = _words(speech)
    if len(raw) == 1:
        return _one_word(raw[0], spelled[0], said)
    missing = [i for i, w in enumerate(spelled) if w not in said and w not in STOPWORDS]
    if len(missing) != 1:
        return None
    i = missing[0]
    # A name: capitalised inside the title, or opening it beside another capitalised word ("Congo Basin"); a
    # sentence-case title's first word names nothing ("Team meeting", "Deep water").
    name = raw[i][:1].isupper() and (i > 0 or raw[1][:1].isupper())
    if not name or len(spelled[i]) < 3:
        return None
    for j in (i + 1, i - 1):  # the neighbour the speech holds anchors the place of the misheard word
        if not 0 <= j < len(spelled) or spelled[j] in STOPWORDS or spelled[j] not in said:
            continue
        k = said.index(spelled[j]) + (i - j)
        if 0 <= k < len(said) and said[k] not in STOPWORDS and said[k] not in spelled and len(said[k]) >= 3:
            pair = sorted([(i, spelled[i], said[k]), (j, spelled[j], spelled[j])])
            return " ".join(p[2] for p in pair), " ".join(p[1] for p in pair)
    return None


def _one_word(raw: str, spelled: str, said: list[str]) -> tuple[str, str] | None:
    """A one-word title ("Iceland"; a name or not: a title's first letter is a capital either way) and speech
    that opens on a word spelled nearly alike ("Island sits on a ridge ..."): (said, spelled). The word must be
    among the speech's first ``ONE_WORD_OPENING`` words (stopwords left out), start with the same letter and
    match at least ``ONE_WORD_ALIKE`` of its letters in order (difflib's ratio), so that a title over speech
    about something else ("Paris" over "Parrots ...") lines up with nothing."""
    if not raw[:1].isupper() or len(spelled) < 4 or word_stem(spelled) in {word_stem(w) for w in said}:
        return None  # heard right ("Islands" over "Island fries ...", "Navigation" over "Birds navigate ...")
    opening = [w for w in said if w not in STOPWORDS][:ONE_WORD_OPENING]
    alike = [w for w in opening if len(w) >= 3 and w[0] == spelled[0]
             and difflib.SequenceMatcher(None, w, spelled).ratio() >= ONE_WORD_ALIKE]
    return (alike[0], spelled) if len(alike) == 1 else None


def heard_as(con: duckdb.DuckDBPyConnection, video_id: str) -> dict[str, str]:
    """This video's misheard names: the speech's phrase -> the slide's spelling (:func:`aligned`), from each
    stretch of speech and the text on screen as it begins. A phrase lined up with two spellings is dropped."""
    segments = con.execute("SELECT start_s, text FROM segments WHERE video_id = ? AND text IS NOT NULL "
                           "ORDER BY start_s", [video_id]).fetchall()
    slides = con.execute("SELECT start_s, end_s, text FROM events WHERE video_id = ? AND kind = 'ocr' "
                         "AND text IS NOT NULL", [video_id]).fetchall()
    found: dict[str, set[str]] = {}
    for start, text in segments:
        for s0, s1, title in slides:
            if s0 <= start + TITLE_SHOWN_EARLY_S and s1 > start and not re.search(r"\d", title):
                if pair := aligned(title, text):
                    found.setdefault(pair[0], set()).add(pair[1])
    return {said: next(iter(spelled)) for said, spelled in found.items() if len(spelled) == 1}


def spelled_out(text: str, heard: dict[str, str]) -> str:
    """``text`` followed by the slide's spelling of each misheard name it says (nothing added where none)."""
    folded = " ".join(_words(text))
    extra = [spelled for said, spelled in heard.items() if re.search(rf"\b{re.escape(said)}\b", folded)]
    return " ".join([text, *extra])


def respelled(text: str, heard: dict[str, str]) -> str:
    """``text``'s words (folded), each misheard name in the slide's spelling ("Island" -> "iceland")."""
    folded = " ".join(_words(text))
    for said, spelled in heard.items():
        folded = re.sub(rf"\b{re.escape(said)}\b", spelled, folded)
    return folded


__all__ = ["aligned", "heard_as", "respelled", "spelled_out"]
