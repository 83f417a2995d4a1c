"""``videokb backends``: every model backend the registry knows, by kind, with where it came from."""

from __future__ import annotations

import dataclasses
import json

import click

from videokb.index.backends import KINDS, BackendError, backends, describe


@click.command(name="backends")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only backends of this kind.")
@click.option("--options", "show_options", is_flag=True,
              help="Also each backend's config fields (imports each backend's module).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per backend.")
def backends_command(kind, show_options, as_json):
    """List the model backends by kind: built-in ones and those plugins add through the
    ``videokb.backends`` entry-point group.

    \b
    videokb backends
    videokb backends --kind answerer --options
    videokb backends --json | jq -r 'select(.kind == "answerer") .name'
    """
    rows = backends(kind)
    for b in rows:
        row = describe(b)
        if show_options:
            row["options"] = _options(b)
        if as_json:
            click.echo(json.dumps(row, default=str))
            continue
        click.echo(f"{b.kind:<15} {b.name:<22} {b.origin:<24} {b.summary}")
        if show_options:
            for name, default in (row["options"] or {}).items():
                click.echo(f"{'':<15}   {name} = {default!r}")


def _options(b) -> dict | str:
    try:
        cfg = b.config_class()
    except BackendError as e:
        return f"cannot import: {e}"
    if cfg is None:
        return {name: None for name in b.option_names()}
    return {f.name: (f.default if f.default is not dataclasses.MISSING else None) for f in dataclasses.fields(cfg)}
