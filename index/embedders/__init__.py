"""The vector spaces of the index: which embedder made which column."""

from videokb.index.embedders.base import (
    Box,
    Embedder,
    EmbedderError,
    ImageEmbedder,
    ImageEncoding,
    TextEmbedder,
    embedder_from_spec,
    get_embedder,
    register,
    resolve_device,
)

__all__ = [
    "Box",
    "Embedder",
    "EmbedderError",
    "ImageEmbedder",
    "ImageEncoding",
    "TextEmbedder",
    "embedder_from_spec",
    "get_embedder",
    "register",
    "resolve_device",
]
