"""Moments -> evidence windows -> the numbered text an answerer reads.

Each moment widens to a window with its neighbouring transcript and on-screen text; overlapping windows
of one video merge; windows are added best first until a token budget is spent. Transcript and OCR text
are data: lines that read like instructions to an assistant are withheld from the model (the window's
header says how many), and can support no citation.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from videokb.agent.heard import heard_as, spelled_out
from videokb.index.events import connect_events
from videokb.index.store import Store
from videokb.retrieval import Moment

logger = logging.getLogger(__name__)

# Text that addresses the model rather than describing the video: prompt injection in a slide or narration.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instruction|prompt|rule|question|above|previous|everything)"
    r"|\b(you are|act as|pretend|system prompt|new instructions?|assistant)\b"
    r"|\b(answer|reply|respond|say|output)\b.{0,30}\b(every|all|any|each) (question|query)",
    re.I,
)
# OCR of digits alone ("0900" read off a photo of coins) means nothing without context.
_BARE_NUMBER = re.compile(r"^[\s.,:;-]*\d{1,4}[\s.,:;-]*$")
# Where an index stores the English translation of non-English speech (the search issue adds one; the
# first of these names that ``segments`` has is used).
TRANSLATION_COLUMNS = ("text_en", "translation", "translation_en", "english")


def mmss(t: float) -> str:
    t = max(0, int(t))
    return f"{t // 60:02d}:{t % 60:02d}"


@dataclass
class Line:
    t_s: float
    kind: str  # "speech" | "screen" | "visual"
    text: str
    began_s: float | None = None  # when it began, where that is before the window (t_s is then its start)
    end_s: float | None = None  # when it ended (a slide: when it left the screen); None where not known

    def began(self) -> float:
        return self.t_s if self.began_s is None else self.began_s

    def shown_at(self, t: float) -> bool:
        """Whether the line had not yet ended at ``t`` (a line with no known end is taken to last)."""
        return self.end_s is None or self.end_s > t


# Letters of scripts other than Latin (Cyrillic, Hebrew, Arabic, Indic, Thai, kana, CJK, Hangul).
_OTHER_SCRIPT = re.compile(r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff"
                           r"\uac00-\ud7af]")


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # Chinese characters (kanji too)


def in_another_script(window: Window) -> bool:
    """A line of the window is written in a script other than Latin: the window is in another language
    whatever speech recognition detected (Whisper heard espeak's Mandarin as English words, while the slide
    read "每杯8元")."""
    return any(_OTHER_SCRIPT.search(re.sub(r"\s*\[English: .*\]\s*$", "", ln.text)) for ln in window.lines)


@dataclass
class Window:
    video_id: str
    video_path: str
    start_s: float
    end_s: float
    score: float
    number: int = 0
    lines: list[Line] = field(default_factory=list)
    keyframes: list[tuple[float, bytes]] = field(default_factory=list)  # (t_s, jpeg) for models that see
    withheld: int = 0  # lines left out because they address the assistant (prompt injection)
    language: str | None = None  # the video's spoken language, as ingest detected it ("und": unsure English)
    heard: dict[str, str] = field(default_factory=dict)  # misheard names of its video -> slide spelling (agent.heard)

    def text(self) -> str:
        head = f"[{self.number}] {quote_name(self.video_path)} {mmss(self.start_s)}-{mmss(self.end_s)}"
        if self.withheld:
            head += f" ({self.withheld} line{'s' * (self.withheld > 1)} withheld: addressed to the assistant)"
        return "\n".join([head] + [f"{ln.kind} {mmss(ln.t_s)}: {ln.text}" for ln in self.lines])

    def evidence_text(self) -> str:
        """What the window says, without its header: what a citation is checked against."""
        return " ".join(ln.text for ln in self.lines)

    def names_text(self) -> str:
        """What the window says, with the slide's spelling of each name its speech misheard (agent.heard): what
        tells whether it bears on a question naming that thing (never what supports an answer)."""
        return spelled_out(self.evidence_text(), self.heard)


def _estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1


def merge_windows(moments: list[Moment], durations: dict[str, float], pad_s: float,
                  time_ranges: dict[str, tuple[float, float]] | None = None) -> list[Window]:
    """Widen each moment by ``pad_s``, keep those inside ``time_ranges`` (per video), merge overlaps."""
    windows: list[Window] = []
    for m in moments:
        lo, hi = max(0.0, m.start_s - pad_s), min(durations.get(m.video_id, m.end_s + pad_s), m.end_s + pad_s)
        if time_ranges is not None:
            if m.video_id not in time_ranges:
                continue
            r0, r1 = time_ranges[m.video_id]
            if m.end_s <= r0 or m.start_s >= r1:
                continue
            lo, hi = max(lo, r0), min(hi, r1)
        for w in windows:
            if w.video_id == m.video_id and lo < w.end_s and hi > w.start_s:
                w.start_s, w.end_s = min(w.start_s, lo), max(w.end_s, hi)
                w.score += m.score
                break
        else:
            windows.append(Window(m.video_id, m.video_path, lo, hi, m.score))
    return windows


def quote_name(video_path: str) -> str:
    """The file name as a quoted string literal: a name holding newlines, brackets or "Question:" cannot
    change the structure of the text a model reads (issue 17)."""
    return json.dumps(Path(video_path).name, ensure_ascii=False)


def translation_column(con: duckdb.DuckDBPyConnection, table: str = "segments") -> str | None:
    """The English column of ``table`` where the index has one: ``segments`` holds Whisper's translation of
    non-English speech, ``ocr_spans`` a gloss of Chinese on-screen text (ingest.gloss); older indexes have
    none."""
    try:
        cols = {r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {table})").fetchall()}
    except duckdb.CatalogException:  # a connection without that table (made by hand, a test's)
        return None
    return next((c for c in TRANSLATION_COLUMNS if c in cols), None)


def _english_of(column: str | None) -> str:
    """SQL for a row's English where it says something its own text does not, else NULL."""
    if column is None:
        return "NULL"
    return f"CASE WHEN {column} IS NOT NULL AND {column} <> '' AND {column} <> text THEN {column} END"


