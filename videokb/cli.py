"""The ``videokb`` command: ingest a video library, then search it by speech, on-screen text and picture."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

import click

from videokb.config import ConfigError, default_db, model_config

logger = logging.getLogger(__name__)


def _quiet_third_party() -> None:
    # Weight-loading bars and hub chatter would bury our own progress on stderr.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("faster_whisper", "sentence_transformers", "httpx", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _store(db: Path):
    from index.store import Store

    return Store(db)


def _mmss(t: float) -> str:
    t = max(0, int(round(t)))
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60:02d}:{t % 60:02d}"


db_option = click.option(
    "--db", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Index folder (default: $VIDEOKB_DB, else $VIDEOKB_HOME/index, else the user data dir).",
)
device_option = click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where models run (default auto)."
)


@click.group()
@click.version_option(package_name="videokb")
@click.option("-v", "--verbose", count=True, help="-v: info logs, -vv: debug logs (stderr).")
def cli(verbose: int) -> None:
    """videokb: a local knowledge base over your video library.

    \b
    videokb ingest ~/Videos            # index every video under a folder
    videokb search "quarterly revenue"  # find the moments
    videokb search --image cat.jpg      # find frames that look like a picture
    videokb videos                      # what is indexed
    videokb sql "SELECT kind, count(*) FROM events GROUP BY kind"
    videokb ask "how much does the sourdough loaf cost?"
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    _quiet_third_party()


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@device_option
@click.option("--visual", type=click.Choice(["auto", "siglip2", "efficientnet-lite0", "none"]), default=None,
              help="Visual model: auto = SigLIP2 if its weights load, else the offline EfficientNet-Lite0.")
@click.option("--siglip2-model", default=None, help="SigLIP2 NaFlex hub id or local folder.")
@click.option("--asr-model", default=None, help="faster-whisper model: 'base' (bundled), a name, or a folder.")
@click.option("--no-ocr", is_flag=True, help="Skip on-screen text.")
@click.option("--no-asr", is_flag=True, help="Skip speech.")
@click.option("--workers", type=click.IntRange(0), default=1, show_default=True,
              help="Videos processed at once (local: worker processes sharing the cores; ray: actors, 0 = fill "
                   "the cluster).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run the work here, or on a Ray cluster (pip install 'videokb[cluster]').")
@click.option("--address", default=None, help="Ray cluster address (ray://head:10001, or auto); default: start "
                                                "a local Ray instance.")
@click.option("--cpus-per-worker", type=float, default=2.0, show_default=True, help="Ray: CPUs each actor takes.")
@click.option("--gpus-per-worker", type=float, default=0.0, show_default=True, help="Ray: GPUs each actor takes.")
@click.option("--prune", is_flag=True, help="Also remove indexed videos under PATHS whose files are gone.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def ingest(paths, db, device, visual, siglip2_model, asr_model, no_ocr, no_asr, workers, engine, address,
           cpus_per_worker, gpus_per_worker, prune, as_json, no_progress):
    """Index the videos under PATHS (folders are searched recursively).

    Each video is identified by a hash of its content: running again on the same folder adds nothing,
    and a changed file replaces only its own rows. Files that cannot be read are reported with the
    reason and skipped; the rest go on. A run that is stopped (Ctrl-C, kill -9, power loss) resumes
    where it stopped when started again; `videokb status` shows how far it got.

    \b
    videokb ingest ~/Videos
    videokb ingest talk.mp4 lecture.mkv --db ./kb
    videokb ingest ~/Videos --visual efficientnet-lite0 --no-ocr
    videokb ingest ~/Videos --workers 4 --prune
    videokb ingest /mnt/videos --engine ray --address ray://head:10001 --db s3://bucket/kb
    """
    from ingest import IngestConfig, RunOptions
    from ingest import ingest as run_ingest

    try:
        models = model_config(
            device=device, visual=visual, siglip2_model=siglip2_model, asr_model=asr_model,
            ocr=False if no_ocr else None, asr=False if no_asr else None,
        )
        run = RunOptions(workers=workers, engine=engine, address=address, cpus_per_worker=cpus_per_worker,
                         gpus_per_worker=gpus_per_worker, prune=prune)
    except (ConfigError, ValueError) as e:
        raise click.UsageError(str(e)) from e
    store = _store(db or default_db())

    def announce(why: dict[str, str]) -> None:
        click.echo(f"index: {store.uri}", err=True)
        for modality in ("visual", "ocr", "asr", "text"):
            click.echo(f"{modality:>6}: {why.get(modality, 'off')}", err=True)

    from index.embedders import EmbedderError
    from index.store import IndexMismatchError
    from ingest.journal import JournalBusyError

    try:
        report = run_ingest(list(paths), store, IngestConfig(models=models), run=run, progress=not no_progress,
                            on_models=announce)
    except (EmbedderError, IndexMismatchError, JournalBusyError) as e:
        raise click.ClickException(str(e)) from e
    _print_report(report, as_json)
    if report.by_status("failed"):
        sys.exit(1)


