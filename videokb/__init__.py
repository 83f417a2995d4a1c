"""videokb: a local-first knowledge base over a video library (CLI, config, server)."""

__version__ = "0.1.0"
