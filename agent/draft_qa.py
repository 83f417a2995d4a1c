"""``videokb train draft-qa``: question/answer pairs drafted from the archive's own text, as JSONL.

Each record is ``{"video_id", "start_s", "end_s", "question", "answer", "source"}``. Templates (no model):

- screen text: "What is written on screen at mm:ss?" -> the on-screen line (up to 6 words), when it is the
  only line shown then; with several lines at once that question has several answers (contradictory
  targets), so each line holding a number becomes a cloze ('On screen at mm:ss: "Adoption fee $___" What
  goes in the blank?' -> "75") and the others are left out;
- a transcript sentence holding a number, price or percentage: a cloze question quoting the sentence with
  the number blanked -> the number as said ("$4.50");
- a transcript sentence ending in a noun phrase ("... see a cat."): "What is shown at mm:ss?" -> the phrase.

With an answerer (``--answerer``), the questions are still templated but each answer is the answerer's own
reply over the window (for a stronger model than the one being tuned); an empty or "not found" reply drops
the record.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from videokb.agent.splice import mmss
from videokb.index.events import connect_events
from videokb.index.store import Store

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"[$€£]?\d+(?:[.,]\d+)*%?")
_PHRASE = re.compile(r"\b((?:a|an|the|some)\s+(?:[A-Za-z-]+\s+){0,3}[A-Za-z-]+)\s*[.!]?\s*$", re.I)
MAX_SCREEN_WORDS = 6


@dataclass
class QaRecord:
    video_id: str
    start_s: float
    end_s: float
    question: str
    answer: str
    source: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def _speech_records(video_id: str, t0: float, t1: float, text: str) -> Iterator[QaRecord]:
    text = " ".join(text.split())
    m = _NUMBER.search(text)
    if m:
        masked = text[:m.start()] + "___" + text[m.end():]
        yield QaRecord(video_id, t0, t1, f'At {mmss(t0)} the video says: "{masked}" What goes in the blank?',
                       m.group(0), "speech-number")
        return
    m = _PHRASE.search(text)
    if m and len(text.split()) <= 12:
        yield QaRecord(video_id, t0, t1, f"What is shown at {mmss((t0 + t1) / 2)}?", m.group(1), "speech-phrase")


def _screen_records(video_id: str, t0: float, t1: float, text: str, alone: bool) -> list[QaRecord]:
    text = text.strip()
    if not 1 <= len(text.split()) <= MAX_SCREEN_WORDS or _NUMBER.fullmatch(text):
        return []
    if alone:
        return [QaRecord(video_id, t0, t1, f"What is written on screen at {mmss(t0)}?", text, "screen")]
    m = _NUMBER.search(text)
    if m is None:
        return []
    masked = text[:m.start()] + "___" + text[m.end():]
    return [QaRecord(video_id, t0, t1, f'On screen at {mmss(t0)}: "{masked}" What goes in the blank?',
                     m.group(0), "screen-number")]


def draft_records(store: Store) -> list[QaRecord]:
    """Templated QA over every live transcript segment and on-screen span, in video and time order."""
    con = connect_events(store)
    rows = con.execute("SELECT video_id, kind, start_s, end_s, text FROM events WHERE kind IN ('speech', 'ocr') "
                       "AND text IS NOT NULL ORDER BY video_id, start_s").fetchall()
    con.close()
    screen_at: dict[tuple, int] = {}  # (video, mm:ss) -> screen lines shown then
    for video_id, kind, t0, _, text in rows:
        if kind == "ocr" and text.strip():
            screen_at[(video_id, mmss(t0))] = screen_at.get((video_id, mmss(t0)), 0) + 1
    out: list[QaRecord] = []
    seen: set[tuple] = set()
    for video_id, kind, t0, t1, text in rows:
        if kind == "ocr":
            recs = _screen_records(video_id, t0, t1, text, screen_at.get((video_id, mmss(t0)), 0) == 1)
        else:
            recs = list(_speech_records(video_id, t0, t1, text))
        for r in recs:
            key = (r.video_id, r.question, r.answer)
            if key not in seen:
                seen.add(key)
                out.append(r)
    logger.info("drafted %d QA records", len(out))
    return out


def answer_with(answerer: Any, store: Store, records: list[QaRecord], pad_s: float = 1.0) -> list[QaRecord]:
    """The same questions answered by ``answerer`` over each record's window (drops "not found" replies)."""
    from videokb.agent.answerers import Evidence
    from videokb.agent.cite import NOT_FOUND
    from videokb.agent.evidence import Window, read_lines

    con = connect_events(store)
    paths = {r["video_id"]: r["video_path"] for r in store.videos().to_pylist()}
    out = []
    for r in records:
        w = Window(r.video_id, paths.get(r.video_id, r.video_id), max(0.0, r.start_s - pad_s), r.end_s + pad_s, 1.0, 1)
        w.lines, w.withheld = read_lines(con, r.video_id, w.start_s, w.end_s)
        reply = answerer.answer(Evidence(r.question, w.text(), 1, windows=[w], store=store)).strip()
        if reply and NOT_FOUND not in reply.lower():
            out.append(QaRecord(r.video_id, r.start_s, r.end_s, r.question, reply, f"{r.source}+{answerer.name}"))
    con.close()
    return out


def write_jsonl(records: list[QaRecord], path: Path) -> None:
    Path(path).write_text("".join(json.dumps(r.to_json()) + "\n" for r in records))


def read_jsonl(path: Path) -> list[QaRecord]:
    """QA records from ``path``; a bad line is an error naming the file, the line and what is missing."""
    path = Path(path)
    records = []
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise ValueError(f"cannot read the QA file {path}: {e}") from e
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            records.append(QaRecord(str(d["video_id"]), float(d["start_s"]), float(d["end_s"]), str(d["question"]),
                                    str(d["answer"]), str(d.get("source", ""))))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path} line {i}: not a QA record ({type(e).__name__}: {e}); each line needs "
                             "video_id, start_s, end_s, question, answer") from e
    if not records:
        raise ValueError(f"{path} holds no QA records")
    return records


__all__ = ["QaRecord", "answer_with", "draft_records", "read_jsonl", "write_jsonl"]
