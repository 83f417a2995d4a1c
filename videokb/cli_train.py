"""``videokb train align | draft-qa | lora``: train the projector answerer's projectors and LoRA adapter on
the index's own data. Progress bars and logs go to stderr, the result (JSON) to stdout."""

from __future__ import annotations

import json
from pathlib import Path

import click

from videokb.cli_common import db_option, device_option, open_store

_lm_option = click.option("--lm", "lm_id", default=None, metavar="ID",
                          help="The LM: a hub id or folder (Qwen/Qwen2.5-0.5B-Instruct...); default the bundled "
                               "Gemma-3-270M, converted once into the cache.")
_steps_option = click.option("--steps", type=int, default=300, show_default=True, help="Optimizer steps.")
_batch_option = click.option("--batch", type=int, default=4, show_default=True, help="Examples per step.")
_lr_option = click.option("--lr", type=float, default=1e-3, show_default=True, help="Learning rate.")
_regions_option = click.option("--regions", type=int, default=4, show_default=True,
                               help="Region vectors (grid cells, OCR boxes) per window beside the clip tokens; 0: none.")
_out_option = click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Checkpoint folder (default: <db>/projector/<verb>, where the answerer looks). "
                                "A folder holding an unfinished run of the same data resumes it.")


def _device(device: str | None) -> str:
    from videokb.index.embedders import resolve_device

    return resolve_device(device or "auto")


def _fail(e: Exception) -> click.ClickException:
    return click.ClickException(str(e))


@click.group()
def train() -> None:
    """Train the projector answerer on this index: align the projectors, draft QA, tune LoRA.

    \b
    videokb train align                  # projectors, LM frozen, on the archive's own pairs
    videokb train draft-qa -o qa.jsonl   # question/answer pairs from OCR and transcripts
    videokb train lora qa.jsonl          # LoRA adapter + projectors on those pairs
    videokb ask "What is shown at 00:12?" --answerer projector
    """


@train.command()
@db_option
@device_option
@_lm_option
@_steps_option
@_batch_option
@_lr_option
@_out_option
@click.option("--hidden", type=int, default=1024, show_default=True, help="The projector MLPs' inner width.")
@click.option("--tokens", "k", type=int, default=8, show_default=True, help="Clip tokens per clip.")
@_regions_option
@click.option("--teacher", default=None, metavar="ANSWERER",
              help="An answerer that sees images (transformers-vlm) whose keyframe captions join the pairs.")
@click.option("--teacher-option", "teacher_options", multiple=True, metavar="KEY=VALUE",
              help="An option of the teacher (repeatable): --teacher-option model_id=Qwen/Qwen2.5-VL-3B-Instruct.")
@click.option("--min-label-score", type=float, default=0.5, show_default=True,
              help="Visual labels at least this confident join the pairs (above 1: none).")
@click.option("--val-fraction", type=float, default=0.3, show_default=True, help="Videos held out for validation.")
@click.option("--seed", type=int, default=0, show_default=True)
def align(db, device, lm_id, steps, batch, lr, out, hidden, k, regions, teacher, teacher_options, min_label_score,
          val_fraction, seed):
    """Align the projectors (LM frozen): each clip's tokens -> the transcript line, screen text and
    confident labels the archive holds for it, split into train/validation by video.

    \b
    videokb train align
    videokb train align --steps 600 --lm Qwen/Qwen2.5-0.5B-Instruct --device cuda
    videokb train align --teacher transformers-vlm --teacher-option device=cuda
    """
    from videokb.agent.answerers import AnswererError, create_answerer
    from videokb.agent.lm import LmError
    from videokb.agent.train_align import run_align
    from videokb.agent.training import TrainOptions
    from videokb.index.backends import BackendError, get_backend
    from videokb.index.embedders import EmbedderError

    if teacher_options and not teacher:
        raise click.UsageError("--teacher-option needs --teacher")
    store = open_store(db)
    try:
        options = TrainOptions(steps=steps, lr=lr, batch=batch, seed=seed)
        teacher_model = None
        if teacher:
            teacher_model = create_answerer(teacher, **get_backend("answerer", teacher).parse_options(teacher_options))
            if not getattr(teacher_model, "sees_images", False):
                raise click.UsageError(f"--teacher {teacher} does not see images: use transformers-vlm")
        result = run_align(store, out, lm_id=lm_id, options=options, k=k, hidden=hidden, teacher=teacher_model,
                           device=_device(device), val_fraction=val_fraction, min_label_score=min_label_score,
                           regions=regions)
    except (ValueError, LmError, EmbedderError, AnswererError, BackendError) as e:
        raise _fail(e) from e
    click.echo(json.dumps(result))


