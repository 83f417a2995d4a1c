"""The ``videokb`` command: ingest a video library, then search it by speech, on-screen text and picture."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from videokb.cli_backends import backends_command
from videokb.cli_common import VideokbGroup, backend_option, db_option, device_option, mmss, open_store, visual_option
from videokb.cli_library import optimize, status, watch
from videokb.cli_serve import serve
from videokb.cli_tools import export, mcp
from videokb.cli_train import train
from videokb.config import ConfigError, default_db, model_config

logger = logging.getLogger(__name__)


def _quiet_third_party() -> None:
    # Weight-loading bars and hub chatter would bury our own progress on stderr.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("faster_whisper", "sentence_transformers", "httpx", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.WARNING)


@click.group(cls=VideokbGroup)
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
    videokb backends                    # the models each job can use
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    _quiet_third_party()


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@device_option
@visual_option()
@click.option("--siglip2-model", default=None, help="SigLIP2 NaFlex hub id or local folder.")
@click.option("--asr-model", default=None, help="faster-whisper model: 'base' (bundled), a name, or a folder.")
@click.option("--no-ocr", is_flag=True, help="Skip on-screen text.")
@click.option("--no-asr", is_flag=True, help="Skip speech.")
@click.option("--no-hico", is_flag=True, help="Skip HiCo clip tokens (compressed visual tokens per clip).")
@click.option("--hico-tokens", type=click.IntRange(1), default=None, help="HiCo tokens per clip (default 16).")
@click.option("--workers", type=click.IntRange(0), default=1, show_default=True,
              help="Videos processed at once (local: worker processes sharing the cores; ray: actors, 0 = fill "
                   "the cluster).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run the work here, or on a Ray cluster (pip install 'videokb[cluster]').")
@click.option("--address", default=None, help="Ray cluster address (ray://head:10001, or auto); default: start "
                                                "a local Ray instance.")
@click.option("--cpus-per-worker", type=float, default=2.0, show_default=True, help="Ray: CPUs each actor takes.")
@click.option("--gpus-per-worker", type=float, default=0.0, show_default=True, help="Ray: GPUs each actor takes.")
@click.option("--prune", is_flag=True, help="Also remove indexed videos under PATHS whose files are gone (refused "
              "for a folder that is missing, empty or on another device, or past half the library, unless --force).")
@click.option("--force", is_flag=True, help="Prune even where the folder looks unmounted.")
@click.option("--dry-run", is_flag=True, help="With --prune: list what would be removed; change nothing.")
@click.option("--retry-failed", is_flag=True, help="Try again files that failed before and have not changed since.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def ingest(paths, db, device, visual, siglip2_model, asr_model, no_ocr, no_asr, no_hico, hico_tokens, workers, engine,
           address, cpus_per_worker, gpus_per_worker, prune, force, dry_run, retry_failed, as_json, no_progress):
    """Index the videos under PATHS (folders are searched recursively).

    Each video is identified by a hash of its content: running again on the same folder adds nothing,
    and a changed file replaces only its own rows. Files that cannot be read are reported with the
    reason and skipped; the rest go on. A run that is stopped (Ctrl-C, kill -9) resumes
    where it stopped when started again; `videokb status` shows how far it got.

    \b
    videokb ingest ~/Videos
    videokb ingest talk.mp4 lecture.mkv --db ./kb
    videokb ingest ~/Videos --visual efficientnet-lite0 --no-ocr
    videokb ingest ~/Videos --hico-tokens 8      # fewer HiCo clip tokens (re-ingests what had other settings)
    videokb ingest ~/Videos --workers 4 --prune
    videokb ingest /mnt/videos --engine ray --address ray://head:10001 --db s3://bucket/kb
    """
    from videokb.ingest import IngestConfig, RunOptions
    from videokb.ingest import ingest as run_ingest
    from videokb.ingest.hico import HicoOptions
    from videokb.ingest.lanes import MALLOC_ARENAS, limit_malloc_arenas

    limit_malloc_arenas(MALLOC_ARENAS)  # before the index opens: LanceDB's own threads make arenas too

    try:
        models = model_config(
            device=device, visual=visual, siglip2_model=siglip2_model, asr_model=asr_model,
            ocr=False if no_ocr else None, asr=False if no_asr else None,
        )
        run = RunOptions(workers=workers, engine=engine, address=address, cpus_per_worker=cpus_per_worker,
                         gpus_per_worker=gpus_per_worker, prune=prune, force=force, dry_run=dry_run,
                         retry_failed=retry_failed)
        if dry_run and not prune:
            raise ValueError("--dry-run goes with --prune")
        if no_hico and hico_tokens:
            raise click.UsageError("--hico-tokens has no effect with --no-hico")
        hico = HicoOptions(enabled=not no_hico, **({"tokens_per_clip": hico_tokens} if hico_tokens else {}))
    except (ConfigError, ValueError) as e:
        raise click.UsageError(str(e)) from e
    store = open_store(db or default_db())

    def announce(why: dict[str, str]) -> None:
        click.echo(f"index: {store.uri}", err=True)
        for modality in ("visual", "ocr", "asr", "text"):
            click.echo(f"{modality:>6}: {why.get(modality, 'off')}", err=True)

    from videokb.index.embedders import EmbedderError
    from videokb.index.store import IndexMismatchError
    from videokb.ingest.journal import JournalBusyError
    from videokb.ingest.prune import PruneRefusedError

    try:
        report = run_ingest(list(paths), store, IngestConfig(models=models, hico=hico), run=run,
                            progress=not no_progress, on_models=announce)
    except (EmbedderError, IndexMismatchError, JournalBusyError, PruneRefusedError) as e:
        raise click.ClickException(str(e)) from e
    _print_report(report, as_json)
    if report.by_status("failed"):
        sys.exit(1)


def _print_report(report, as_json: bool) -> None:
    from videokb.ingest.names import shown

    if as_json:
        for o in report.outcomes:
            click.echo(json.dumps({"path": shown(o.path), "status": o.status, "reason": o.reason,
                                   "video_id": o.video_id, "duration_s": o.duration_s,
                                   "seconds": round(o.seconds, 3), "counts": o.counts,
                                   "stage_seconds": {k: round(v, 3) for k, v in o.stage_seconds.items()}}))
    else:
        if report.swept:
            click.echo(f"removed the half-written rows of {report.swept} interrupted attempt(s)", err=True)
        statuses = ("ingested", "skipped", "failed", "ignored") + tuple(
            s for s in ("removed", "would remove") if report.by_status(s))
        counts = {s: len(report.by_status(s)) for s in statuses}
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
        for o in report.outcomes:
            if o.status == "ingested":
                speed = f"{o.duration_s / o.seconds:.1f}x real time" if o.seconds else ""
                click.echo(f"  ingested  {shown(o.path)}  ({mmss(o.duration_s or 0)}, {o.reason or speed})")
                if o.stage_seconds:  # lanes overlap: the stages add up to more than the wall time
                    click.echo("            " + ", ".join(f"{k} {v:.1f}s" for k, v in sorted(o.stage_seconds.items())))
            elif o.status == "skipped":
                click.echo(f"  skipped   {shown(o.path)}  ({o.reason})")
        for o in (report.by_status("failed") + report.by_status("ignored") + report.by_status("removed")
                  + report.by_status("would remove")):
            click.echo(f"  {o.status:<8}  {shown(o.path)}: {o.reason}")


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
    import videokb

    if (query is None) == (image is None):
        raise click.UsageError("give a QUERY or --image PATH (one of them)")
    try:
        moments = videokb.open(db, device=device or "auto").search(
            query, image=image, k=k, modalities=[m.strip() for m in modality.split(",") if m.strip()],
            videos=list(videos) or None)
    except videokb.VideokbError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        for m in moments:
            click.echo(json.dumps(m.to_json()))
        return
    if not moments:
        click.echo("no matching moments")
        return
    for i, m in enumerate(moments, 1):
        name = Path(m.video_path).name or m.video_id[:12]
        click.echo(f"{i:>2}. {name}  {mmss(m.start_s)}-{mmss(m.end_s)}  score {m.score:.4f}  "
                   f"{','.join(m.modalities)}")
        click.echo(f"    {m.snippet}")


@cli.command()
@click.argument("question")
@db_option
@device_option
@backend_option("--answerer", kind="answerer", default="gemma-270m", show_default=True,
                lead="Answering model (`videokb backends --kind answerer --options` lists their options).")
@click.option("--llm-url", default=None, help="Server URL, for answerers whose config takes one.")
@click.option("--llm-model", default=None, help="Model name on that server, or a hub id / folder, for answerers "
                                                "whose config takes one.")
@click.option("-o", "--option", "answerer_options", multiple=True, metavar="KEY=VALUE",
              help="A field of the answerer's config, e.g. -o max_new_tokens=64; repeatable.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 100), default=6, show_default=True,
              help="Moments retrieved per search before they widen into evidence windows.")
@click.option("--tools", "tool_calling", is_flag=True,
              help="Let the model pick the archive tools itself (openai-compatible servers with tool calling).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: answer, citations, windows, steps.")
def ask(question, db, device, answerer, llm_url, llm_model, answerer_options, k, tool_calling, as_json):
    """Answer QUESTION from the archive, citing the moments that support it.

    The question's shape picks the plan: a lookup, a comparison or count across videos (one search and one
    short extraction per video, sorted or counted in code), or what is said before/after a slide. Every
    citation is checked against the window it names; only supported sentences are shown (the rest are
    counted as dropped), and an answer with none becomes "not found in the archive". Transcript and
    on-screen text are treated as data: instructions inside a video are not followed. -v logs each step;
    --json returns them as "steps".

    \b
    videokb ask "How much does the sourdough loaf cost?"
    videokb ask "What did they say at the start of the bakery tour?" --json
    videokb ask "Which of the cafes sells the cheapest espresso?"
    videokb ask "How many of the meetings mention the budget?"
    videokb -v ask "What is said after the slide titled Launch window opens?"
    videokb ask "Who won?" --answerer openai-compatible --llm-url http://localhost:8000/v1 --llm-model qwen2.5
    videokb ask "Who won?" --answerer gemma-270m -o max_new_tokens=24
    videokb ask "Which talk came first?" --answerer openai-compatible --llm-url URL --llm-model M --tools
    """
    import videokb
    from videokb.agent import describe_citation
    from videokb.index.backends import get_backend

    backend = get_backend("answerer", answerer)
    # Shared flags fill the fields the answerer's config declares (by name or its "option" metadata); -o wins.
    shared = {"llm_url": llm_url, "llm_model": llm_model}
    unused = [k for k in ("llm_url", "llm_model") if shared[k] is not None and k not in _option_keys(backend)]
    if unused:
        raise click.UsageError(f"--answerer {answerer} takes no {', '.join('--' + k.replace('_', '-') for k in unused)}")
    try:
        result = videokb.open(db, device=device or "auto").ask(
            question, answerer=answerer, llm_url=llm_url, llm_model=llm_model,
            options=backend.parse_options(answerer_options), k=k, tools=tool_calling)
    except videokb.VideokbError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    # Only checked sentences reach the terminal: the unchecked draft is never shown (-v logs it).
    click.echo(f"answer: {result.answer}")
    if result.dropped:
        click.echo(f"({result.dropped} sentence{'s' * (result.dropped > 1)} dropped: "
                   "not supported by the window cited)")
    for c in result.citations:
        click.echo("  " + describe_citation(c))


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per video.")
def videos(db, as_json):
    """List the indexed videos with their duration, language, the models that indexed them, and HiCo clip
    tokens per minute (tok/min: fewer on static footage, more on busy footage).

    \b
    videokb videos
    videokb videos --json | jq .video_path
    """
    import videokb

    try:
        rows = [v.to_json() for v in videokb.open(db).videos()]
    except videokb.VideokbError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        for r in rows:
            click.echo(json.dumps(r))
        return
    if not rows:
        click.echo("no videos indexed yet: run `videokb ingest PATH`")
        return
    for r in rows:
        models = r["models"]
        click.echo(f"{r['video_id'][:12]}  {mmss(r['duration_s'] or 0):>8}  {r['language'] or '-':<3}  "
                   f"visual={(models.get('visual') or 'none').split(':')[0]:<18}  "
                   f"tok/min={r['clip_tokens_per_min'] if r['clip_tokens_per_min'] is not None else '-':<6}  "
                   f"{r['video_path']}" + (f"  ({r['warnings']})" if r["warnings"] else ""))


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
    import videokb

    try:
        table = videokb.open(db).sql(query)
    except videokb.VideokbError as e:
        raise click.ClickException(str(e)) from e
    if not table.num_columns:  # a statement without rows
        return
    if as_json:
        for row in table.to_pylist():
            click.echo(json.dumps(row, default=_json_value))
    else:
        import duckdb

        click.echo(table.to_pandas().to_string(index=False) if _has_pandas() else str(duckdb.from_arrow(table)))


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
        click.echo(f"{v.path}  ({mmss(v.duration_s)}, {len(v.scenes)} scenes)")


def _json_value(value):
    """JSON for what Arrow hands back beyond JSON's types: SUM() of integers is a DECIMAL, times are datetimes."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _option_keys(backend) -> list[str]:
    """The shared-flag keys a backend's config answers to (its field names and their "option" metadata)."""
    import dataclasses

    cfg = backend.config_class()
    if cfg is None:
        return backend.option_names()
    return [f.metadata.get("option", f.name) for f in dataclasses.fields(cfg)]


for _command in (watch, status, optimize, backends_command, serve, export, mcp, train):
    cli.add_command(_command)
