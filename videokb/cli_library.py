"""``videokb watch``, ``status`` and ``optimize``: keeping a library's index in step and in shape."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import click

from videokb.cli_common import db_option, device_option, mmss, open_store, visual_option
from videokb.config import ConfigError, default_db, model_config
from videokb.ingest.journal import JournalBusyError, pid_alive


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@device_option
@visual_option(lead="Visual model (as for ingest):")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True, help="Videos processed at once.")
@click.option("--prune", is_flag=True, help="Remove videos from the index when their files are deleted.")
def watch(folder, db, device, visual, workers, prune):
    """Ingest FOLDER, then keep watching it: new and changed videos are ingested as they appear
    (once their copy has finished), deleted ones removed with --prune. Ctrl-C or SIGTERM stops it safely.

    \b
    videokb watch ~/Videos --prune
    """
    from videokb.ingest import IngestConfig, RunOptions
    from videokb.ingest.names import shown
    from videokb.ingest.watch import watch_folder
    from videokb.ingest.lanes import MALLOC_ARENAS, limit_malloc_arenas

    limit_malloc_arenas(MALLOC_ARENAS)  # before the index opens: LanceDB's own threads make arenas too

    try:
        models = model_config(device=device, visual=visual)
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    store = open_store(db or default_db())

    def show(report) -> None:
        for o in report.outcomes:
            if o.status != "skipped":
                click.echo(f"{o.status:<8}  {shown(o.path)}" + (f": {o.reason}" if o.reason else ""), err=False)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # SIGTERM (a service manager, `kill`) stops it as Ctrl-C does: between files, or mid-file with the
    # journal keeping what was done.
    signal.signal(signal.SIGTERM, interrupt)
    try:
        watch_folder(folder, store, IngestConfig(models=models), RunOptions(workers=workers, prune=prune),
                     on_report=show, on_ready=lambda: click.echo(f"watching {folder.absolute()} (Ctrl-C stops)",
                                                                 err=True))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--all", "show_all", is_flag=True, help="List every failed and remaining file, not the first 20.")
def status(db, as_json, show_all):
    """How the ingest stands: the last run, files done, failed (with reasons) and still to do.

    \b
    videokb status
    videokb status --json | jq '.failed[].reason'
    """
    from videokb.ingest.journal import Journal, journal_path

    store = open_store(db or default_db())
    path = journal_path(store.uri)
    videos = store.videos()
    hours = sum(d or 0 for d in videos.column("duration_s").to_pylist()) / 3600 if videos.num_rows else 0.0
    summary = {"index": store.uri, "videos": videos.num_rows, "hours": round(hours, 3), "last_run": None,
               "files": {}, "failed": [], "warnings": [], "remaining": []}
    if path.exists():
        journal = Journal(path)
        try:
            summary.update(journal.summary())
        finally:
            journal.close()
    run = summary["last_run"]
    if run and run["status"] == "running" and not pid_alive(run["pid"]):
        run["status"] = "interrupted"  # killed: it never got to say so; the next ingest resumes it
    if as_json:
        click.echo(json.dumps(summary, default=str))
        return
    click.echo(f"index: {store.uri}: {summary['videos']} videos, {mmss(hours * 3600)} of video")
    if run is None:
        click.echo("no ingest has run on this index yet")
        return
    import datetime as dt

    started = dt.datetime.fromtimestamp(run["started_at"]).strftime("%Y-%m-%d %H:%M:%S")
    line = f"last run: {started}, {run['status']}"
    if run["status"] == "running":
        line += f" (pid {run['pid']})"
    if run["status"] == "interrupted":
        line += ": run `videokb ingest` on the same folders to resume"
    if run.get("error"):
        line += f": {run['error'].splitlines()[0]}"
    click.echo(line)
    files = summary["files"]
    click.echo("files: " + ", ".join(f"{n} {state}" for state, n in sorted(files.items())))
    limit = None if show_all else 20
    for title, rows, fmt in (
        ("failed", summary["failed"], lambda r: f"{r['path']}: {r['reason']}"),
        ("indexed with warnings", summary.get("warnings", []), lambda r: f"{r['path']}: {r['reason']}"),
        ("remaining", summary["remaining"],
         lambda r: f"{r['path']} ({r['state']}" + (f", done: {', '.join(r['stages_done'])}" if r["stages_done"] else "")
         + ")"),
    ):
        if rows:
            click.echo(f"{title}:")
            for r in rows[:limit]:
                click.echo("  " + fmt(r))
            if limit is not None and len(rows) > limit:
                click.echo(f"  ... {len(rows) - limit} more (--all)")


@click.command()
@db_option
@click.option("--keep-hours", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Keep table versions younger than this; 0 keeps only the latest (stop other videokb processes "
                   "first).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per table.")
def optimize(db, keep_hours, as_json):
    """Compact the index: merge small files, bring the vector and full-text indexes up to date, drop old versions.

    Ingest keeps the indexes current as it goes; run this after many ingests or re-ingests to reclaim disk
    space and keep searches fast. Searches return the same results before and after.

    \b
    videokb optimize
    videokb optimize --keep-hours 0 --json
    """
    from datetime import timedelta

    from videokb.index.maintenance import optimize as optimize_index
    from videokb.ingest.journal import Journal, journal_path

    store = open_store(db or default_db())
    # The index's ingest lock: an ingest (or watch) writing while optimize rewrites the same tables makes
    # LanceDB commit conflicts; wait for it instead, and retry the conflicts another writer can still cause.
    journal = Journal(journal_path(store.uri))
    try:
        try:
            journal.lock()
        except JournalBusyError as e:
            click.echo(f"waiting: {e}", err=True)
            journal.lock(wait=True)
        reports = _retry_conflicts(lambda: optimize_index(store, cleanup_older_than=timedelta(hours=keep_hours)))
    finally:
        journal.close()
    if as_json:
        for r in reports:
            click.echo(json.dumps(r.to_json()))
        return
    if not reports:
        click.echo("the index is empty: nothing to optimize")
        return
    for r in reports:
        size = "" if r.bytes_before is None else f", {r.bytes_before / 1e6:.1f} -> {r.bytes_after / 1e6:.1f} MB"
        indexes = ", ".join(f"{i.column} {i.index_type}" for i in r.indexes) or "no indexes"
        click.echo(f"{r.table}: {r.rows_after} rows, {r.fragments_before} -> {r.fragments_after} fragments, "
                   f"{r.versions_removed} old versions removed{size} ({indexes})")


RETRIES = 5


def _retry_conflicts(fn, retries: int = RETRIES):
    """Run ``fn``, again after a LanceDB commit conflict it says can be retried (another process committed
    to the same table meanwhile), with a growing pause; any other error, or the last conflict, propagates."""
    import logging
    import time

    for attempt in range(retries + 1):
        try:
            return fn()
        except (OSError, RuntimeError, ValueError) as e:
            if "retryable commit conflict" not in str(e).lower() or attempt == retries:
                raise
            logging.getLogger(__name__).warning("commit conflict, retrying (%d/%d): %s", attempt + 1, retries, e)
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")

