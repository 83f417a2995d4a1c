"""On-screen text with PaddleOCR's PP-OCR models (ONNX, via rapidocr), merged across keyframes into spans."""

from __future__ import annotations

import difflib
import functools
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from PIL import Image

from videokb.index.backends import BackendConfig

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrLine:
    text: str
    bbox_xyxy: Box  # normalised to the image
    score: float


@dataclass
class OcrSpan:
    text: str
    start_s: float
    end_s: float
    bbox_xyxy: Box
    score: float
    n_keyframes: int


class OcrReader(ABC):
    name: str
    model_id: str
    # Readers that can find text boxes and read crops apart (detect/recognize) let the visual lane read only
    # the boxes whose text is new (see ingest.ocr_reuse); the others read every keyframe whole.
    reads_regions: bool = False

    @abstractmethod
    def read(self, image: Image.Image) -> list[OcrLine]:
        """The text lines in one image, top to bottom."""

    def detect(self, image: Image.Image) -> list[np.ndarray]:
        """Text boxes in ``image``, each a (4, 2) quad in coordinates normalised to the image."""
        raise NotImplementedError(f"{self.name} cannot detect text boxes apart from reading them")

    def crop(self, image: Image.Image, quads: list[np.ndarray]) -> list[np.ndarray]:
        """The crops of ``quads`` (from :meth:`detect`) in ``image``, ready for :meth:`read_crops`."""
        raise NotImplementedError(f"{self.name} cannot read text boxes apart from finding them")

    def read_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """(text, score) of each crop, read in one batch."""
        raise NotImplementedError(f"{self.name} cannot read text boxes apart from finding them")


@functools.lru_cache(maxsize=4)
def _engine(threads: int, det_max_side: int = 0):
    """RapidOCR with ``threads`` ONNX threads; ``det_max_side`` > 0 caps the detector's input at that size
    (rapidocr's default scales the short side *up* to 736 px, four times the work of 640 px on the long side)."""
    try:
        from rapidocr import RapidOCR
    except ImportError as e:
        raise RuntimeError("OCR needs rapidocr and onnxruntime: pip install rapidocr==3.10.0 onnxruntime") from e
    det = {"Det.limit_type": "max", "Det.limit_side_len": det_max_side} if det_max_side else {}
    return RapidOCR(
        params={
            "Global.log_level": "error",
            # Slides and captions are upright; the angle classifier costs time for nothing here.
            "Global.use_cls": False,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            **det,
        }
    )


@dataclass
class RapidOcrConfig(BackendConfig):
    max_side: int = 960  # larger frames are scaled down to this many pixels on their long side first
    min_score: float = 0.6
    threads: int = 1

    def __post_init__(self) -> None:
        if self.max_side < 32 or not 0 <= self.min_score <= 1 or self.threads < 1:
            raise ValueError(f"need max_side >= 32, 0 <= min_score <= 1, threads >= 1; got {self.max_side}, "
                             f"{self.min_score}, {self.threads}")


class RapidOcrReader(OcrReader):
    name = "rapidocr"
    config_class = RapidOcrConfig
    model_id = "PP-OCRv4 (rapidocr 3.10 ONNX)"

    reads_regions = True

    # Text boxes are found at 448 px on the long side: on the bench's 27 keyframes of slides, photos under
    # motion and real footage every line found at 640 px is found at 448 px too (one stray "水" on a cartoon
    # frame aside), for 39 ms of detection each against 74 ms.
    def __init__(self, max_side: int = 960, min_score: float = 0.6, threads: int = 1, det_max_side: int = 448) -> None:
        self.max_side = max_side
        self.min_score = min_score
        self.threads = threads
        self.det_max_side = det_max_side  # text boxes are found at this size, read at ``max_side``

    def _bgr(self, image: Image.Image, max_side: int) -> np.ndarray:
        w, h = image.size
        scale = min(1.0, max_side / max(w, h))
        if scale < 1.0:
            image = image.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
        return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])  # rapidocr takes BGR

    def detect(self, image: Image.Image) -> list[np.ndarray]:
        arr = self._bgr(image, self.det_max_side)
        res = _engine(self.threads, self.det_max_side)(arr, use_det=True, use_cls=False, use_rec=False)
        if res.boxes is None:
            return []
        h, w = arr.shape[:2]
        return [np.asarray(q, dtype=np.float32) / np.array([w, h], dtype=np.float32) for q in res.boxes]

    def crop(self, image: Image.Image, quads: list[np.ndarray]) -> list[np.ndarray]:
        if not quads:
            return []
        arr = self._bgr(image, self.max_side)
        h, w = arr.shape[:2]
        boxes = np.stack([q * np.array([w, h], dtype=np.float32) for q in quads])
        return _engine(self.threads, self.det_max_side).crop_text_regions(arr, boxes)

    def read_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        res = _engine(self.threads, self.det_max_side).recognize_txt(crops)
        return [(text.strip(), float(score)) for text, score in zip(res.txts, res.scores)]

    def read(self, image: Image.Image) -> list[OcrLine]:
        w, h = image.size
        scale = min(1.0, self.max_side / max(w, h))
        if scale < 1.0:
            image = image.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
        arr = np.asarray(image.convert("RGB"))[:, :, ::-1]  # rapidocr takes OpenCV's BGR
        res = _engine(self.threads)(arr)
        if res.txts is None:
            return []
        sw, sh = image.size
        lines = []
        for text, score, quad in zip(res.txts, res.scores, res.boxes):
            text = text.strip()
            if not text or score < self.min_score:
                continue
            xs, ys = quad[:, 0], quad[:, 1]
            box = (float(xs.min() / sw), float(ys.min() / sh), float(xs.max() / sw), float(ys.max() / sh))
            lines.append(OcrLine(text=text, bbox_xyxy=box, score=float(score)))
        lines.sort(key=lambda ln: (round(ln.bbox_xyxy[1], 2), ln.bbox_xyxy[0]))
        return lines


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()


def _same(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.9


class SpanMerger:
    """Merge the same text seen on consecutive keyframes into one span with a start and an end."""

    def __init__(self) -> None:
        self._open: list[tuple[str, OcrSpan]] = []
        self.closed: list[OcrSpan] = []

    def add(self, start_s: float, end_s: float, lines: list[OcrLine]) -> None:
        still_open: list[tuple[str, OcrSpan]] = []
        unmatched = list(self._open)
        for line in lines:
            key = _norm(line.text)
            match = next((i for i, (k, _) in enumerate(unmatched) if _same(k, key)), None)
            if match is not None:
                k, span = unmatched.pop(match)
                span.end_s = end_s
                span.n_keyframes += 1
                if line.score > span.score:  # keep the clearest reading
                    span.text, span.score, span.bbox_xyxy = line.text, line.score, line.bbox_xyxy
                still_open.append((k, span))
            else:
                still_open.append((key, OcrSpan(line.text, start_s, end_s, line.bbox_xyxy, line.score, 1)))
        self.closed.extend(span for _, span in unmatched)
        self._open = still_open

    def finish(self) -> list[OcrSpan]:
        self.closed.extend(span for _, span in self._open)
        self._open = []
        return sorted(self.closed, key=lambda s: (s.start_s, s.bbox_xyxy[1]))
