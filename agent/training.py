"""The one training loop behind ``videokb train align`` and ``videokb train lora``.

Examples are (prompt segments, target text) pairs; the loss is the cross-entropy of the target's tokens
given the prompt (:func:`agent.splice.target_loss`). Only the parameters handed in are trained (the
projector bank; plus the LoRA adapter for ``lora``); the LM's own weights stay frozen. Every
``checkpoint_every`` steps the folder gets a loadable checkpoint and ``train_state.pt`` (step, optimizer,
RNG), so a run that stops resumes where it was, as long as its data hash and settings are the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from videokb.agent.splice import Segment, VisualSegment, batch_loss, target_loss

logger = logging.getLogger(__name__)

STATE_NAME = "train_state.pt"


@dataclass
class Example:
    video_id: str
    segments: list[Segment]
    target: str
    source: str = ""  # "speech" | "screen" | "visual" | "teacher" | "qa"
    key: str = ""  # what identifies it in the data hash (video, times, target)


@dataclass
class TrainOptions:
    steps: int = 300
    lr: float = 1e-3
    batch: int = 4  # examples per optimizer step (one padded forward pass)
    checkpoint_every: int = 100
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1 or self.checkpoint_every < 1 or self.lr <= 0:
            raise ValueError(f"steps, batch and checkpoint_every must be >= 1 and lr > 0, not {asdict(self)}")


def data_hash(examples: list[Example]) -> str:
    """sha256 over the examples' keys and targets, in order: names the data a checkpoint was trained on."""
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.key}\t{e.target}\n".encode())
    return h.hexdigest()


def split_by_video(examples: list[Example], val_fraction: float = 0.3, seed: int = 0) -> tuple[list[Example], list[Example]]:
    """(train, validation): whole videos go to one side, so validation videos are unseen in training."""
    videos = sorted({e.video_id for e in examples})
    if len(videos) < 2:
        raise ValueError(f"a train/validation split by video needs at least 2 videos, the data has {len(videos)}")
    random.Random(seed).shuffle(videos)
    n_val = min(len(videos) - 1, max(1, round(len(videos) * val_fraction)))
    val_ids = set(videos[:n_val])
    return [e for e in examples if e.video_id not in val_ids], [e for e in examples if e.video_id in val_ids]


def mean_loss(lm: Any, tok: Any, bank: Any, examples: list[Example]) -> float:
    import torch

    if not examples:
        return float("nan")
    with torch.no_grad():
        return sum(float(target_loss(lm, tok, bank, e.segments, e.target)) for e in examples) / len(examples)


def visual_only(segments: list[Segment]) -> bool:
    return any(isinstance(s, VisualSegment) for s in segments)


def fit(lm: Any, tok: Any, bank: Any, params: list, train: list[Example], out: Path, options: TrainOptions,
        save: Callable[[dict], None], settings: dict) -> dict:
    """Train ``params`` on ``train``; ``save(info)`` writes a loadable checkpoint. Resumes from ``out``'s
    train_state.pt when its ``settings`` (data hash, widths, options) are the same. Returns the info."""
    import torch
    from tqdm import tqdm

    if not train:
        raise ValueError("no training examples")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    opt = torch.optim.AdamW(params, lr=options.lr, weight_decay=0.0)
    rng = random.Random(options.seed)
    torch.manual_seed(options.seed)
    step, losses = 0, []
    state_path = out / STATE_NAME
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        if state.get("settings") == settings:
            for p, saved in zip(params, state["params"]):
                p.data.copy_(saved)
            opt.load_state_dict(state["optimizer"])
            rng.setstate(state["rng"])
            step, losses = state["step"], state["losses"]
            logger.info("resuming %s at step %d of %d", out, step, options.steps)
        else:
            logger.warning("%s was made with other data or settings; starting over", state_path)

    def checkpoint() -> dict:
        info = {"steps": step, "train_loss_last": sum(losses[-20:]) / max(1, len(losses[-20:])),
                "n_train": len(train)}
        save(info)
        torch.save({"settings": settings, "params": [p.detach().clone() for p in params],
                    "optimizer": opt.state_dict(), "rng": rng.getstate(), "step": step, "losses": losses},
                   out / f".{STATE_NAME}.tmp")
        (out / f".{STATE_NAME}.tmp").replace(state_path)
        return info

    bar = tqdm(total=options.steps, initial=step, unit="step", disable=not options.progress, desc="train")
    bank.train()
    while step < options.steps:
        opt.zero_grad()
        picked = rng.sample(train, min(options.batch, len(train)))
        loss = batch_loss(lm, tok, bank, [(e.segments, e.target) for e in picked])
        loss.backward()
        total = float(loss.detach())
        opt.step()
        step += 1
        losses.append(total)
        bar.update(1)
        bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")
        if step % options.checkpoint_every == 0 and step < options.steps:
            checkpoint()
    bar.close()
    bank.eval()
    return checkpoint()


def settings_key(**parts: Any) -> dict:
    """Settings as plain JSON data (what resuming compares)."""
    return json.loads(json.dumps(parts, default=str))


__all__ = ["Example", "TrainOptions", "data_hash", "fit", "mean_loss", "settings_key", "split_by_video"]
