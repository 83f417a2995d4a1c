"""Names speech recognition misheard, as the video's own slides spell them.

Whisper mishears a name the same way each time a video says it ("The Bell Rock" on the slide, "The male rock
lighthouse stands ..." said under it, and later "Robert Stevenson designed the male rock lighthouse" under a
slide that does not name it). Where a slide title and the speech begun under it line up word for word but for
one capitalised word of the title, the speech's word in that place is how this video's speech says the name:
"male rock" -> "bell rock". A window that says "male rock" then bears on a question about the Bell Rock; it
must still hold every number and name of the answer it supports (the check reads its own text).
"""

from __future__ import annotations

import re

import duckdb

from videokb.agent.plan import STOPWORDS, fold

_WORD = re.compile(r"[^\W\d_][\w'-]*")
TITLE_SHOWN_EARLY_S = 1.0  # Whisper may begin a segment up to this much before the slide it is said under


def _words(text: str) -> list[str]:
    return [re.sub(r"'s$", "", fold(w)) for w in _WORD.findall(text)]


def aligned(title: str, speech: str) -> tuple[str, str] | None:
    """(said, spelled): the two-word phrase of ``speech`` that stands where ``title`` has one capitalised word
    the speech lacks, beside a title word the speech holds ("The Bell Rock", "The male rock lighthouse ...":
    ("male rock", "bell rock")); None when no single word lines up so (none missing, or several)."""
    raw = _WORD.findall(title)
    spelled = _words(title)
    said = _words(speech)
    missing = [i for i, w in enumerate(spelled) if w not in said and w not in STOPWORDS]
    if len(missing) != 1 or len(raw) < 2:
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


__all__ = ["aligned", "heard_as", "spelled_out"]
