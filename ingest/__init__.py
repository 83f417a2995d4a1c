"""Video files -> index rows: discovery, probing, keyframes, OCR, speech, and the pipeline that runs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["FileOutcome", "IngestConfig", "IngestReport", "RunOptions", "ingest"]

if TYPE_CHECKING:
    from videokb.ingest.pipeline import FileOutcome, IngestConfig, IngestReport, RunOptions, ingest


def __getattr__(name: str):
    # Lazy: `import videokb.ingest.models` (the CLI's config) must not pull decoding, LanceDB and the models in.
    if name in __all__:
        from videokb.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'videokb.ingest' has no attribute {name!r}")
