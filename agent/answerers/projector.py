"""The projector answerer: each retrieved window's own stored visual tokens, projected into the LM's
embedding space and spliced into the prompt between the window's header and its text lines.

Per window the answerer reads the HiCo clip tokens the window overlaps and a few of its keyframes' region
vectors from the index (both chosen by the question where the image space reads text, see
:mod:`agent.visual_tokens`), passes them through the checkpoint's projector bank (the ``clip`` and ``region``
projectors), and runs the LM (with the checkpoint's LoRA adapter when it has one) on ``inputs_embeds``.
Nothing is decoded from the video at question time. Like ``gemma-270m`` it writes the answer span only and,
given the windows' lines, decoding copies (each token keeps the answer a span of one line, or "not found in
the archive"); :mod:`agent.cite` checks it against the windows as for every answerer.

It needs a checkpoint from ``videokb train align`` or ``videokb train lora`` (default: the index's own,
``<db>/projector/lora`` else ``<db>/projector/align``); a checkpoint for another encoder space or LM is refused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videokb.agent.answerers.base import Answerer, AnswererError, Evidence
from videokb.agent.cite import NOT_FOUND
from videokb.agent.evidence import mmss, quote_name
from videokb.agent.lm import BUNDLED_LM, LmError, load_lm
from videokb.agent.projectors import CARD_NAME, ProjectorMismatch, apply_lora, load_checkpoint, read_card
from videokb.agent.splice import WindowInput, build_segments, embed_segments, greedy_stream
from videokb.agent.visual_tokens import clips_table, encoder_space, regions_table_for, window_clips, window_regions
from videokb.index.backends import BackendConfig
from videokb.index.embedders import EmbedderError, resolve_device

logger = logging.getLogger(__name__)


def default_checkpoint(db: Path) -> Path | None:
    """The index's own checkpoint: LoRA-tuned if trained, else the aligned projectors; None if neither."""
    for name in ("lora", "align"):
        folder = Path(db) / "projector" / name
        if (folder / CARD_NAME).exists():
            return folder
    return None


@dataclass
class ProjectorConfig(BackendConfig):
    checkpoint: Path | None = None  # a `videokb train` output folder (default: the index's own)
    lm_id: str = field(default=BUNDLED_LM, metadata={"option": "llm_model"})  # hub id, folder or the bundled one
    device: str = "auto"
    cache_dir: Path | None = None  # where the bundled LM is converted (default: index.cache.models_cache_dir())
    max_new_tokens: int = 24
    tokens_per_window: int = 8
    with_text: bool = True  # False: the windows' text lines are left out (the visual-only probe)
    load_in_4bit: bool = False  # CUDA only (bitsandbytes)
    regions_per_window: int | None = None  # region vectors per window (default: as the checkpoint was trained)
    copy: bool = True  # decoding copies a span of the windows' lines (as gemma-270m); False: free greedy

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1 or self.tokens_per_window < 1:
            raise ValueError(f"max_new_tokens and tokens_per_window must be at least 1, not "
                             f"{self.max_new_tokens}, {self.tokens_per_window}")
        if self.regions_per_window is not None and self.regions_per_window < 0:
            raise ValueError(f"regions_per_window must be at least 0, not {self.regions_per_window}")


