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
@click.option("--teacher", default=None, metavar="ANSWERER",
              help="An answerer that sees images (transformers-vlm, or openai-compatible with a VLM) whose "
                   "keyframe captions join the pairs.")
@click.option("--val-fraction", type=float, default=0.3, show_default=True, help="Videos held out for validation.")
@click.option("--seed", type=int, default=0, show_default=True)
def align(db, device, lm_id, steps, batch, lr, out, hidden, k, teacher, val_fraction, seed):
    """Align the projectors (LM frozen): each clip's tokens -> the transcript line, screen text and
    confident labels the archive holds for it, split into train/validation by video.

    \b
    videokb train align
    videokb train align --steps 600 --lm Qwen/Qwen2.5-0.5B-Instruct --device cuda
    videokb train align --teacher transformers-vlm
    """
    from videokb.agent.answerers import AnswererError, create_answerer
    from videokb.agent.lm import LmError
    from videokb.agent.train_align import run_align
    from videokb.agent.training import TrainOptions
    from videokb.index.embedders import EmbedderError

    store = open_store(db)
    try:
        options = TrainOptions(steps=steps, lr=lr, batch=batch, seed=seed)
        teacher_model = None
        if teacher:
            teacher_model = create_answerer(teacher)
            if not getattr(teacher_model, "sees_images", False):
                raise click.UsageError(f"--teacher {teacher} does not see images: use transformers-vlm")
        result = run_align(store, out, lm_id=lm_id, options=options, k=k, hidden=hidden, teacher=teacher_model,
                           device=_device(device), val_fraction=val_fraction)
    except (ValueError, LmError, EmbedderError, AnswererError) as e:
        raise _fail(e) from e
    click.echo(json.dumps(result))


__all__ = ["train"]
