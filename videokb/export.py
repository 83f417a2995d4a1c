"""Export what the index knows about a video: subtitles (SubRip, WebVTT) of its transcript, or JSON with its
transcript, on-screen text spans and every timed event; JSON lines for the whole library.

Subtitles are written by pysubs2, so players and ffmpeg read them as they read any SRT/VTT file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from videokb.api import Event, KnowledgeBase, Video
from videokb.errors import InvalidInputError

logger = logging.getLogger(__name__)

FORMATS = ("srt", "vtt", "json", "jsonl")
SUBTITLE_FORMATS = ("srt", "vtt")


def _event(e: Event) -> dict[str, Any]:
    d = {"kind": e.kind, "start_s": round(e.start_s, 3), "end_s": round(e.end_s, 3), "text": e.text}
    if e.bbox_xyxy is not None:
        d["bbox_xyxy"] = [round(x, 1) for x in e.bbox_xyxy]
    return d


def video_document(kb: KnowledgeBase, video: str | Video) -> dict[str, Any]:
    """One video as JSON-ready data: its ``videos`` row, transcript, on-screen text spans and all events."""
    v = video if isinstance(video, Video) else kb.video(video)
    events = kb.timeline(v.video_id)
    return {
        "video": v.to_json(),
        "transcript": [_event(e) for e in events if e.kind == "speech"],
        "ocr_spans": [_event(e) for e in events if e.kind == "ocr"],
        "events": [_event(e) for e in events],
    }


def subtitles(kb: KnowledgeBase, video: str, fmt: str) -> str:
    """The transcript of ``video`` as a SubRip (``srt``) or WebVTT (``vtt``) file's text."""
    import pysubs2

    if fmt not in SUBTITLE_FORMATS:
        raise InvalidInputError(f"subtitle format must be one of {', '.join(SUBTITLE_FORMATS)}, not {fmt!r}")
    v = kb.video(video)
    segments = kb.transcript(v.video_id)
    if not segments:
        raise InvalidInputError(f"{v.video_path}: no transcript in the index (no speech was found, or it was "
                                "ingested with --no-asr); use --format json for its other events")
    subs = pysubs2.SSAFile()
    for s in segments:
        event = pysubs2.SSAEvent(start=pysubs2.make_time(s=s.start_s), end=pysubs2.make_time(s=s.end_s))
        event.plaintext = (s.text or "").strip()  # escaped: braces and backslashes stay text
        subs.append(event)
    return subs.to_string(fmt)


def export_video(kb: KnowledgeBase, video: str, fmt: str) -> str:
    """``video`` in format ``fmt`` (srt, vtt, json, or jsonl = the JSON on one line)."""
    if fmt in SUBTITLE_FORMATS:
        return subtitles(kb, video, fmt)
    if fmt == "json":
        return json.dumps(video_document(kb, video), indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return json.dumps(video_document(kb, video), ensure_ascii=False) + "\n"
    raise InvalidInputError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def export_library(kb: KnowledgeBase) -> Iterator[str]:
    """One JSON line per indexed video (what ``--format json`` gives for it), by path."""
    for v in kb.videos():
        yield json.dumps(video_document(kb, v), ensure_ascii=False) + "\n"


__all__ = ["FORMATS", "export_library", "export_video", "subtitles", "video_document"]