def _with_english(text: str, english: str | None) -> str:
    return f"{text} [English: {english}]" if english else text


def read_lines(con: duckdb.DuckDBPyConnection, video_id: str, t0: float, t1: float) -> tuple[list[Line], int]:
    """What is said, shown and labelled in ``video_id`` between t0 and t1, in order, as the model reads it;
    and how many lines were withheld because they address the assistant. Non-English speech keeps its
    original words and gains its stored English translation in brackets; so does Chinese on-screen text its
    stored gloss (after the slide's lines are joined: one bracket per line, at its end)."""
    rows = con.execute(
        f"SELECT start_s, end_s, 'speech' AS kind, text, {_english_of(translation_column(con))} AS english "
        "FROM segments WHERE video_id = ? AND end_s > ? AND start_s < ? AND text IS NOT NULL "
        "UNION ALL SELECT start_s, end_s, kind, text, NULL FROM events WHERE video_id = ? "
        "AND kind IN ('ocr', 'visual') AND end_s > ? AND start_s < ? AND text IS NOT NULL ORDER BY start_s, kind DESC",
        [video_id, t0, t1] * 2,
    ).fetchall()
    # Glosses are read only for windows showing Chinese text (one more scan; most windows show none).
    if any(kind == "ocr" and _HAN.search(text) for _, _, kind, text, _ in rows) and \
            (glossed := translation_column(con, "ocr_spans")):
        gloss = {(start, text): english for start, text, english in con.execute(
            f"SELECT start_s, text, {_english_of(glossed)} FROM ocr_spans WHERE video_id = ? AND end_s > ? "
            "AND start_s < ?", [video_id, t0, t1]).fetchall()}
        rows = [(start, end, kind, text, gloss.get((start, text)) if kind == "ocr" else english)
                for start, end, kind, text, english in rows]
    seen: set[str] = set()
    lines: list[tuple[Line, str | None]] = []
    withheld = 0
    for start, end, kind, text, english in rows:
        key = f"{kind}:{text.casefold()}"
        if key in seen or (kind == "ocr" and _BARE_NUMBER.match(text)):
            continue
        seen.add(key)
        if _INSTRUCTION.search(_with_english(text, english)):
            withheld += 1
            continue
        line = Line(max(start, t0), {"ocr": "screen"}.get(kind, kind), text, start if start < t0 else None, end)
        lines.append((line, english))
    # On-screen lines shown at one time become one line, "a | b | c", as a slide reads.
    merged: list[tuple[Line, list[str]]] = []
    for ln, english in lines:
        if merged and ln.kind == "screen" == merged[-1][0].kind and ln.t_s == merged[-1][0].t_s:
            last = merged[-1][0]
            last.text += " | " + ln.text
            ends = [e for e in (last.end_s, ln.end_s) if e is not None]
            last.end_s = max(ends) if ends else None
        else:
            merged.append((ln, []))
        if english:
            merged[-1][1].append(english)
    out = []
    for ln, english in merged:
        ln.text = _with_english(ln.text, " | ".join(english))
        out.append(ln)
    # Classifier labels are weak evidence ("web site" on every slide): give them only to windows with
    # nothing said or written, where they are all there is.
    if any(ln.kind != "visual" for ln in out):
        out = [ln for ln in out if ln.kind != "visual"]
    return out, withheld


