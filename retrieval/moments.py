"""What search returns: hits (one stored row that matched the query) and moments (one video and a time span,
made of the hits that overlap there). :mod:`retrieval.scoring` groups and scores them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    video_id: str
    start_s: float
    end_s: float
    modality: str  # "speech" | "ocr" | "visual"
    source: str  # which list found it, e.g. "speech:vector", "ocr:fts", "visual:fts"
    text: str | None
    raw_score: float  # similarity (vector) or BM25 (full text), for display
    fused: float = 0.0  # its similarity as the moment's score counts it (list offset applied)
    # "similarity": cosine with the query in the list's space; "text_en": English translation of the row;
    # frame_idx, bbox_xyxy of a visual hit
    extra: dict = field(default_factory=dict)


@dataclass
class Moment:
    video_id: str
    start_s: float
    end_s: float
    score: float
    hits: list[Hit]
    video_path: str = ""

    @property
    def modalities(self) -> list[str]:
        return sorted({h.modality for h in self.hits}, key=["speech", "ocr", "visual"].index)

    def snippet(self, width: int = 160) -> str:
        parts = []
        for modality in self.modalities:
            best = max((h for h in self.hits if h.modality == modality and h.text), key=lambda h: h.fused,
                       default=None)
            if best is not None:
                # speech in another language, or a Chinese slide: what the index holds of it in English too
                english = best.extra.get("text_en")
                parts.append(f"[{modality}] {best.text}" + (f" (English: {english})" if english
                                                             and english != best.text else ""))
        text = " | ".join(parts)
        return text if len(text) <= width else text[: width - 1] + "…"
