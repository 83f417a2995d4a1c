"""``videokb train align``: the projectors learn to put clip tokens where the frozen LM reads them.

Pairs come from what the archive already holds for each HiCo clip entry: the transcript lines said during
it, the on-screen text shown during it, and its confident visual labels (score >= ``min_label_score``);
plus, with a teacher (an answerer that sees images), the teacher's caption of the clip's keyframe. Every
pair is the prompt the projector answerer builds for one window with its text lines removed (header, the
clip's time as text, its projected tokens, then its keyframes' most typical region vectors) and the question
"What is shown at mm:ss?", and the line as the target: so what training teaches is what the answerer is
later asked, and the clip and region projectors learn together.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videokb.agent.evidence import quote_name
from videokb.agent.splice import WindowInput, build_segments, mmss
from videokb.agent.training import Example
from videokb.agent.visual_tokens import ClipTokens, RegionTokens, clip_rows, regions_table_for, window_regions
from videokb.index.events import connect_events
from videokb.index.store import Store

logger = logging.getLogger(__name__)


def probe_question(t_s: float) -> str:
    return f"What is shown at {mmss(t_s)}?"


def clip_window(video_path: str, clip: ClipTokens, lines: list[str] | None = None,
                regions: list[RegionTokens] | None = None) -> WindowInput:
    header = f"[1] {quote_name(video_path)} {mmss(clip.start_s)}-{mmss(clip.end_s)}"
    return WindowInput(header, [clip], lines or [], regions or [])


def clip_example(video_path: str, clip: ClipTokens, target: str, source: str,
                 regions: list[RegionTokens] | None = None) -> Example:
    mid = (clip.start_s + clip.end_s) / 2
    segs = build_segments(probe_question(mid), [clip_window(video_path, clip, regions=regions)])
    key = f"{clip.video_id}:{clip.start_s:.2f}-{clip.end_s:.2f}:{source}"
    return Example(clip.video_id, segs, target, source, key)


def _top_labels(text: str, min_score: float) -> list[str]:
    # "Egyptian cat (0.75); tiger cat (0.11)" -> ["Egyptian cat"]: the first name of each confident label
    out = []
    for part in text.split("; "):
        name, _, score = part.rpartition(" (")
        try:
            if float(score.rstrip(")")) >= min_score:
                out.append(name.split(",")[0].strip())
        except ValueError:
            continue
    return out


@dataclass
class _Lines:
    speech: list[str]
    screen: list[str]
    visual: list[str]


def _lines(con: Any, video_id: str, t0: float, t1: float, min_label_score: float) -> _Lines:
    # A line belongs to the clip its middle falls in: a sentence that starts late in one shot and runs into
    # the next (Whisper's segment times are loose by a few tenths) is about the next one.
    rows = con.execute("SELECT kind, text FROM events WHERE video_id = ? AND kind IN ('speech', 'ocr', 'visual') "
                       "AND (start_s + end_s) / 2 >= ? AND (start_s + end_s) / 2 < ? AND text IS NOT NULL "
                       "ORDER BY start_s", [video_id, t0, t1]).fetchall()
    out = _Lines([], [], [])
    for kind, text in rows:
        if kind == "speech" and text.strip() and text.strip() not in out.speech:
            out.speech.append(text.strip())
        elif kind == "ocr" and text.strip() and text.strip() not in out.screen:
            out.screen.append(text.strip())
        elif kind == "visual":
            out.visual += [w for w in _top_labels(text, min_label_score) if w not in out.visual]
    return out


def teacher_caption(teacher: Any, store: Store, clip: ClipTokens) -> str | None:
    """The teacher's one-sentence description of the clip's middle keyframe; None without a keyframe."""
    from PIL import Image

    from videokb.agent.answerers import Evidence

    con = connect_events(store)
    mid = (clip.start_s + clip.end_s) / 2
    ds = store.dataset("keyframes")
    live = store.live_attempts().get(clip.video_id)
    rows = [r for r in ds.to_table(columns=["video_id", "ingest_id", "t_s", "image_jpeg"],
                                   filter=f"video_id = '{clip.video_id}'").to_pylist()
            if r["ingest_id"] == live and clip.start_s <= r["t_s"] < clip.end_s and r["image_jpeg"]]
    con.close()
    if not rows:
        return None
    best = min(rows, key=lambda r: abs(r["t_s"] - mid))
    image = Image.open(io.BytesIO(best["image_jpeg"]))
    caption = teacher.answer(Evidence("Describe in a few words what is shown in keyframe [1].", "", 1, [(1, image)]))
    return caption.strip() or None


def archive_examples(store: Store, table: str, k: int = 8, min_label_score: float = 0.5,
                     teacher: Any = None, regions: int = 4, device: str = "cpu") -> list[Example]:
    """Every (clip tokens [+ ``regions`` region vectors] -> line) pair the archive holds, one per line, in a
    stable order."""
    con = connect_events(store)
    paths = {r["video_id"]: r["video_path"] for r in store.videos().to_pylist()}
    region_table = regions_table_for(store, table)
    examples: list[Example] = []
    for clip in sorted(clip_rows(store, table, k=k), key=lambda c: (c.video_id, c.start_s)):
        lines = _lines(con, clip.video_id, clip.start_s, clip.end_s, min_label_score)
        path = paths.get(clip.video_id, clip.video_id)
        # No question to choose by: the clip's most typical regions (as the answerer does without a text tower).
        regs = window_regions(store, region_table, clip.video_id, clip.start_s, clip.end_s, None, regions, device)
        for source, texts in (("speech", lines.speech), ("screen", lines.screen), ("visual", lines.visual)):
            examples.extend(clip_example(path, clip, text, source, regs) for text in texts)
        if teacher is not None:
            caption = teacher_caption(teacher, store, clip)
            if caption:
                examples.append(clip_example(path, clip, caption, "teacher", regs))
    con.close()
    logger.info("%d align pairs from %d videos", len(examples), len({e.video_id for e in examples}))
    return examples


def default_out(store: Store, kind: str) -> Path:
    """Where ``videokb train KIND`` writes by default: ``<db>/projector/<kind>`` (the answerer looks there)."""
    return Path(store.uri) / "projector" / kind


__all__ = ["archive_examples", "clip_example", "clip_window", "default_out", "probe_question", "teacher_caption"]


def run_align(store: Store, out: Path | None = None, *, lm_id: str | None = None, table: str | None = None,
              options: Any = None, k: int = 8, hidden: int = 1024, min_label_score: float = 0.5,
              teacher: Any = None, device: str = "cpu", cache_dir: str | None = None, val_fraction: float = 0.3,
              examples: list[Example] | None = None, regions: int = 4) -> dict:
    """Train the projector bank on the archive's pairs (LM frozen); write the checkpoint to ``out``.

    Returns the split, the validation loss of the untrained and the trained projectors, and the card."""
    import torch

    from videokb.agent.lm import BUNDLED_LM, load_lm
    from videokb.agent.projectors import ProjectorCard, make_bank, save_checkpoint
    from videokb.agent.training import TrainOptions, data_hash, fit, mean_loss, settings_key, split_by_video
    from videokb.agent.visual_tokens import clips_table, encoder_space

    options = options or TrainOptions()
    lm_id = lm_id or BUNDLED_LM
    table = clips_table(store, table)
    space = encoder_space(store, table)
    out = Path(out) if out else default_out(store, "align")
    examples = examples if examples is not None else archive_examples(store, table, k, min_label_score, teacher,
                                                                      regions, device)
    if not examples:
        raise ValueError(f"the index {store.uri} holds no text for its clips to align with (no transcript, "
                         "screen text or confident labels): ingest with ASR or OCR on, or give --teacher")
    train, val = split_by_video(examples, val_fraction, options.seed)
    lm, tok = load_lm(lm_id, device, False, cache_dir)
    width = lm.get_input_embeddings().weight.shape[1]
    torch.manual_seed(options.seed)
    bank = make_bank(space["dim"], width, hidden).to(device)
    untrained = mean_loss(lm, tok, bank, val)
    digest = data_hash(train)
    by_source: dict[str, int] = {}
    for e in examples:
        by_source[e.source] = by_source.get(e.source, 0) + 1
    split = {"train_videos": sorted({e.video_id for e in train}), "val_videos": sorted({e.video_id for e in val}),
             "n_train": len(train), "n_val": len(val), "pairs_by_source": by_source}

    def save(info: dict) -> None:
        card = ProjectorCard(encoder_space=space, lm_id=lm_id, lm_hidden=width, in_dim=space["dim"], hidden=hidden,
                             data_sha256=digest, trained={"objective": "align", **info, **split,
                                                          "regions_per_window": regions,
                                                          "val_loss_untrained": untrained})
        save_checkpoint(out, bank, card)

    settings = settings_key(kind="align", data=digest, lm=lm_id, hidden=hidden, regions=regions, options={k: v for k, v in options.__dict__.items() if k not in ("steps", "progress", "checkpoint_every")})
    fit(lm, tok, bank, list(bank.parameters()), train, out, options, save, settings)
    trained = mean_loss(lm, tok, bank, val)
    result = {**split, "val_loss_untrained": untrained, "val_loss": trained, "out": str(out)}
    from videokb.agent.projectors import read_card

    card = read_card(out)
    card.trained["val_loss"] = trained
    save_checkpoint(out, bank, card)
    return result


__all__ += ["run_align"]
