"""A video's results -> rows of the tables in :mod:`index.schema`, and the tables a worker writes."""

from __future__ import annotations

import io
from pathlib import Path

from videokb.index import schema as S
from videokb.index.embedders import ImageEncoding
from videokb.index.store import Store
from videokb.ingest.asr import Transcript
from videokb.ingest.gloss import gloss
from videokb.ingest.hico import ClipWriter, HicoOptions
from videokb.ingest.keyframes import Keyframe
from videokb.ingest.models import Models
from videokb.ingest.ocr import OcrSpan

LABEL_MIN_SCORE_REGION = 0.2
MAX_LABELS = 8


# -- tables ------------------------------------------------------------------------------------------
def prepare_tables(store: Store, models: Models) -> None:
    """Create the tables a worker writes, so parallel workers never race to create one."""
    keyframes_table(store, models)
    text_tables(store, models)
    regions_table(store, models)


def visual_tables(store: Store) -> list[str]:
    """The tables the visual stage writes: keyframes, every regions table and every clips table."""
    return [S.KEYFRAMES, *store.regions_tables(), *store.clips_tables()]


def keyframes_table(store: Store, models: Models):
    return store.ensure_table(S.KEYFRAMES, S.keyframes_schema(models.text.dim), {"label_vector": models.text.spec()})


def regions_table(store: Store, models: Models):
    """The regions table of the visual model's space; None without a visual model."""
    if models.visual is None:
        return None
    space = models.visual.spec()
    return store.ensure_table(S.regions_table_name(_space_name(space)), S.regions_schema(space.dim), {"vector": space})


def clip_writer(store: Store, models: Models, keys: dict, options: HicoOptions) -> ClipWriter | None:
    """The writer of the visual model's HiCo clip tokens; None without a visual model or with HiCo off."""
    if models.visual is None or not options.enabled:
        return None
    space = models.visual.spec()
    return ClipWriter(store, S.clips_table_name(_space_name(space)), space, keys, options)


def text_tables(store: Store, models: Models):
    """The OCR spans and transcript segments tables."""
    dim = models.text.dim
    text_spec = {"vector": models.text.spec()}
    return (store.ensure_table(S.OCR_SPANS, S.ocr_spans_schema(dim), text_spec),
            store.ensure_table(S.SEGMENTS, S.segments_schema(dim), text_spec))


def _space_name(spec: S.EmbedderSpec) -> str:
    model = Path(spec.model_id).name
    return spec.name if model == spec.name else f"{spec.name}_{model}"


# -- rows --------------------------------------------------------------------------------------------
def ocr_span_rows(keys: dict, spans: list[OcrSpan], vecs, language: str | None = None) -> list[dict]:
    """``language``: the video's speech language (None: no speech), which tells whose dictionary glosses a
    slide (:func:`ingest.gloss.gloss`)."""
    return [
        {**keys, "span_idx": i, "start_s": s.start_s, "end_s": s.end_s, "text": s.text,
         "text_en": gloss(s.text, language),  # read by search like a speech translation
         "bbox_xyxy": list(s.bbox_xyxy), "score": s.score, "n_keyframes": s.n_keyframes, "vector": vecs[i]}
        for i, s in enumerate(spans)
    ]


def segment_rows(keys: dict, transcript: Transcript | None, vecs) -> list[dict]:
    if transcript is None:
        return []
    return [
        {**keys, "segment_idx": i, "start_s": s.start_s, "end_s": s.end_s, "text": s.text,
         "language": transcript.language, "text_en": s.translation,
         "words": [{"word": w.word, "start_s": w.start_s, "end_s": w.end_s, "prob": w.prob} for w in s.words],
         "avg_logprob": s.avg_logprob, "no_speech_prob": s.no_speech_prob, "vector": vecs[i]}
        for i, s in enumerate(transcript.segments)
    ]


def keyframe_row(keys: dict, kf: Keyframe, end_s: float, labels: str | None, label_vector, thumb_max_side: int) -> dict:
    return {**keys, **_span(kf, end_s), "shot_idx": kf.shot_idx, "reason": kf.reason, "labels": labels or None,
            "label_vector": label_vector if labels else None, "image_jpeg": _thumb(kf, thumb_max_side)}


def region_rows(keys: dict, kf: Keyframe, end_s: float, enc: ImageEncoding) -> list[dict]:
    """The whole frame (region 0), then each region the encoder pooled."""
    span = _span(kf, end_s)
    rows = [{**keys, **span, "region_idx": 0, "kind": "frame", "bbox_xyxy": [0.0, 0.0, 1.0, 1.0],
             "labels": _fmt(enc.frame_labels), "vector": enc.frame_vector}]
    for r, (box, kind, vec) in enumerate(zip(enc.region_boxes, enc.region_kinds, enc.region_vectors)):
        labels = _fmt(enc.region_labels[r]) if enc.region_labels else None
        rows.append({**keys, **span, "region_idx": r + 1, "kind": kind, "bbox_xyxy": list(box),
                     "labels": labels, "vector": vec})
    return rows


def _span(kf: Keyframe, end_s: float) -> dict:
    return {"frame_idx": kf.frame_idx, "t_s": kf.t_s, "start_s": kf.t_s, "end_s": end_s}


def labels_text(enc: ImageEncoding) -> str:
    """A keyframe's visual labels: the frame's, plus confident region labels, best first, with scores."""
    if enc.frame_labels is None:
        return ""
    best: dict[str, float] = {}
    for label, score in enc.frame_labels:
        best[label] = max(best.get(label, 0.0), score)
    for labels in enc.region_labels or []:
        for label, score in labels:
            if score >= LABEL_MIN_SCORE_REGION:
                best[label] = max(best.get(label, 0.0), score)
    top = sorted(best.items(), key=lambda kv: -kv[1])[:MAX_LABELS]
    return _fmt(top) or ""


def label_words(text: str) -> str:
    # "tabby, tabby cat (0.41); tiger cat (0.20)" -> "tabby, tabby cat; tiger cat" for the text embedder
    return "; ".join(part.rsplit(" (", 1)[0] for part in text.split("; "))


def _fmt(labels: list[tuple[str, float]] | None) -> str | None:
    return "; ".join(f"{name} ({score:.2f})" for name, score in labels) if labels else None


def _thumb(kf: Keyframe, max_side: int) -> bytes:
    im = kf.image.copy()
    im.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=80)
    return buf.getvalue()
