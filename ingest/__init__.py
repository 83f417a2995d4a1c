"""Video files -> index rows: discovery, probing, keyframes, OCR, speech, and the pipeline that runs them."""

from ingest.pipeline import FileOutcome, IngestConfig, IngestReport, ingest

__all__ = ["FileOutcome", "IngestConfig", "IngestReport", "ingest"]
