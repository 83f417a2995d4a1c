"""Turn a question into searches: the question itself, its keywords, and the filters it implies
(a video it names, "at the start" / "at the end", "after the slide about X")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

STOPWORDS = frozenset(
    """a an the and or of to in on at for from by with about into over after before during is are was were be
    been being do does did has have had how what when where which who whom whose why much many this that these
    those it its i you we they he she them his her our your their there here than then so if as not no yes can
    could would should will shall may might must tell me show please video videos clip say said mention
    mentioned""".split()
)
_START = re.compile(r"\b(at|in|near|towards?) the (very )?(start|beginning|opening)\b|\bfirst (few )?(seconds|minutes?)\b",
                    re.I)
_END = re.compile(r"\b(at|in|near|towards?) the (very )?(end|close)\b|\blast (few )?(seconds|minutes?)\b", re.I)
_AFTER = re.compile(r"\bafter (the )?(slide|part|section|segment|bit|scene|talk) (about|on|with|showing|mentioning) "
                    r"(?P<topic>[^,?.;]+)", re.I)


def fold(text: str) -> str:
    """Lowercase without accents, for matching names ("Café" ~ "cafe")."""
    nfkd = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in nfkd if not unicodedata.combining(c))


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w$.%]+", fold(text)) if w.strip(".") and w not in STOPWORDS]


@dataclass
class Plan:
    question: str
    queries: list[str]
    video_ids: list[str] | None = None
    when: str | None = None  # "start" | "end"
    after_topic: str | None = None
    notes: list[str] = field(default_factory=list)


def make_plan(question: str, videos: list[tuple[str, str]]) -> Plan:
    """``videos``: (video_id, video_path) of the indexed videos, to recognise one the question names."""
    keywords = " ".join(w.strip(".") for w in content_words(question))
    queries = [question] + ([keywords] if keywords and keywords != fold(question).strip() else [])
    plan = Plan(question=question, queries=queries)
    q_words = set(re.findall(r"\w+", fold(question)))
    named = []
    for video_id, path in videos:
        name = [w for w in re.findall(r"[^\W_]+", fold(Path(path).stem)) if w not in STOPWORDS and len(w) > 1]
        if name and all(w in q_words for w in name):
            named.append(video_id)
    if named:
        plan.video_ids = named
        plan.notes.append(f"only {len(named)} video(s) named in the question")
    if m := _AFTER.search(question):
        plan.after_topic = m.group("topic").strip()
        plan.notes.append(f"after: {plan.after_topic}")
    elif _START.search(question):
        plan.when = "start"
        plan.notes.append("near the start")
    elif _END.search(question):
        plan.when = "end"
        plan.notes.append("near the end")
    return plan
