"""The agent's tools over the archive: ``videos()``, ``search(query, videos?)``, ``timeline(video, t0, t1)``,
``read(video, t0, t1)`` and read-only ``sql(query)`` over the event tables.

Plans in code (:mod:`agent.planner`) and models that call tools themselves (:mod:`agent.toolcall`) use the
same object; every call is recorded as a :class:`Step` (tool, arguments, what came back, in short), logged at
INFO (``-v``) and returned in ``ask --json`` as ``steps``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from videokb.agent.evidence import Line, Window, fill_windows, merge_windows, mmss, read_lines, translation_column
from videokb.index.events import connect_events
from videokb.index.store import Store
from videokb.retrieval import Moment, SearchOptions, Searcher

logger = logging.getLogger(__name__)

SQL_ROW_LIMIT = 200


class ToolError(ValueError):
    """A tool called with arguments it cannot use (unknown video, a statement that is not a query...)."""


@dataclass
class Step:
    tool: str
    arguments: dict
    result: str  # what came back, in short

    def to_json(self) -> dict:
        return {"tool": self.tool, "arguments": self.arguments, "result": self.result}


# Speech kept as English after ingest's language check (Whisper's language ID was unsure) whose English decoding
# Whisper itself was unsure of, below this log-probability a token, or that looped: speech in another language
# that Whisper could not make out, written as English gibberish. In the ask archives on an AVX2 machine: espeak-ng
# German "The Malbecastert make soy sauce ..." -1.03 a token, Mandarin -0.71 or a loop ("4-9-1-4-1-3-0-..."),
# against -0.21 for clearly heard English that the language ID gave only 0.72 (the language ID's probability
# does not tell them apart: that Mandarin had 0.67). Its windows are read as another language's: their English
# words say nothing of the question.
UNSURE_ENGLISH_LOGPROB = -0.5


@dataclass
class VideoInfo:
    video_id: str
    video_path: str
    duration_s: float
    language: str | None
    language_check: dict | None = None  # ingest's speech language check, where one ran (videos.language_check)

    @property
    def name(self) -> str:
        return Path(self.video_path).name

    @property
    def evidence_language(self) -> str | None:
        """The language its windows are read in: ``language``, or "und" (undetermined) for English that Whisper
        was unsure of (:data:`UNSURE_ENGLISH_LOGPROB`)."""
        if self.language == "en" and self.language_check and "en" in (tried := self.language_check.get("tried") or {}):
            own = tried["en"]  # [log-probability a token, a character] of its trial decoding; None: a loop
            if own is None or own[0] < UNSURE_ENGLISH_LOGPROB:
                return "und"
        return self.language


def _short(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class ArchiveTools:
    """The tools, over one store; one DuckDB connection and one searcher (its query encodings cached)."""

    def __init__(self, store: Store, *, k: int = 6, pad_s: float = 1.0, device: str = "auto") -> None:
        self.store = store
        self.pad_s = pad_s
        self.steps: list[Step] = []
        self._searcher = Searcher(store, SearchOptions(k=k, device=device))
        self._con: duckdb.DuckDBPyConnection | None = None
        self._videos: dict[str, VideoInfo] | None = None

    # -- plumbing -----------------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = connect_events(self.store)
        return self._con

    def _record(self, tool: str, arguments: dict, result: str) -> None:
        step = Step(tool, arguments, result)
        self.steps.append(step)
        logger.info("step %d: %s(%s) -> %s", len(self.steps), tool,
                    ", ".join(f"{k}={v!r}" for k, v in arguments.items()), result)

    def translation_column(self) -> str | None:
        """The column of ``segments`` holding the English translation of non-English speech, if any."""
        return translation_column(self.con)

    def video(self, video: str) -> VideoInfo:
        """A video by id, id prefix, or file name."""
        infos = self._all_videos()
        if video in infos:
            return infos[video]
        found = [v for v in infos.values() if v.video_id.startswith(video) or v.name == video]
        if len(found) != 1:
            raise ToolError(f"{'no' if not found else 'more than one'} video matches {video!r}")
        return found[0]

    def _all_videos(self) -> dict[str, VideoInfo]:
        if self._videos is None:
            self._videos = {r["video_id"]: VideoInfo(r["video_id"], r["video_path"], r["duration_s"] or 0.0,
                                                     r.get("language"), json.loads(r["language_check"]) if r.get("language_check") else None)
                            for r in self.store.videos().to_pylist()}
        return self._videos

    # -- the tools ----------------------------------------------------------------------------------
    def videos(self) -> list[VideoInfo]:
        out = sorted(self._all_videos().values(), key=lambda v: v.video_path)
        self._record("videos", {}, f"{len(out)} videos")
        return out

    def search(self, query: str, videos: list[str] | None = None, k: int | None = None,
               modalities: tuple[str, ...] | None = None) -> list[Moment]:
        ids = [self.video(v).video_id for v in videos] if videos else None
        options = replace(self._searcher.options, video_ids=ids, k=k or self._searcher.options.k,
                          modalities=modalities or self._searcher.options.modalities)
        self._searcher.options = options
        moments = self._searcher.search(query)
        args = {"query": query, **({"videos": [self.video(v).name for v in ids]} if ids else {})}
        self._record("search", args, "; ".join(
            f"{self.video(m.video_id).name} {mmss(m.start_s)}-{mmss(m.end_s)} {m.score:.3f}" for m in moments[:5])
            or "nothing")
        return moments

    def timeline(self, video: str, t0: float = 0.0, t1: float | None = None) -> list[Line]:
        info = self.video(video)
        t1 = info.duration_s if t1 is None else t1
        lines, withheld = read_lines(self.con, info.video_id, t0, t1)
        self._record("timeline", {"video": info.name, "t0": round(t0, 2), "t1": round(t1, 2)},
                     f"{len(lines)} lines" + (f", {withheld} withheld" if withheld else ""))
        return lines

    def read(self, video: str, t0: float, t1: float, score: float = 0.0) -> Window:
        info = self.video(video)
        (w,) = fill_windows(self.store, [Window(info.video_id, info.video_path, max(0.0, t0),
                                                min(info.duration_s or t1, t1), score, language=info.evidence_language)],
                            budget_tokens=10**9, max_windows=1, con=self.con, finish_sentences=False)
        self._record("read", {"video": info.name, "t0": round(w.start_s, 2), "t1": round(w.end_s, 2)},
                     _short(w.evidence_text()) or "nothing said or shown")
        return w

    def windows(self, moments: list[Moment], *, budget_tokens: int, max_windows: int,
                time_ranges: dict[str, tuple[float, float]] | None = None,
                keyframes_per_window: int = 0) -> list[Window]:
        """Moments widened into numbered evidence windows, best first, within a token budget."""
        durations = {v.video_id: v.duration_s for v in self._all_videos().values()}
        merged = merge_windows(moments, durations, self.pad_s, time_ranges)
        for w in merged:
            w.language = self._all_videos()[w.video_id].evidence_language if w.video_id in self._all_videos() else None
        return fill_windows(self.store, merged, budget_tokens=budget_tokens, max_windows=max_windows,
                            keyframes_per_window=keyframes_per_window, con=self.con)

    def sql(self, query: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        """One read-only statement (SELECT / WITH ... SELECT) over the views ``videos``, ``segments``,
        ``ocr_spans``, ``keyframes`` and ``events``; at most SQL_ROW_LIMIT rows come back."""
        try:
            statements = self.con.extract_statements(query)
        except duckdb.Error as e:
            raise ToolError(f"SQL error: {e}") from e
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise ToolError("sql takes one read-only query (SELECT or WITH ... SELECT)")
        try:
            cur = self.con.execute(query, params or [])
            columns = [d[0] for d in cur.description or []]
            rows = cur.fetchmany(SQL_ROW_LIMIT)
        except duckdb.Error as e:
            raise ToolError(f"SQL error: {e}") from e
        self._record("sql", {"query": query, **({"params": params} if params else {})}, f"{len(rows)} rows" + (f": {_short(str(rows[:3]))}" if rows else ""))
        return columns, rows


__all__ = ["ArchiveTools", "Step", "ToolError", "VideoInfo"]