def _print_report(report, as_json: bool) -> None:
    if as_json:
        for o in report.outcomes:
            click.echo(json.dumps({"path": str(o.path), "status": o.status, "reason": o.reason,
                                   "video_id": o.video_id, "duration_s": o.duration_s,
                                   "seconds": round(o.seconds, 3), "counts": o.counts}))
    else:
        if report.swept:
            click.echo(f"removed the half-written rows of {report.swept} interrupted attempt(s)", err=True)
        statuses = ("ingested", "skipped", "failed", "ignored") + (("removed",) if report.by_status("removed") else ())
        counts = {s: len(report.by_status(s)) for s in statuses}
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
        for o in report.outcomes:
            if o.status == "ingested":
                speed = f"{o.duration_s / o.seconds:.1f}x real time" if o.seconds else ""
                click.echo(f"  ingested  {o.path}  ({_mmss(o.duration_s or 0)}, {o.reason or speed})")
            elif o.status == "skipped":
                click.echo(f"  skipped   {o.path}  ({o.reason})")
        for o in report.by_status("failed") + report.by_status("ignored") + report.by_status("removed"):
            click.echo(f"  {o.status:<8}  {o.path}: {o.reason}")


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@device_option
@click.option("--visual", type=click.Choice(["auto", "siglip2", "efficientnet-lite0", "none"]), default=None,
              help="Visual model (as for ingest).")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True, help="Videos processed at once.")
@click.option("--prune", is_flag=True, help="Remove videos from the index when their files are deleted.")
def watch(folder, db, device, visual, workers, prune):
    """Ingest FOLDER, then keep watching it: new and changed videos are ingested as they appear
    (once their copy has finished), deleted ones removed with --prune. Ctrl-C or SIGTERM stops it safely.

    \b
    videokb watch ~/Videos --prune
    """
    from ingest import IngestConfig, RunOptions
    from ingest.watch import watch_folder

    try:
        models = model_config(device=device, visual=visual)
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    store = _store(db or default_db())

    def show(report) -> None:
        for o in report.outcomes:
            if o.status != "skipped":
                click.echo(f"{o.status:<8}  {o.path}" + (f": {o.reason}" if o.reason else ""), err=False)

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


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--all", "show_all", is_flag=True, help="List every failed and remaining file, not the first 20.")
def status(db, as_json, show_all):
    """How the ingest stands: the last run, files done, failed (with reasons) and still to do.

    \b
    videokb status
    videokb status --json | jq '.failed[].reason'
    """
    from ingest.journal import Journal, journal_path

    store = _store(db or default_db())
    path = journal_path(store.uri)
    videos = store.videos()
    hours = sum(d or 0 for d in videos.column("duration_s").to_pylist()) / 3600 if videos.num_rows else 0.0
    summary = {"index": store.uri, "videos": videos.num_rows, "hours": round(hours, 3), "last_run": None,
               "files": {}, "failed": [], "remaining": []}
    if path.exists():
        journal = Journal(path)
        try:
            summary.update(journal.summary())
        finally:
            journal.close()
    run = summary["last_run"]
    if run and run["status"] == "running" and not _pid_alive(run["pid"]):
        run["status"] = "interrupted"  # killed: it never got to say so; the next ingest resumes it
    if as_json:
        click.echo(json.dumps(summary, default=str))
        return
    click.echo(f"index: {store.uri}: {summary['videos']} videos, {_mmss(hours * 3600)} of video")
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


