"""The embedder interfaces and their registry: which model turns text or images into which vector space.

Backends are entries of the one registry (:mod:`videokb.index.backends`, kinds ``text-embedder`` and
``image-embedder``), built from their config; a backend's module is imported only when it is chosen, and
its weights load on first use. ``get_embedder`` caches one instance per
(name, model id, device) in the process, so ingest and search share loaded weights.
"""

from __future__ import annotations

import functools
import importlib
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from videokb.index.backends import Backend, BackendConfig, BackendError, get_backend, register_backend
from videokb.index.backends import backend_names as registry_names
from videokb.index.schema import EmbedderSpec

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 normalised to the image


class EmbedderError(RuntimeError):
    """A model could not be loaded or used; the message names the model and what to do."""


def check_device(device: str) -> None:
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be auto, cpu or cuda[:N], not {device!r}")


def resolve_device(device: str) -> str:
    """``auto`` picks CUDA when torch sees a GPU, else the CPU."""
    check_device(device)
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Embedder(ABC):
    """Common to every embedder: a registry name, a model id and a vector width."""

    name: ClassVar[str]

    def __init__(self, model_id: str, device: str = "auto") -> None:
        self.model_id = model_id
        self.device = device

    @property
    @abstractmethod
    def dim(self) -> int: ...

    def spec(self) -> EmbedderSpec:
        return EmbedderSpec(name=self.name, model_id=self.model_id, dim=self.dim)


class TextEmbedder(Embedder):
    """Text to unit vectors; subclasses implement one batch method."""

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Return a (len(texts), dim) float32 array of L2-normalised vectors."""

    def embed(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]

    def embed_query_batch(self, texts: list[str]) -> np.ndarray:
        """Vectors for search queries; models trained with a query prefix (e5) override this."""
        return self.embed_batch(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_query_batch([text])[0]

    @property
    def asymmetric(self) -> bool:
        """Whether a query is encoded otherwise than a passage (e5's "query: " and "passage: " prefixes)."""
        return type(self).embed_query_batch is not TextEmbedder.embed_query_batch

    def embed_texts(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self.embed_batch(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return np.concatenate(parts).astype(np.float32, copy=False)


@dataclass
class ImageEncoding:
    """One image's vectors: the whole frame, then one per region, all in the embedder's image space."""

    frame_vector: np.ndarray  # (dim,)
    region_vectors: np.ndarray  # (n_regions, dim)
    region_boxes: list[Box]
    region_kinds: list[str]
    # Classifier backends: (label, score) lists for the frame and each region; None for image-text models.
    frame_labels: list[tuple[str, float]] | None = None
    region_labels: list[list[tuple[str, float]]] | None = None
    # The image's patch/feature-map tokens from the same forward pass, (grid_h, grid_w, dim) L2-normalised,
    # in the space the frame vector lives in (HiCo clip tokens are compressed from these).
    tokens: np.ndarray | None = None


class ImageEmbedder(Embedder):
    """Images to a frame vector plus region vectors pooled from the same forward pass."""

    #: True when the model has a text tower, so text queries search image vectors directly.
    has_text_tower: ClassVar[bool] = False

    @abstractmethod
    def encode_batch(self, images: list[Image.Image], extra_boxes: list[list[Box]]) -> list[ImageEncoding]:
        """Encode images; ``extra_boxes[i]`` are boxes (e.g. OCR text) to pool as regions of image i."""

    def embed_query_texts(self, texts: list[str]) -> np.ndarray:
        raise EmbedderError(f"{self.name} ({self.model_id}) has no text tower: search its labels instead")

    def encode_query_image(self, image: Image.Image) -> np.ndarray:
        return self.encode_batch([image], [[]])[0].frame_vector

    def encode_query_tokens(self, image: Image.Image) -> np.ndarray:
        """The picture's tokens, (n, dim) L2-normalised: a late-interaction (MaxSim) query over clip tokens."""
        tokens = self.encode_batch([image], [[]])[0].tokens
        if tokens is None:
            raise EmbedderError(f"{self.name} ({self.model_id}) gives no patch tokens")
        return tokens.reshape(-1, tokens.shape[-1])


@dataclass
class EmbedderConfig(BackendConfig):
    """What every embedder is built from; a backend's subclass gives ``model_id`` its default."""

    model_id: str = ""
    device: str = "auto"

    def __post_init__(self) -> None:
        if not self.model_id:
            raise ValueError("model_id must name a model (hub id or folder)")
        check_device(self.device)


_KINDS = ("text-embedder", "image-embedder")


def register(name: str, target: str) -> None:
    """Register an embedder as ``"module:Class"`` in this process (tests do; plugins use the
    ``videokb.backends`` entry points). The class is imported now, to learn whether it embeds text or images."""
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    kind = "image-embedder" if issubclass(cls, ImageEmbedder) else "text-embedder"
    register_backend(kind, name, target)


def backend_names() -> list[str]:
    return sorted(name for kind in _KINDS for name in registry_names(kind))


def _backend(name: str) -> Backend:
    for kind in _KINDS:
        try:
            return get_backend(kind, name)
        except BackendError:
            continue
    raise EmbedderError(f"unknown embedder {name!r}; choose one of {', '.join(backend_names())}")


def embedder_class(name: str) -> type[Embedder]:
    try:
        return _backend(name).load()
    except BackendError as e:
        raise EmbedderError(str(e)) from e


@functools.lru_cache(maxsize=16)
def get_embedder(name: str, model_id: str | None = None, device: str = "auto") -> Embedder:
    """The process-wide instance of a backend (weights load on its first use)."""
    options = {"device": device, **({"model_id": model_id} if model_id else {})}
    try:
        return _backend(name).create(**options)
    except BackendError as e:
        raise EmbedderError(str(e)) from e


def embedder_from_spec(spec: EmbedderSpec, device: str = "auto") -> Embedder:
    """Rebuild the embedder a table was built with, failing loudly if it now makes other vectors."""
    emb = get_embedder(spec.name, spec.model_id, device)
    if emb.dim != spec.dim:
        raise EmbedderError(
            f"{spec.name} {spec.model_id} now gives {emb.dim}-d vectors but the index holds {spec.dim}-d ones; "
            "re-ingest with the model the index was built with"
        )
    return emb
