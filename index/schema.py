"""The tables of a videokb index, each defined once.

Ingest builds rows of these schemas, the store creates LanceDB tables from them, and DuckDB reads the same
tables as Arrow. Field names carry their units (``_s`` seconds) and keys (``video_id``). Boxes are
``bbox_xyxy`` in coordinates normalised to the frame (0..1), so they survive any resize.

Vector columns are fixed-size lists whose width depends on the embedder that fills them; the schema
functions take that width, and :mod:`index.store` records which embedder built each column in the
table's schema metadata (see :func:`with_embedders`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import pyarrow as pa

__all__ = [
    "CLIPS_PREFIX",
    "EMBEDDERS_KEY",
    "HICO_KEY",
    "EmbedderSpec",
    "KEYFRAMES",
    "OCR_SPANS",
    "REGIONS_PREFIX",
    "SEGMENTS",
    "VIDEOS",
    "clips_schema",
    "clips_table_name",
    "embedder_specs",
    "hico_settings",
    "keyframes_schema",
    "ocr_spans_schema",
    "regions_schema",
    "regions_table_name",
    "segments_schema",
    "videos_schema",
    "with_embedders",
    "with_hico",
]

VIDEOS = "videos"
KEYFRAMES = "keyframes"
SEGMENTS = "segments"
OCR_SPANS = "ocr_spans"
# One regions table per image vector space ("regions_efficientnet_lite0", "regions_siglip2_..."): the
# spaces have different widths and are not comparable, and a video re-ingested with a better model moves
# from one to the other without touching the rest of the index.
REGIONS_PREFIX = "regions_"

# HiCo clip tokens, one table per image vector space like the regions ("clips_efficientnet_lite0").
CLIPS_PREFIX = "clips_"

EMBEDDERS_KEY = b"videokb:embedders"
HICO_KEY = b"videokb:hico"  # the compression settings of the latest write (each row also keeps its own)


@dataclass(frozen=True)
class EmbedderSpec:
    """Which embedder built a vector column: enough to rebuild the same one at query time."""

    name: str  # registry name, e.g. "sentence-transformers"
    model_id: str  # hub id or local path as configured
    dim: int

    def to_json(self) -> dict:
        return asdict(self)


def _vector(dim: int) -> pa.DataType:
    return pa.list_(pa.float32(), dim)


_BBOX = pa.list_(pa.float32(), 4)


def _keys() -> list[pa.Field]:
    # Rows of a video are written under a fresh ingest_id and become live only when the videos row names
    # it, so a re-ingest that fails half-way leaves the previous version of the video searchable.
    return [pa.field("video_id", pa.string(), nullable=False), pa.field("ingest_id", pa.string(), nullable=False)]


def videos_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("video_id", pa.string(), nullable=False),  # content hash of the file
            # The ingest attempt whose rows are live; other tables' rows with another ingest_id are not.
            pa.field("ingest_id", pa.string(), nullable=False),
            pa.field("video_path", pa.string(), nullable=False),  # absolute path when last ingested
            pa.field("file_size", pa.int64()),
            pa.field("file_mtime_ns", pa.int64()),
            pa.field("duration_s", pa.float64()),
            pa.field("width", pa.int32()),
            pa.field("height", pa.int32()),
            pa.field("fps", pa.float64()),
            pa.field("has_video", pa.bool_()),
            pa.field("has_audio", pa.bool_()),
            pa.field("language", pa.string()),  # detected spoken language, null without speech
            pa.field("language_prob", pa.float32()),  # Whisper's language-ID probability of ``language``
            # JSON of the language check when detection was unsure (ingest.asr.Transcript.language_check): the
            # detected language, the languages tried with how sure Whisper was of each decoding, the one kept;
            # null when detection was sure. A table written before it lacks the column (the value is dropped).
            pa.field("language_check", pa.string()),
            pa.field("n_keyframes", pa.int32()),
            pa.field("n_frames_decoded", pa.int64()),
            pa.field("models", pa.string()),  # JSON {"visual": ..., "ocr": ..., "asr": ..., "text": ...}
            pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
            # JSON {stage: seconds} of the ingest (decode, keyframes, ocr_det, ocr_rec, visual, asr, embed,
            # write; load_models apart) and {count: n} (keyframes, ocr_recognized, ...); null in older indexes
            pa.field("stage_seconds", pa.string()),
            pa.field("counts", pa.string()),
        ]
    )


def keyframes_schema(text_dim: int) -> pa.Schema:
    return pa.schema(
        [
            *_keys(),
            pa.field("frame_idx", pa.int64()),  # index of the decoded frame in the stream
            pa.field("t_s", pa.float64()),  # exact presentation time of that frame
            pa.field("start_s", pa.float64()),  # the span this keyframe stands for
            pa.field("end_s", pa.float64()),
            pa.field("shot_idx", pa.int32()),
            pa.field("reason", pa.string()),  # "shot" | "change" | "gap"
            # Visual evidence as text (classifier labels with scores), null when the image model has a text
            # tower of its own (SigLIP2) and is searched by vector instead.
            pa.field("labels", pa.string()),
            pa.field("label_vector", _vector(text_dim)),
            pa.field("image_jpeg", pa.binary()),  # small thumbnail, for evidence and answerers
        ]
    )


def regions_schema(image_dim: int) -> pa.Schema:
    return pa.schema(
        [
            *_keys(),
            pa.field("frame_idx", pa.int64()),
            pa.field("t_s", pa.float64()),
            pa.field("start_s", pa.float64()),
            pa.field("end_s", pa.float64()),
            pa.field("region_idx", pa.int32()),
            pa.field("kind", pa.string()),  # "frame" | "grid2" | "grid3" | "ocr"
            pa.field("bbox_xyxy", _BBOX),
            pa.field("labels", pa.string()),  # region labels from a classifier, else null
            pa.field("vector", _vector(image_dim)),
        ]
    )


def segments_schema(text_dim: int) -> pa.Schema:
    word = pa.struct(
        [
            pa.field("word", pa.string()),
            pa.field("start_s", pa.float64()),
            pa.field("end_s", pa.float64()),
            pa.field("prob", pa.float32()),
        ]
    )
    return pa.schema(
        [
            *_keys(),
            pa.field("segment_idx", pa.int32()),
            pa.field("start_s", pa.float64()),
            pa.field("end_s", pa.float64()),
            pa.field("text", pa.string()),
            pa.field("language", pa.string()),  # the language the words were spoken in (ISO 639-1)
            # Whisper's English translation of non-English speech, null for English (added in schema 2; tables
            # written before it lack the column and read back as null: see segments_has_translation)
            pa.field("text_en", pa.string()),
            pa.field("words", pa.list_(word)),
            pa.field("avg_logprob", pa.float32()),
            pa.field("no_speech_prob", pa.float32()),
            pa.field("vector", _vector(text_dim)),
        ]
    )


def ocr_spans_schema(text_dim: int) -> pa.Schema:
    return pa.schema(
        [
            *_keys(),
            pa.field("span_idx", pa.int32()),
            pa.field("start_s", pa.float64()),
            pa.field("end_s", pa.float64()),
            pa.field("text", pa.string()),
            # An English gloss of Chinese text (ingest.gloss), null otherwise (added after the first release: tables
            # written before it lack the column, search reads it as null, and ingest into them leaves it out)
            pa.field("text_en", pa.string()),
            pa.field("bbox_xyxy", _BBOX),
            pa.field("score", pa.float32()),
            pa.field("n_keyframes", pa.int32()),
            pa.field("vector", _vector(text_dim)),
        ]
    )


def clips_schema(image_dim: int) -> pa.Schema:
    """HiCo clip entries: a clip's compressed tokens as a multivector (searched by MaxSim), with each
    token's box, time span and size (patches it stands for) in parallel lists, and a pooled clip vector."""
    return pa.schema(
        [
            *_keys(),
            pa.field("clip_idx", pa.int32()),
            pa.field("start_s", pa.float64()),
            pa.field("end_s", pa.float64()),
            pa.field("n_keyframes", pa.int32()),
            pa.field("n_merged", pa.int32()),  # clips of one shot merged into this entry (stage 2)
            pa.field("n_patches", pa.int32()),  # patch tokens of its keyframes before compression
            pa.field("n_tokens", pa.int32()),
            pa.field("settings", pa.string()),  # JSON of the compression settings that made the row
            pa.field("tokens", pa.list_(_vector(image_dim))),
            pa.field("token_bbox_xyxy", pa.list_(_BBOX)),
            pa.field("token_start_s", pa.list_(pa.float64())),
            pa.field("token_end_s", pa.list_(pa.float64())),
            pa.field("token_sizes", pa.list_(pa.int32())),
            pa.field("vector", _vector(image_dim)),
        ]
    )