class ProjectorAnswerer(Answerer):
    """A causal LM (default: the bundled Gemma-3-270M) reading the windows' projected clip tokens and text."""

    name = "projector"
    config_class = ProjectorConfig
    best_window_last = True  # the same small LM as gemma-270m: it reads best what comes last
    max_windows = 3
    budget_tokens = 350

    def __init__(self, checkpoint: Path | str | None = None, lm_id: str = BUNDLED_LM, device: str = "auto",
                 cache_dir: Path | str | None = None, max_new_tokens: int = 24, tokens_per_window: int = 8,
                 with_text: bool = True, load_in_4bit: bool = False, regions_per_window: int | None = None,
                 copy: bool = True) -> None:
        ProjectorConfig(checkpoint, lm_id, device, cache_dir, max_new_tokens, tokens_per_window, with_text,
                        load_in_4bit, regions_per_window, copy)  # validates
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.lm_id, self.device, self.load_in_4bit = lm_id, device, load_in_4bit
        self.cache_dir = str(cache_dir) if cache_dir else None
        self.max_new_tokens, self.tokens_per_window, self.with_text = max_new_tokens, tokens_per_window, with_text
        self.regions_per_window, self.copy = regions_per_window, copy
        self._loaded: dict[str, Any] = {}  # checkpoint folder -> (lm, tok, bank, card)
        self._lock = threading.Lock()
        self.last_prompt_tokens = 0  # positions of the last prompt (text tokens + visual tokens), for benches

    def _models(self, store: Any) -> tuple[Any, Any, Any, Any]:
        folder = self.checkpoint or (default_checkpoint(Path(store.uri)) if store is not None else None)
        if folder is None:
            raise AnswererError(f"the projector answerer needs a trained checkpoint and the index "
                                f"{getattr(store, 'uri', '?')} has none: run `videokb train align` (or "
                                "`videokb train lora`), or pass -o checkpoint=FOLDER")
        with self._lock:
            key = str(folder)
            if key not in self._loaded:
                device = resolve_device(self.device)
                try:
                    space = encoder_space(store, clips_table(store)) if store is not None else None
                    read_card(folder).check(space, self.lm_id, None, str(folder))  # before a long LM load
                    lm, tok = load_lm(self.lm_id, device, self.load_in_4bit, self.cache_dir)
                    bank, card, lora = load_checkpoint(folder, space, self.lm_id, lm.get_input_embeddings().weight.shape[1])
                except (LmError, ProjectorMismatch, EmbedderError) as e:
                    raise AnswererError(str(e)) from e
                if card.lora:  # merged into a copy of the weights: no adapter layers to run per token
                    lm = apply_lora(lm, card.lora, lora).merge_and_unload()
                self._loaded[key] = (lm, tok, bank.to(device).eval(), card)
            return self._loaded[key]

    def window_inputs(self, evidence: Evidence, regions: int = 0) -> list[WindowInput]:
        """Each window's header, query-selected clip tokens, ``regions`` region vectors and text lines."""
        store = evidence.store
        if store is None or not evidence.windows:
            raise AnswererError("the projector answerer reads the windows' stored tokens: it needs the windows and "
                                "the index (videokb ask passes them)")
        table = clips_table(store)
        region_table = regions_table_for(store, table) if regions else None
        device = resolve_device(self.device)
        out = []
        for w in evidence.windows:
            clips = window_clips(store, table, w.video_id, w.start_s, w.end_s, evidence.question,
                                 self.tokens_per_window, device)
            regs = window_regions(store, region_table, w.video_id, w.start_s, w.end_s, evidence.question, regions,
                                  device)
            header = f"[{w.number}] {quote_name(w.video_path)} {mmss(w.start_s)}-{mmss(w.end_s)}"
            lines = [f"{ln.kind} {mmss(ln.t_s)}: {ln.text}" for ln in w.lines] if self.with_text else []
            out.append(WindowInput(header, clips, lines, regs))
        return out

    def warm_up(self) -> None:
        """Loads the LM (the checkpoint needs the index, so it loads with the first question)."""
        load_lm(self.lm_id, resolve_device(self.device), self.load_in_4bit, self.cache_dir)

    def stream(self, evidence: Evidence) -> Iterator[str]:
        import torch

        lm, tok, bank, card = self._models(evidence.store)
        regions = self.regions_per_window
        if regions is None:  # as the checkpoint was trained (0 for one trained on clip tokens only)
            regions = int(card.trained.get("regions_per_window", 0))
        with torch.no_grad():
            segments = build_segments(evidence.question, self.window_inputs(evidence, regions))
            embeds, _, n = embed_segments(lm, tok, bank, segments)
        self.last_prompt_tokens = n
        logger.debug("projector prompt: %d positions over %d windows", n, len(evidence.windows))
        # Copy decoding needs the lines the model read: not in the visual-only probe, nor without sources.
        sources = list(evidence.sources) if self.copy and self.with_text and evidence.sources else None
        started = False
        for piece in greedy_stream(lm, tok, embeds, self.max_new_tokens, stop=("\n", "|"), sources=sources,
                                  anchored=(NOT_FOUND,)):
            if not started:
                piece = piece.lstrip()
                started = bool(piece)
            if piece:
                yield piece


__all__ = ["ProjectorAnswerer", "ProjectorConfig", "default_checkpoint"]
