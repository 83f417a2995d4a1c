"""What the ``videokb`` commands share: the index option, the device option, times as mm:ss."""

from __future__ import annotations

from pathlib import Path

import click


def open_store(db: Path):
    from videokb.index.store import Store

    return Store(db)


def mmss(t: float) -> str:
    t = max(0, int(round(t)))
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60:02d}:{t % 60:02d}"


db_option = click.option(
    "--db", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Index folder (default: $VIDEOKB_DB, else $VIDEOKB_HOME/index, else the user data dir).",
)
device_option = click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where models run (default auto)."
)