_SENTENCE_END = re.compile(r"[.!?。！？]\W*$")
FINISH_WITHIN_S = 3.0  # a window whose last words stop mid-sentence takes the next segment starting this close


def _finish_sentence(con: duckdb.DuckDBPyConnection, w: Window) -> None:
    """Whisper cuts sentences across segments ("The discovery of iodine was reported" | "in the year 1850."):
    a window whose last speech line stops mid-sentence is widened to the end of the segment that goes on."""
    speech = [ln for ln in w.lines if ln.kind == "speech"]
    if not speech or _SENTENCE_END.search(speech[-1].text):
        return
    row = con.execute("SELECT end_s FROM segments WHERE video_id = ? AND start_s > ? AND start_s <= ? "
                      "ORDER BY start_s LIMIT 1", [w.video_id, speech[-1].t_s, w.end_s + FINISH_WITHIN_S]).fetchone()
    if row and row[0] > w.end_s:
        w.end_s = row[0]
        w.lines, w.withheld = read_lines(con, w.video_id, w.start_s, w.end_s)


def fill_windows(store: Store, windows: list[Window], *, budget_tokens: int, max_windows: int,
                 keyframes_per_window: int = 0, con: duckdb.DuckDBPyConnection | None = None,
                 finish_sentences: bool = True) -> list[Window]:
    """Read each window's transcript, on-screen text and labels; keep windows best first within the budget.
    With ``finish_sentences``, a window that stops mid-sentence takes the rest of it (_finish_sentence)."""
    con = con or connect_events(store)
    kept: list[Window] = []
    used = 0
    heard: dict[str, dict[str, str]] = {}
    for w in windows:
        if len(kept) >= max_windows:
            break
        w.lines, w.withheld = read_lines(con, w.video_id, w.start_s, w.end_s)
        if finish_sentences:
            _finish_sentence(con, w)
        cost = _estimate_tokens(w.text())
        if kept and used + cost > budget_tokens:
            continue
        if keyframes_per_window:
            w.keyframes = [tuple(r) for r in con.execute(
                "SELECT t_s, k.image_jpeg FROM _raw_keyframes k JOIN videos v USING (video_id, ingest_id) "
                "WHERE video_id = ? AND t_s >= ? AND t_s < ? ORDER BY t_s LIMIT ?",
                [w.video_id, w.start_s, w.end_s, keyframes_per_window]).fetchall()]
        if w.video_id not in heard:
            heard[w.video_id] = heard_as(con, w.video_id)
        w.heard = heard[w.video_id]
        used += cost
        kept.append(w)
    for i, w in enumerate(kept, 1):
        w.number = i
    return kept
