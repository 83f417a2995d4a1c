"""What the server asks of the index: search, ask, videos, a video's timeline and thumbnails.

A thin layer over :mod:`videokb.retrieval` and :mod:`videokb.agent` that keeps the store, the encoders and the
answerer open for the life of the server and turns results into JSON-ready dicts. (When ``videokb.open()`` /
``KnowledgeBase`` lands, this is the one module that switches to it.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videokb.index import schema as S
from videokb.index.store import Store

logger = logging.getLogger(__name__)


class NotFound(LookupError):
    """No such video (or keyframe) in the index; the message says which."""


@dataclass
class SearchRequest:
    query: str | None = None
    image: object | None = None  # PIL image
    modalities: tuple[str, ...] = ("speech", "ocr", "visual")
    video_ids: list[str] | None = None
    k: int = 12


class KnowledgeBase:
    """One open index for a server's lifetime: reads see every commit (an ingest running beside it included)."""

    def __init__(self, db: str | Path, device: str = "cpu", answerer: str = "gemma-270m",
                 answerer_options: dict | None = None) -> None:
        self.store = Store(db)
        self.device = device
        self._answerer_name = answerer
        self._answerer_options = answerer_options or {}
        self._answerer = None
        self._answerer_lock = threading.Lock()  # one model, one generation at a time
        self._cache_lock = threading.Lock()
        self._cache_key: int | None = None  # version of the videos table the caches below were read at
        self._live: dict[str, str] = {}
        self._words: dict[str, int] = {}
        self._keyframes: dict[str, list[dict]] = {}
        self._ocr: dict[str, list[dict]] = {}

    # -- warm-up ------------------------------------------------------------------------------------
    def warm_up(self, answerer: bool = True) -> None:
        """Load the query encoders (one search per kind) and the answerer now, not on the first request."""
        if self.store.live_attempts():
            from videokb.retrieval import SearchError

            try:
                self.search(SearchRequest(query="warm up", k=1))
            except SearchError as e:
                logger.warning("warm-up search failed: %s", e)
        if answerer:
            model = self.answerer()
            with self._answerer_lock:
                model.warm_up()

    def answerer(self):
        from videokb.agent import create_answerer

        with self._answerer_lock:
            if self._answerer is None:
                self._answerer = create_answerer(self._answerer_name, **self._answerer_options)
            return self._answerer

    # -- videos -------------------------------------------------------------------------------------
    def videos(self) -> list[dict]:
        import json

        rows = self.store.videos().to_pylist()
        self._refresh()
        out = []
        for r in sorted(rows, key=lambda r: r["video_path"]):
            models = json.loads(r["models"]) if r["models"] else {}
            out.append({
                "video_id": r["video_id"], "name": Path(r["video_path"]).name, "video_path": r["video_path"],
                "duration_s": r["duration_s"], "width": r["width"], "height": r["height"], "fps": r["fps"],
                "has_audio": r["has_audio"], "language": r["language"], "n_keyframes": r["n_keyframes"],
                "models": models, "ingested_at": r["ingested_at"].isoformat() if r["ingested_at"] else None,
                # Spoken words per minute (None without a transcript): how much the speech track carries.
                "speech_words_per_min": round(self._words[r["video_id"]] * 60 / r["duration_s"], 1)
                if self._words.get(r["video_id"]) and r["duration_s"] else None,
            })
        return out

    def video(self, video_id: str) -> dict:
        """The ``videos`` row of ``video_id`` (an exact id from the index; never a path from a client)."""
        for v in self.videos():
            if v["video_id"] == video_id:
                return v
        raise NotFound(f"no video with id {video_id!r} in the index")

    # -- per-video tables, cached until the set of live videos changes -------------------------------
    def _refresh(self) -> dict[str, str]:
        """video_id -> live ingest_id, re-reading the per-video rows only when the ``videos`` table has a new
        version (a video committed or removed): a search pays for opening one dataset, not for reading it."""
        ds = self.store.dataset(S.VIDEOS)
        version = ds.version if ds is not None else None
        with self._cache_lock:
            if version != self._cache_key:
                t = ds.to_table(columns=["video_id", "ingest_id"]) if ds is not None else None
                live = dict(zip(t.column("video_id").to_pylist(), t.column("ingest_id").to_pylist())) if t else {}
                self._keyframes = self._rows(S.KEYFRAMES, ["frame_idx", "t_s", "start_s", "end_s"], live)
                self._ocr = self._rows(S.OCR_SPANS, ["start_s", "end_s", "text", "bbox_xyxy"], live)
                self._words = self._speech_words(live)
                self._live, self._cache_key = live, version
            return self._live

    def _rows(self, table: str, columns: list[str], live: dict[str, str]) -> dict[str, list[dict]]:
        ds = self.store.dataset(table)
        out: dict[str, list[dict]] = {}
        if ds is None:
            return out
        for r in ds.to_table(columns=["video_id", "ingest_id", *columns]).to_pylist():
            if live.get(r["video_id"]) == r.pop("ingest_id"):
                out.setdefault(r["video_id"], []).append(r)
        for rows in out.values():
            rows.sort(key=lambda r: r["start_s"])
        return out

    def _speech_words(self, live: dict[str, str]) -> dict[str, int]:
        ds = self.store.dataset(S.SEGMENTS)
        words: dict[str, int] = {}
        if ds is not None:
            for r in ds.to_table(columns=["video_id", "ingest_id", "text"]).to_pylist():
                if live.get(r["video_id"]) == r["ingest_id"]:
                    words[r["video_id"]] = words.get(r["video_id"], 0) + len((r["text"] or "").split())
        return words

    def timeline(self, video_id: str) -> dict:
        """The video's transcript segments and on-screen text spans, in time order."""
        self.video(video_id)
        live = self._refresh()
        ds = self.store.dataset(S.SEGMENTS)
        segments = []
        if ds is not None:
            rows = ds.to_table(columns=["ingest_id", "start_s", "end_s", "text"],
                               filter=f"video_id = '{video_id}'").to_pylist()
            segments = sorted(({"start_s": r["start_s"], "end_s": r["end_s"], "text": r["text"]}
                               for r in rows if r["ingest_id"] == live.get(video_id)), key=lambda r: r["start_s"])
        ocr = [{"start_s": r["start_s"], "end_s": r["end_s"], "text": r["text"],
                "bbox_xyxy": [round(x, 4) for x in r["bbox_xyxy"]]} for r in self._ocr.get(video_id, [])]
        return {"video_id": video_id, "segments": segments, "ocr": ocr}

    def keyframe_jpeg(self, video_id: str, frame_idx: int) -> bytes:
        live = self._refresh()
        if video_id not in live:
            raise NotFound(f"no video with id {video_id!r} in the index")
        ds = self.store.dataset(S.KEYFRAMES)
        rows = [] if ds is None else ds.to_table(
            columns=["ingest_id", "image_jpeg"],
            filter=f"video_id = '{video_id}' AND frame_idx = {int(frame_idx)}").to_pylist()
        for r in rows:
            if r["ingest_id"] == live[video_id] and r["image_jpeg"]:
                return r["image_jpeg"]
        raise NotFound(f"video {video_id!r} has no keyframe {frame_idx}")

    # -- search -------------------------------------------------------------------------------------
    def search(self, req: SearchRequest) -> list[dict]:
        from videokb.retrieval import SearchOptions, Searcher

        options = SearchOptions(k=req.k, modalities=req.modalities, video_ids=req.video_ids or None,
                                device=self.device)
        moments = Searcher(self.store, options).search(req.query, req.image)
        self._refresh()
        return [self._moment_json(m) for m in moments]

    def _moment_json(self, m) -> dict:
        frames = self._keyframes.get(m.video_id, [])
        visual = next((h for h in m.hits if "frame_idx" in h.extra), None)
        ocr_hits = [h for h in m.hits if h.modality == "ocr"]
        frame = None
        if visual is not None:
            frame = next((f for f in frames if f["frame_idx"] == visual.extra["frame_idx"]), None)
        if frame is None and frames:
            t = ocr_hits[0].start_s if ocr_hits else m.start_s
            inside = [f for f in frames if f["start_s"] <= t < f["end_s"]]
            frame = inside[0] if inside else min(frames, key=lambda f: abs(f["t_s"] - t))
        boxes = []
        if frame is not None:
            texts = {h.text for h in ocr_hits}
            for span in self._ocr.get(m.video_id, []):
                if span["text"] in texts and span["start_s"] <= frame["t_s"] <= span["end_s"]:
                    boxes.append({"kind": "ocr", "text": span["text"],
                                  "bbox_xyxy": [round(x, 4) for x in span["bbox_xyxy"]]})
            for h in m.hits:
                if h.extra.get("frame_idx") == frame["frame_idx"] and h.extra.get("kind") not in (None, "frame"):
                    boxes.append({"kind": h.extra["kind"], "text": h.text,
                                  "bbox_xyxy": [round(x, 4) for x in h.extra["bbox_xyxy"]]})
        return {
            "video_id": m.video_id, "name": Path(m.video_path).name, "start_s": round(m.start_s, 3),
            "end_s": round(m.end_s, 3), "score": round(m.score, 6), "modalities": m.modalities,
            "snippet": m.snippet(400),
            "keyframe": None if frame is None else {"frame_idx": frame["frame_idx"], "t_s": round(frame["t_s"], 3)},
            "boxes": boxes,
            "hits": [{"modality": h.modality, "source": h.source, "start_s": round(h.start_s, 3),
                      "end_s": round(h.end_s, 3), "score": round(h.raw_score, 4), "text": h.text}
                     for h in m.hits[:5]],
        }

    # -- ask ----------------------------------------------------------------------------------------
    def ask(self, question: str, k: int = 6, on_token: Callable[[str], None] | None = None) -> dict:
        """The checked answer as JSON (``videokb ask --json``'s shape); ``on_token`` gets the draft as it streams."""
        from videokb.agent import AskOptions
        from videokb.agent import ask as run_ask

        model = self.answerer()
        with self._answerer_lock:
            result = run_ask(self.store, question, model, AskOptions(k=k, device=self.device), on_token=on_token)
        out = result.to_json()
        names = {v["video_id"]: v["name"] for v in self.videos()}
        for c in out["citations"]:
            c["name"] = names.get(c["video_id"], "")
        out["citations"] = [c for c in out["citations"] if c["supported"]]
        return out