def _slug(space: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in space.lower()).strip("_")


def regions_table_name(space: str) -> str:
    """``regions_<space>`` with the space slug made of lowercase letters, digits and underscores."""
    return REGIONS_PREFIX + _slug(space)


def clips_table_name(space: str) -> str:
    """``clips_<space>``, the same slug as :func:`regions_table_name`."""
    return CLIPS_PREFIX + _slug(space)


def with_hico(schema: pa.Schema, settings: str) -> pa.Schema:
    """Record the HiCo compression settings (JSON) in the schema metadata."""
    return schema.with_metadata({**(schema.metadata or {}), HICO_KEY: settings.encode()})


def hico_settings(schema: pa.Schema) -> dict | None:
    raw = (schema.metadata or {}).get(HICO_KEY)
    return json.loads(raw) if raw else None


def with_embedders(schema: pa.Schema, specs: dict[str, EmbedderSpec]) -> pa.Schema:
    """Record which embedder built each vector column, in the schema metadata LanceDB keeps."""
    meta = dict(schema.metadata or {})
    meta[EMBEDDERS_KEY] = json.dumps({col: s.to_json() for col, s in specs.items()}).encode()
    return schema.with_metadata(meta)


def embedder_specs(schema: pa.Schema) -> dict[str, EmbedderSpec]:
    """The embedders recorded by :func:`with_embedders`, by vector column; empty when none were."""
    raw = (schema.metadata or {}).get(EMBEDDERS_KEY)
    if not raw:
        return {}
    return {col: EmbedderSpec(**d) for col, d in json.loads(raw).items()}