@cli.command()
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

    from index.maintenance import optimize as optimize_index

    reports = optimize_index(_store(db or default_db()), cleanup_older_than=timedelta(hours=keep_hours))
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


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@cli.command()
@click.argument("query", required=False)
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search by an example picture instead of text.")
@db_option
@device_option
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Moments to show.")
@click.option("--modality", default="speech,ocr,visual", show_default=True,
              help="Comma-separated modalities to search: speech, ocr, visual.")
@click.option("--video", "videos", multiple=True, help="Only this video (id, id prefix or part of its path); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per moment on stdout, best first.")
def search(query, image, db, device, k, modality, videos, as_json):
    """Find the moments that match QUERY (or --image), best first.

    \b
    videokb search "when does the bakery open"
    videokb search "rocket" --modality visual -k 3
    videokb search --image ~/Pictures/cat.jpg --json
    videokb search "price" --video bakery
    """
    from retrieval import SearchError, SearchOptions, resolve_videos
    from retrieval import search as run_search

    if (query is None) == (image is None):
        raise click.UsageError("give a QUERY or --image PATH (one of them)")
    store = _store(db or default_db())
    try:
        options = SearchOptions(k=k, modalities=tuple(m.strip() for m in modality.split(",") if m.strip()),
                                device=device or "auto")
        if videos:
            options.video_ids = resolve_videos(store, list(videos))
        picture = None
        if image is not None:
            picture = _open_image(image)
        moments = run_search(store, query, picture, options)
    except SearchError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        for m in moments:
            click.echo(json.dumps({
                "video_id": m.video_id, "video_path": m.video_path, "start_s": round(m.start_s, 3),
                "end_s": round(m.end_s, 3), "score": round(m.score, 6), "modalities": m.modalities,
                "snippet": m.snippet(),
                "hits": [{"source": h.source, "start_s": round(h.start_s, 3), "end_s": round(h.end_s, 3),
                          "score": round(h.raw_score, 4), "text": h.text, **h.extra} for h in m.hits[:5]],
            }))
        return
    if not moments:
        click.echo("no matching moments")
        return
    for i, m in enumerate(moments, 1):
        name = Path(m.video_path).name or m.video_id[:12]
        click.echo(f"{i:>2}. {name}  {_mmss(m.start_s)}-{_mmss(m.end_s)}  score {m.score:.4f}  "
                   f"{','.join(m.modalities)}")
        click.echo(f"    {m.snippet()}")


