"""Where videokb keeps its data, and the settings each run uses.

Precedence: command-line flags > environment (``VIDEOKB_*``) > ``$VIDEOKB_HOME/config.toml`` > defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from videokb.index.backends import parse_value
from videokb.index.cache import cache_dir  # noqa: F401  (the one rule; re-exported for the shell)

if TYPE_CHECKING:
    from videokb.ingest.models import ModelConfig

ENV_PREFIX = "VIDEOKB_"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names where it came from."""


def home_dir() -> Path:
    """``$VIDEOKB_HOME``, else the user's data dir (e.g. ~/.local/share/videokb)."""
    env = os.environ.get("VIDEOKB_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("videokb"))


def db_location(value: str | os.PathLike) -> str:
    """An index location as LanceDB takes it: a URI (``s3://``, ``gs://``, ``az://``, ``memory://``...) passes
    untouched; a local path gets ``~`` expanded."""
    text = os.fspath(value)
    return text if "://" in text else str(Path(text).expanduser())


def default_db() -> str:
    return db_location(os.environ["VIDEOKB_DB"]) if os.environ.get("VIDEOKB_DB") else str(home_dir() / "index")


def _file_settings() -> dict:
    path = home_dir() / "config.toml"
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as f:
            return tomllib.load(f).get("models", {})
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from e


def model_config(**flags) -> ModelConfig:
    """ModelConfig from flags (None = not given), env ``VIDEOKB_<FIELD>``, config.toml ``[models]``."""
    from videokb.ingest.models import ModelConfig

    names = {f.name: f for f in fields(ModelConfig)}
    values: dict = {}
    file = _file_settings()
    unknown = set(file) - set(names)
    if unknown:
        raise ConfigError(f"{home_dir() / 'config.toml'}: unknown [models] keys {sorted(unknown)}; "
                          f"valid: {sorted(names)}")
    for name, f in names.items():
        env = os.environ.get(ENV_PREFIX + name.upper())
        if flags.get(name) is not None:
            values[name] = flags[name]
        elif env is not None:
            values[name] = _parse(env, f.type, f"${ENV_PREFIX}{name.upper()}")
        elif name in file:
            values[name] = file[name]
    try:
        return ModelConfig(**values)
    except (TypeError, ValueError) as e:
        raise ConfigError(str(e)) from e


def _parse(text: str, type_name: str, where: str):
    try:
        return parse_value(text, str(type_name), where)
    except ValueError as e:
        raise ConfigError(str(e)) from None
