"""The exceptions the public API raises: one small hierarchy under :class:`VideokbError`.

The library layers (index, ingest, retrieval, agent) keep their own precise errors; :mod:`videokb.api`
translates them into these at its boundary (the original stays attached as ``__cause__``), so a caller
catches ``videokb.VideokbError`` and nothing else.
"""

from __future__ import annotations


class VideokbError(Exception):
    """Base class of every error the videokb API raises on purpose."""


class InvalidInputError(VideokbError, ValueError):
    """A query, option, file or setting that cannot be used as given; the message says which and why."""


class VideoNotFoundError(VideokbError, LookupError):
    """No indexed video (or more than one) matches the id, id prefix or path given."""


class QueryError(InvalidInputError):
    """SQL that DuckDB refused to run."""


class IndexConflictError(VideokbError):
    """The index cannot be used as asked: built by another embedder, or locked by another ingest."""


class ModelError(VideokbError):
    """A model (answerer, embedder) could not be loaded or failed while running."""


__all__ = [
    "IndexConflictError",
    "InvalidInputError",
    "ModelError",
    "QueryError",
    "VideoNotFoundError",
    "VideokbError",
]
