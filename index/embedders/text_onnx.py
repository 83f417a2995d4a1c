"""A mean-pooling sentence-transformers model run with onnxruntime and ``tokenizers``: the same vectors as
sentence-transformers (to ~1e-6) without importing torch or transformers.

Why: a fresh ``videokb ask`` or ``search`` process encodes one query and a few citation lines. Importing
torch and transformers for that took ~4.5 s here (2 cores); onnxruntime and tokenizers take ~0.2 s, and the
session loads in ~0.1 s. The ONNX graph is exported once with torch (needs the ``onnx`` package) into the
cache dir, checked against the torch model before it is put in place, and reused by every later process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from videokb.index.cache import publish_atomically
from videokb.index.embedders.base import EmbedderError

logger = logging.getLogger(__name__)

# Bump when the export changes, so an older graph is not reused.
EXPORT_VERSION = "v1"
_META = "videokb-onnx.json"  # written last, before the folder is renamed into place: its presence means complete
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHECK_TEXTS = ["The adoption fee is $75.", "a striped tabby cat on a sofa", "Where did the winning beans come from?"]


def export_dir(folder: Path, cache_dir: Path) -> Path:
    """Where the export of the model in ``folder`` lives: named after the folder and its weights' size and
    time, so a changed model gets a new export."""
    weights = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin"))
    stamp = [str(folder.resolve())] + [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in weights]
    digest = hashlib.sha1("\n".join(stamp).encode()).hexdigest()[:12]
    slug = re.sub(r"[^\w.-]+", "-", folder.name if folder.name != "model" else folder.parent.name)
    return Path(cache_dir) / f"{slug}-onnx-{EXPORT_VERSION}-{digest}"


def ensure_export(folder: Path, cache_dir: Path, max_seq_length: int) -> Path:
    """The folder of the ONNX export of ``folder`` under ``cache_dir``; made on first use, atomically."""
    # Two processes may export at once; the first rename wins and the loser's copy is discarded.
    return publish_atomically(export_dir(folder, cache_dir), lambda tmp: _export(folder, tmp, max_seq_length),
                              lambda target: (target / _META).exists())


def _export(folder: Path, out: Path, max_seq_length: int) -> None:
    t0 = time.perf_counter()
    try:
        import onnx  # noqa: F401  (torch's exporter needs it; importing it here names it in the error)
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as e:
        raise EmbedderError(
            f"cannot export the text model {folder} to ONNX: {e.name} is not installed (pip install {e.name}); "
            "it is exported once with torch, then `ask` and `search` run it without"
        ) from e
    logger.info("exporting the text model %s to ONNX once (a few seconds)", folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder), dtype=torch.float32).eval()
    inputs = [n for n in _INPUTS if n in tokenizer.model_input_names]
    # Traced on one text without padding: traced on a padded batch, the graph bakes in that batch's padding
    # (max diff 0.05 on other batches). The check below runs a padded batch through the result.
    trace = tokenizer(_CHECK_TEXTS[:1], return_tensors="pt")
    sample = tokenizer(_CHECK_TEXTS, padding=True, truncation=True, max_length=max_seq_length, return_tensors="pt")

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args):
            return self.model(**dict(zip(inputs, args))).last_hidden_state

    axes = {n: {0: "batch", 1: "tokens"} for n in [*inputs, "last_hidden_state"]}
    with torch.inference_mode():  # before the export: computed after it, they came out 0.05 off
        expected = _mean_pool(model(**sample).last_hidden_state.numpy(), sample["attention_mask"].numpy())
    try:
        # The tracer warns about Python branches on shapes; the check below runs other shapes through the graph.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHidden(), tuple(trace[n] for n in inputs), str(out / "model.onnx"),
                              input_names=inputs, output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
    except Exception as e:  # the exporter raises many kinds; say which model and why, then stop
        raise EmbedderError(f"cannot export the text model {folder} to ONNX: {type(e).__name__}: {e}") from e
    shutil.copy(folder / "tokenizer.json", out / "tokenizer.json")
    meta = {"inputs": inputs, "max_seq_length": max_seq_length, "dim": int(model.config.hidden_size),
            "source": str(folder)}
    got = OnnxMeanPoolingEncoder(out, meta).encode(_CHECK_TEXTS)
    diff = float(np.abs(got - expected).max())
    if diff > 1e-4:
        raise EmbedderError(f"the ONNX export of {folder} gives other vectors than torch (max diff {diff:.2g})")
    (out / _META).write_text(json.dumps(meta))
    logger.info("text model exported to ONNX in %.1f s (max diff to torch %.1g)", time.perf_counter() - t0, diff)


def _mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float32)
    vecs = (tokens * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)


class OnnxMeanPoolingEncoder:
    """The exported model: ``tokenizers`` -> onnxruntime -> mean pooling -> unit vectors."""

    def __init__(self, folder: Path, meta: dict | None = None, providers: list[str] | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = meta or json.loads((folder / _META).read_text())
        self.inputs: list[str] = meta["inputs"]
        self.dim = int(meta["dim"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # sentence-transformers truncates at max_seq_length and pads to the longest text of the batch; the
        # bundled MiniLM tokenizer.json pads every text to 128 and truncates there.
        self.tokenizer.enable_truncation(int(meta["max_seq_length"]))
        pad = self.tokenizer.padding or {}
        pad_token = pad.get("pad_token", "[PAD]")
        pad_id = pad.get("pad_id", self.tokenizer.token_to_id(pad_token) or 0)
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
        options = ort.SessionOptions()
        # Idle pool threads must not spin: they would take the cores from the answering model loading beside.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options,
                                            providers=providers or ["CPUExecutionProvider"])

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts: list[str], **_) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        arrays = {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                  "token_type_ids": [e.type_ids for e in encodings]}
        feed = {n: np.asarray(arrays[n], dtype=np.int64) for n in self.inputs}
        (tokens,) = self.session.run(["last_hidden_state"], feed)
        return _mean_pool(tokens, feed["attention_mask"]).astype(np.float32)


def onnx_providers(device: str) -> list[str] | None:
    """onnxruntime providers for ``device`` (``auto``: CUDA when this onnxruntime build has it), or None when
    onnxruntime cannot run there (then the torch path serves)."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "auto":
        return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []) + ["CPUExecutionProvider"]
    return None
