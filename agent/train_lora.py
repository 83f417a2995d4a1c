"""``videokb train lora``: a LoRA adapter (peft) and the projectors trained together on drafted QA.

Each QA record becomes the prompt the projector answerer builds for its window (header, the clip tokens it
overlaps and its query-selected region vectors, its transcript / screen / label lines), its question, and its
answer as the target. The split is by video; held-out exact match is measured before training (the
starting projectors, no adapter) and after.
"""

from __future__ import annotations

import copy
import logging
import re
import string
from pathlib import Path
from typing import Any

from videokb.agent.draft_qa import QaRecord
from videokb.agent.evidence import quote_name, read_lines
from videokb.agent.splice import WindowInput, build_segments, embed_segments, greedy_stream, mmss
from videokb.agent.training import Example
from videokb.agent.visual_tokens import regions_table_for, window_clips, window_regions
from videokb.index.events import connect_events
from videokb.index.store import Store

logger = logging.getLogger(__name__)


def qa_examples(store: Store, table: str, records: list[QaRecord], k: int = 8, pad_s: float = 1.0,
                regions: int = 4, device: str = "cpu") -> list[Example]:
    con = connect_events(store)
    paths = {r["video_id"]: r["video_path"] for r in store.videos().to_pylist()}
    region_table = regions_table_for(store, table)
    out = []
    for r in records:
        if r.video_id not in paths:
            raise ValueError(f"QA record for video {r.video_id} which the index {store.uri} does not hold")
        t0, t1 = max(0.0, r.start_s - pad_s), r.end_s + pad_s
        lines, _ = read_lines(con, r.video_id, t0, t1)
        header = f"[1] {quote_name(paths[r.video_id])} {mmss(t0)}-{mmss(t1)}"
        clips = window_clips(store, table, r.video_id, t0, t1, r.question, k, device)
        regs = window_regions(store, region_table, r.video_id, t0, t1, r.question, regions, device)
        window = WindowInput(header, clips, [f"{ln.kind} {mmss(ln.t_s)}: {ln.text}" for ln in lines], regs)
        out.append(Example(r.video_id, build_segments(r.question, [window]), r.answer, "qa",
                           f"{r.video_id}:{r.start_s:.2f}-{r.end_s:.2f}:{r.question}"))
    con.close()
    return out


def normalize(text: str) -> str:
    """SQuAD-style: lowercase, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in set(string.punctuation) - {"$", "%", "."})
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # keep decimal points
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def exact_match(lm: Any, tok: Any, bank: Any, examples: list[Example], max_new_tokens: int = 16) -> tuple[float, list]:
    import torch

    right, shown = 0, []
    with torch.no_grad():
        for e in examples:
            embeds, _, _ = embed_segments(lm, tok, bank, e.segments)
            answer = "".join(greedy_stream(lm, tok, embeds, max_new_tokens, stop=("\n", "|"))).strip()
            ok = normalize(answer) == normalize(e.target)
            right += ok
            shown.append((e.target, answer, ok))
    return right / max(1, len(examples)), shown


def run_lora(store: Store, records: list[QaRecord], out: Path | None = None, *, init: Path | None = None,
             lm_id: str | None = None, table: str | None = None, options: Any = None, r: int = 8, alpha: int = 16,
             k: int = 8, hidden: int = 1024, device: str = "cpu", cache_dir: str | None = None,
             val_fraction: float = 0.3, regions: int = 4) -> dict:
    """Train LoRA + projectors on ``records`` (starting from the ``init`` checkpoint's projectors when given,
    e.g. ``<db>/projector/align``); write the checkpoint to ``out``; held-out exact match before and after."""
    import torch

    from videokb.agent.lm import BUNDLED_LM, load_lm
    from videokb.agent.projectors import ProjectorCard, add_lora, load_checkpoint, make_bank, save_checkpoint
    from videokb.agent.train_align import default_out
    from videokb.agent.training import TrainOptions, data_hash, fit, settings_key, split_by_video
    from videokb.agent.visual_tokens import clips_table, encoder_space

    options = options or TrainOptions(lr=2e-4)
    table = clips_table(store, table)
    space = encoder_space(store, table)
    out = Path(out) if out else default_out(store, "lora")
    examples = qa_examples(store, table, records, k, regions=regions, device=device)
    train, val = split_by_video(examples, val_fraction, options.seed)
    base, tok = load_lm(lm_id or BUNDLED_LM, device, False, cache_dir)
    lm_id = lm_id or BUNDLED_LM
    width = base.get_input_embeddings().weight.shape[1]
    torch.manual_seed(options.seed)
    if init is not None:
        bank, init_card, _ = load_checkpoint(init, space, lm_id, width)
        hidden = init_card.hidden
    else:
        bank = make_bank(space["dim"], width, hidden)
    bank = bank.to(device).eval()
    before, _ = exact_match(base, tok, bank, val)
    lm, lora = add_lora(copy.deepcopy(base), r, alpha)
    digest = data_hash(train)
    split = {"train_videos": sorted({e.video_id for e in train}), "val_videos": sorted({e.video_id for e in val}),
             "n_train": len(train), "n_val": len(val)}

    def save(info: dict) -> None:
        card = ProjectorCard(encoder_space=space, lm_id=lm_id, lm_hidden=width, in_dim=space["dim"], hidden=hidden,
                             lora=lora, data_sha256=digest,
                             trained={"objective": "qa", "init": str(init) if init else None, **info, **split,
                                      "regions_per_window": regions, "exact_match_before": before})
        save_checkpoint(out, bank, card, lm)

    params = [p for p in lm.parameters() if p.requires_grad] + list(bank.parameters())
    settings = settings_key(kind="lora", data=digest, lm=lm_id, hidden=hidden, r=r, alpha=alpha, init=str(init),
                            regions=regions,
                            options={k_: v for k_, v in options.__dict__.items()
                                     if k_ not in ("steps", "progress", "checkpoint_every")})
    fit(lm, tok, bank, params, train, out, options, save, settings)
    lm.eval()
    after, shown = exact_match(lm, tok, bank, val)
    return {**split, "exact_match_before": before, "exact_match_after": after, "out": str(out),
            "examples": [{"answer": a, "got": g, "ok": ok} for a, g, ok in shown[:20]]}


__all__ = ["exact_match", "normalize", "qa_examples", "run_lora"]
