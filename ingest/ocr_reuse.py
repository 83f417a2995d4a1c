"""Read on-screen text only where it is new: find the text boxes of every keyframe (cheap, at reduced size),
and recognise only the boxes whose content the previous keyframe did not already show.

A box matches a box of the previous keyframe when, after the camera's motion between the two keyframes
(``Keyframe.warp_to_prev``, from keyframe selection) is taken out, they overlap (IoU) and their crops look
the same (a small normalised grey patch compared column by column, so one changed character counts). A
matched box takes the text already read, and the span merger extends that text's time span; a new line on an
otherwise unchanged slide has no match and is read. Crops to read are batched across the keyframes of a
batch, one recognition call per batch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from videokb.ingest.keyframes import Keyframe
from videokb.ingest.ocr import OcrLine, OcrReader

logger = logging.getLogger(__name__)

__all__ = ["IncrementalOcr"]

PATCH_H = 16


@dataclass
class _Reading:
    text: str = ""
    score: float = 0.0


@dataclass
class _Box:
    bbox: tuple[float, float, float, float]  # normalised xyxy
    patch: np.ndarray
    reading: _Reading


@dataclass
class IncrementalOcr:
    reader: OcrReader
    min_iou: float = 0.5
    max_patch_diff: float = 0.6  # normalised grey units, worst 4-column window
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _prev: list[_Box] = field(default_factory=list)

    def read_batch(self, keyframes: list[Keyframe]) -> list[list[OcrLine]]:
        """The text lines of each keyframe, in order; call with consecutive batches of one video."""
        per_kf: list[list[_Box]] = []
        to_read: list[tuple[np.ndarray, _Reading]] = []
        for kf in keyframes:
            if (same := self._unchanged(kf)) is not None:
                self.counts["ocr_reused"] = self.counts.get("ocr_reused", 0) + len(same)
                self.counts["ocr_det_skipped"] = self.counts.get("ocr_det_skipped", 0) + 1
                per_kf.append(same)
                self._prev = same
                continue
            t = time.perf_counter()
            quads = self.reader.detect(kf.image)
            crops = self.reader.crop(kf.image, quads)
            self._add("ocr_det", t)
            prev = self._prev if kf.warp_to_prev is not None else []
            boxes: list[_Box] = []
            for quad, crop in zip(quads, crops):
                bbox = (float(quad[:, 0].min()), float(quad[:, 1].min()), float(quad[:, 0].max()),
                        float(quad[:, 1].max()))
                patch = _patch(crop)
                match = self._match(bbox, patch, kf.warp_to_prev, prev)
                if match is None:
                    reading = _Reading()
                    to_read.append((crop, reading))
                else:
                    reading = match.reading
                    self.counts["ocr_reused"] = self.counts.get("ocr_reused", 0) + 1
                boxes.append(_Box(bbox, patch, reading))
            per_kf.append(boxes)
            self._prev = boxes
        t = time.perf_counter()
        for (_, reading), (text, score) in zip(to_read, self.reader.read_crops([c for c, _ in to_read])):
            reading.text, reading.score = text, score
        self._add("ocr_rec", t)
        self.counts["ocr_recognized"] = self.counts.get("ocr_recognized", 0) + len(to_read)
        min_score = getattr(self.reader, "min_score", 0.0)
        out = []
        for boxes in per_kf:
            lines = [OcrLine(b.reading.text, b.bbox, b.reading.score) for b in boxes
                     if b.reading.text and b.reading.score >= min_score]
            lines.sort(key=lambda ln: (round(ln.bbox_xyxy[1], 2), ln.bbox_xyxy[0]))
            out.append(lines)
        return out

    def _unchanged(self, kf: Keyframe) -> list[_Box] | None:
        """The previous keyframe's boxes, moved to this one, when this keyframe only repeats it: chosen because
        the gap since the last keyframe ran out, aligned to it, and no pixel differs by more than the tracker's
        threshold (so no text can have appeared or gone). Then detection is skipped too."""
        # (A warp to the previous keyframe means this video had one: its boxes, maybe none, are in _prev.)
        if kf.reason != "gap" or kf.warp_to_prev is None or kf.changed_share > 0.0:
            return None
        to_here = np.linalg.inv(np.vstack([kf.warp_to_prev, [0.0, 0.0, 1.0]]))[:2]
        return [_Box(_map_box(b.bbox, to_here), b.patch, b.reading) for b in self._prev]

    def _add(self, stage: str, t0: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - t0

    def _match(self, bbox, patch: np.ndarray, warp: np.ndarray | None, prev: list[_Box]) -> _Box | None:
        if not prev or warp is None:
            return None
        mapped = _map_box(bbox, warp)
        best, best_iou = None, self.min_iou
        for b in prev:
            iou = _iou(mapped, b.bbox)
            if iou >= best_iou and _same_patch(patch, b.patch, self.max_patch_diff):
                best, best_iou = b, iou
        return best


def _map_box(bbox: tuple[float, float, float, float], warp: np.ndarray) -> tuple[float, float, float, float]:
    """The box around ``bbox``'s corners moved by the 2x3 affine ``warp`` (normalised coordinates)."""
    x0, y0, x1, y1 = bbox
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]]) @ warp.T
    return (float(corners[:, 0].min()), float(corners[:, 1].min()), float(corners[:, 0].max()),
            float(corners[:, 1].max()))


def _patch(crop: np.ndarray) -> np.ndarray:
    """The crop as a small zero-mean, unit-contrast grey patch ``PATCH_H`` pixels high."""
    grey = crop.mean(axis=2) if crop.ndim == 3 else crop
    h, w = grey.shape[:2]
    width = int(np.clip(round(PATCH_H * w / max(h, 1)), 4, 256))
    small = cv2.resize(grey.astype(np.float32), (width, PATCH_H), interpolation=cv2.INTER_AREA)
    return (small - small.mean()) / (small.std() + 1e-3)


def _same_patch(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    wa, wb = a.shape[1], b.shape[1]
    if abs(wa - wb) > 0.15 * max(wa, wb) + 1:
        return False
    if wa != wb:
        b = cv2.resize(b, (wa, PATCH_H), interpolation=cv2.INTER_AREA)
    cols = np.abs(a - b).mean(axis=0)
    window = np.convolve(cols, np.ones(4) / 4, mode="valid") if len(cols) >= 4 else cols
    return float(window.max()) <= tol


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