def _open_image(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(path)
        img.load()
        return img
    except (UnidentifiedImageError, OSError) as e:
        raise click.ClickException(f"{path}: not a readable image ({e})") from e


@cli.command()
@click.argument("question")
@db_option
@device_option
@click.option("--answerer", default="gemma-270m", show_default=True,
              help="gemma-270m (offline), openai-compatible, ollama, or transformers-vlm.")
@click.option("--llm-url", default=None, help="Server URL for openai-compatible / ollama.")
@click.option("--llm-model", default=None, help="Model name on that server, or the VLM's hub id / folder.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 100), default=6, show_default=True,
              help="Moments retrieved per search before they widen into evidence windows.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: answer, citations, windows.")
def ask(question, db, device, answerer, llm_url, llm_model, k, as_json):
    """Answer QUESTION from the archive, citing the moments that support it.

    Every citation is checked against the window it names; unsupported ones are dropped, and an answer
    with no supported citation becomes "not found in the archive". Transcript and on-screen text are
    treated as data: instructions inside a video are not followed.

    \b
    videokb ask "How much does the sourdough loaf cost?"
    videokb ask "What did they say at the start of the bakery tour?" --json
    videokb ask "Who won?" --answerer openai-compatible --llm-url http://localhost:8000/v1 --llm-model qwen2.5
    """
    from agent import AskOptions, create_answerer, describe_citation
    from agent import ask as run_ask
    from agent.answerers import AnswererError
    from retrieval import SearchError
    from videokb.config import cache_dir

    store = _store(db or default_db())
    options: dict = {}
    if answerer in ("openai-compatible", "ollama"):
        options = {"url": llm_url, "model": llm_model}
    elif answerer == "transformers-vlm":
        options = {"device": device or "auto", **({"model_id": llm_model} if llm_model else {})}
    elif answerer == "gemma-270m":
        options = {"cache_dir": cache_dir() / "models"}
    try:
        model = create_answerer(answerer, **options)
        streamed = []

        def show(piece: str) -> None:
            if not as_json:
                if not streamed:
                    click.echo("draft: ", nl=False)
                streamed.append(piece)
                click.echo(piece, nl=False)

        result = run_ask(store, question, model, AskOptions(k=k, device=device or "auto"), on_token=show)
    except (AnswererError, SearchError) as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    if streamed:
        click.echo()
    click.echo(f"answer: {result.answer}")
    if result.partly_unsupported:
        click.echo("(part of the answer is not supported by the retrieved evidence)")
    for c in result.citations:
        click.echo("  " + describe_citation(c))


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per video.")
def videos(db, as_json):
    """List the indexed videos with their duration, language and the models that indexed them.

    \b
    videokb videos
    videokb videos --json | jq .video_path
    """
    rows = _store(db or default_db()).videos().to_pylist()
    rows.sort(key=lambda r: r["video_path"])
    if as_json:
        for r in rows:
            r["models"] = json.loads(r["models"]) if r["models"] else {}
            r["ingested_at"] = r["ingested_at"].isoformat() if r["ingested_at"] else None
            click.echo(json.dumps(r))
        return
    if not rows:
        click.echo("no videos indexed yet: run `videokb ingest PATH`")
        return
    for r in rows:
        models = json.loads(r["models"] or "{}")
        click.echo(f"{r['video_id'][:12]}  {_mmss(r['duration_s'] or 0):>8}  {r['language'] or '-':<3}  "
                   f"visual={(models.get('visual') or 'none').split(':')[0]:<18}  {r['video_path']}")


@cli.command()
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row.")
def sql(query, db, as_json):
    """Run SQL (DuckDB) over the index.

    Views: videos, keyframes, segments, ocr_spans, regions_<model>, and
    events(video_id, kind, start_s, end_s, text, bbox_xyxy) with kind in speech, ocr, visual, shot.

    \b
    videokb sql "SELECT kind, count(*) FROM events GROUP BY kind"
    videokb sql "SELECT start_s, text FROM segments WHERE text ILIKE '%price%'" --json
    """
    import duckdb

    from index.events import connect_events

    con = connect_events(_store(db or default_db()))
    try:
        rel = con.sql(query)
    except duckdb.Error as e:
        raise click.ClickException(f"SQL error: {e}") from e
    if rel is None:
        return
    if as_json:
        cols = rel.columns
        for row in rel.fetchall():
            click.echo(json.dumps(dict(zip(cols, row)), default=str))
    else:
        click.echo(rel.fetchdf().to_string(index=False) if _has_pandas() else str(rel))


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def sample(folder):
    """Make a small demo library: 5 short videos with narration, slides and photos (needs ffmpeg, espeak-ng).

    \b
    videokb sample ./demo && videokb ingest ./demo && videokb search "sourdough price"
    """
    from videokb.sample import SampleError, make_corpus, write_manifest

    try:
        vids = make_corpus(folder)
    except SampleError as e:
        raise click.ClickException(str(e)) from e
    write_manifest(vids, folder / "manifest.json")
    for v in vids:
        click.echo(f"{v.path}  ({_mmss(v.duration_s)}, {len(v.scenes)} scenes)")