@train.command("draft-qa")
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The JSONL file to write.")
@click.option("--answerer", default=None, metavar="NAME",
              help="Answer the templated questions with this answerer instead of the template's span.")
def draft_qa(db, output, answerer):
    """Draft question/answer pairs from the archive's screen text and transcripts, one JSON object a line:
    {"video_id", "start_s", "end_s", "question", "answer", "source"}.

    \b
    videokb train draft-qa -o qa.jsonl
    videokb train draft-qa -o qa.jsonl --answerer openai-compatible
    """
    from videokb.agent.answerers import AnswererError, create_answerer
    from videokb.agent.draft_qa import answer_with, draft_records, write_jsonl

    store = open_store(db)
    records = draft_records(store)
    if answerer:
        try:
            records = answer_with(create_answerer(answerer), store, records)
        except AnswererError as e:
            raise _fail(e) from e
    if not records:
        raise click.ClickException(f"the index {store.uri} holds no screen text or transcript to draft QA from")
    write_jsonl(records, output)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.source] = counts.get(r.source, 0) + 1
    click.echo(json.dumps({"output": str(output), "records": len(records), "by_source": counts,
                           "videos": len({r.video_id for r in records})}))


@train.command()
@click.argument("qa_file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@device_option
@_lm_option
@_steps_option
@_batch_option
@click.option("--lr", type=float, default=2e-4, show_default=True, help="Learning rate.")
@_out_option
@click.option("--init", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Start from this checkpoint's projectors (default: <db>/projector/align when it exists).")
@_regions_option
@click.option("--rank", "r", type=int, default=8, show_default=True, help="LoRA rank.")
@click.option("--alpha", type=int, default=16, show_default=True, help="LoRA alpha.")
@click.option("--val-fraction", type=float, default=0.3, show_default=True, help="Videos held out.")
@click.option("--seed", type=int, default=0, show_default=True)
def lora(qa_file, db, device, lm_id, steps, batch, lr, out, init, regions, r, alpha, val_fraction, seed):
    """Train a LoRA adapter and the projectors on QA_FILE (from draft-qa); prints held-out exact match
    before and after (videos split, so held-out questions are about unseen videos).

    \b
    videokb train lora qa.jsonl
    videokb train lora qa.jsonl --steps 200 --rank 16 --lm Qwen/Qwen3-0.6B --device cuda
    """
    from videokb.agent.draft_qa import read_jsonl
    from videokb.agent.lm import LmError
    from videokb.agent.projectors import ProjectorMismatch
    from videokb.agent.train_align import default_out
    from videokb.agent.train_lora import run_lora
    from videokb.agent.training import TrainOptions
    from videokb.index.embedders import EmbedderError

    store = open_store(db)
    if init is None and (default_out(store, "align") / "projector.json").exists():
        init = default_out(store, "align")
    try:
        records = read_jsonl(qa_file)
        result = run_lora(store, records, out, init=init, lm_id=lm_id,
                          options=TrainOptions(steps=steps, lr=lr, batch=batch, seed=seed), r=r, alpha=alpha,
                          device=_device(device), val_fraction=val_fraction, regions=regions)
    except (ValueError, LmError, EmbedderError, ProjectorMismatch) as e:
        raise _fail(e) from e
    click.echo(json.dumps(result))


__all__ = ["train"]
