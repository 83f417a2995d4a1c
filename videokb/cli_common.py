"""What the ``videokb`` commands share: the index option, the device option, backend choices from the registry,
times as mm:ss, and the mapping of videokb's own errors to clean exits."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from videokb.index.backends import BackendError, backends


def open_store(db: str | Path):
    from videokb.config import db_location
    from videokb.index.store import Store

    return Store(db_location(db))


def mmss(t: float) -> str:
    t = max(0, int(round(t)))
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60:02d}:{t % 60:02d}"


# A plain string, not click.Path: pathlib would turn s3://bucket/kb into the local folder s3:/bucket/kb.
db_option = click.option(
    "--db", default=None, metavar="PATH|URI",
    help="Index folder or object-store URI such as s3://bucket/kb (default: $VIDEOKB_DB, else "
         "$VIDEOKB_HOME/index, else the user data dir).",
)
device_option = click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where models run (default auto)."
)


def backend_option(*decls: str, kind: str, first: tuple[str, ...] = (), last: tuple[str, ...] = (),
                   lead: str = "", **kwargs):
    """A ``click.Choice`` option whose choices and help come from the backend registry (plugins included)."""
    found = backends(kind)
    names = [*first, *(b.name for b in found), *last]
    listing = "; ".join(f"{b.name}: {b.summary}" if b.summary else b.name for b in found)
    return click.option(*decls, type=click.Choice(names), help=f"{lead} {listing}.".strip(), **kwargs)


def visual_option(lead: str = "Visual model: auto = SigLIP2 if its weights load, else the offline "
                              "EfficientNet-Lite0; none = no pictures."):
    return backend_option("--visual", kind="image-embedder", first=("auto",), last=("none",), default=None,
                          lead=lead)


# The library's own errors (module, class): a verb that lets one through ends with "Error: <message>" and exit 1,
# not a traceback. Looked up in sys.modules: an error can only come from a module that was imported.
LIBRARY_ERRORS = (
    ("videokb.index.backends", "BackendError"),
    ("videokb.index.embedders.base", "EmbedderError"),
    ("videokb.index.store", "IndexMismatchError"),
    ("videokb.retrieval.search", "SearchError"),
    ("videokb.agent.answerers.base", "AnswererError"),
    ("videokb.agent.answerers.gguf_cache", "GgufCacheError"),
    ("videokb.ingest.journal", "JournalBusyError"),
    ("videokb.ingest.engines", "WorkerError"),
    ("videokb.sample", "SampleError"),
    ("videokb.config", "ConfigError"),
    ("videokb.errors", "VideokbError"),  # the Python API's (videokb.api)
)


def is_library_error(e: BaseException) -> bool:
    for module, name in LIBRARY_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(e, cls):
            return True
    return False


class VideokbGroup(click.Group):
    """A click group that turns videokb's errors into ``click.ClickException`` for every verb."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as e:
            if is_library_error(e):
                raise click.ClickException(str(e)) from e
            raise


__all__ = ["BackendError", "VideokbGroup", "backend_option", "db_option", "device_option", "mmss", "open_store",
           "visual_option"]
