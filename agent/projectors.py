"""The projector bank: stored visual vectors -> the answering LM's input-embedding space.

One small MLP per token kind (Linear-GELU-Linear, as LLaVA-1.5 and the seed project use) plus a learned
embedding per kind added to its outputs, so the LM can tell a HiCo clip token from a region vector. Kinds:

- ``clip``: HiCo clip tokens (``clips_<space>`` tables), selected per window by the query;
- ``region``: region vectors (``regions_<space>``, grid and OCR boxes);
- ``frame``: whole-frame vectors (``regions_<space>`` rows of kind ``frame``).

Checkpoints are one safetensors file (projector weights, and the LoRA adapter's when trained) and a JSON card
(:class:`ProjectorCard`) naming the encoder space, the LM, the widths and the training data's hash; loading one
that does not fit the index or the LM raises :class:`ProjectorMismatch` naming both sides.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

KINDS = ("clip", "region", "frame")
CARD_FORMAT = "videokb-projector-v1"
WEIGHTS_NAME = "projector.safetensors"
CARD_NAME = "projector.json"


class ProjectorMismatch(ValueError):
    """A checkpoint made for another encoder space or LM than the one it is used with."""


@dataclass
class ProjectorCard:
    """What a checkpoint was trained for; saved beside its weights as JSON."""

    encoder_space: dict  # the image embedder's spec (name, model_id, dim) of the index's clips table
    lm_id: str
    lm_hidden: int  # the LM's input-embedding width
    in_dim: int  # the visual vectors' width
    hidden: int  # the MLP's inner width
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    lora: dict | None = None  # {"r", "alpha", "target_modules"} when the checkpoint holds a LoRA adapter
    data_sha256: str = ""  # of the training pairs / QA file
    trained: dict = field(default_factory=dict)  # steps, losses, split: for the reader
    format: str = CARD_FORMAT

    def check(self, encoder_space: dict | None, lm_id: str | None, lm_hidden: int | None, where: str) -> None:
        """Raise ProjectorMismatch when the index's encoder space or the LM differ from this card's."""
        if encoder_space is not None and (encoder_space.get("name"), encoder_space.get("dim")) != \
                (self.encoder_space.get("name"), self.encoder_space.get("dim")):
            raise ProjectorMismatch(
                f"the projector checkpoint {where} was trained on encoder space {self.encoder_space} but the index's "
                f"clip tokens are in {encoder_space}: train one for this index (videokb train align)")
        if lm_id is not None and lm_id != self.lm_id:
            raise ProjectorMismatch(f"the projector checkpoint {where} was trained for the LM {self.lm_id!r}, "
                                    f"not {lm_id!r}: pass -o lm_id={self.lm_id} or train one for {lm_id!r}")
        if lm_hidden is not None and lm_hidden != self.lm_hidden:
            raise ProjectorMismatch(f"the projector checkpoint {where} projects into width {self.lm_hidden}, but "
                                    f"the LM {lm_id!r} takes {lm_hidden}")


def make_bank(in_dim: int, lm_hidden: int, hidden: int = 1024, kinds: tuple[str, ...] | list[str] = KINDS) -> Any:
    """A fresh :class:`ProjectorBank` (torch is imported here, not at module import)."""
    return _bank_class()(in_dim, lm_hidden, hidden, tuple(kinds))


def _bank_class() -> type:
    import torch
    from torch import nn

    class ProjectorBank(nn.Module):
        """Per kind: Linear(in, hidden) - GELU - Linear(hidden, lm_hidden), plus the kind's embedding."""

        def __init__(self, in_dim: int, lm_hidden: int, hidden: int, kinds: tuple[str, ...]) -> None:
            super().__init__()
            self.in_dim, self.lm_hidden, self.hidden, self.kinds = in_dim, lm_hidden, hidden, kinds
            self.mlps = nn.ModuleDict({k: nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, lm_hidden))
                                       for k in kinds})
            self.kind_embedding = nn.Embedding(len(kinds), lm_hidden)
            nn.init.normal_(self.kind_embedding.weight, std=0.02)

        def forward(self, kind: str, vectors: torch.Tensor) -> torch.Tensor:
            if kind not in self.mlps:
                raise ValueError(f"no projector for token kind {kind!r}; kinds: {', '.join(self.kinds)}")
            if vectors.shape[-1] != self.in_dim:
                raise ValueError(f"{kind} vectors are {vectors.shape[-1]} wide; the projector takes {self.in_dim}")
            idx = torch.tensor(self.kinds.index(kind), device=vectors.device)
            return self.mlps[kind](vectors) + self.kind_embedding(idx)

    return ProjectorBank


def save_checkpoint(folder: Path, bank: Any, card: ProjectorCard, lm: Any = None) -> Path:
    """Write ``folder``/projector.safetensors (the bank, and ``lm``'s LoRA weights when it has them) and the card."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"projector.{k}": v.detach().cpu().contiguous() for k, v in bank.state_dict().items()}
    if lm is not None and card.lora is not None:
        from peft import get_peft_model_state_dict

        tensors.update({f"lora.{k}": v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(lm).items()})
    tmp = folder / f".{WEIGHTS_NAME}.tmp"
    save_file(tensors, str(tmp), metadata={"format": CARD_FORMAT})
    tmp.replace(folder / WEIGHTS_NAME)
    (folder / CARD_NAME).write_text(json.dumps(asdict(card), indent=2))
    return folder


def read_card(folder: Path) -> ProjectorCard:
    path = Path(folder) / CARD_NAME
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProjectorMismatch(f"{path} does not exist: no projector checkpoint in {folder}") from None
    except json.JSONDecodeError as e:
        raise ProjectorMismatch(f"{path} is not valid JSON: {e}") from e
    if raw.get("format") != CARD_FORMAT:
        raise ProjectorMismatch(f"{path} is not a videokb projector card (format {raw.get('format')!r}, "
                                f"expected {CARD_FORMAT!r})")
    return ProjectorCard(**raw)


def load_checkpoint(folder: Path, encoder_space: dict | None = None, lm_id: str | None = None,
                    lm_hidden: int | None = None) -> tuple[Any, ProjectorCard, dict[str, Any]]:
    """(bank, card, LoRA state dict) from ``folder``, after checking the card against the index and the LM."""
    from safetensors.torch import load_file

    folder = Path(folder)
    card = read_card(folder)
    card.check(encoder_space, lm_id, lm_hidden, str(folder))
    tensors = load_file(str(folder / WEIGHTS_NAME))
    bank = make_bank(card.in_dim, card.lm_hidden, card.hidden, card.kinds)
    bank.load_state_dict({k[len("projector."):]: v for k, v in tensors.items() if k.startswith("projector.")})
    lora = {k[len("lora."):]: v for k, v in tensors.items() if k.startswith("lora.")}
    return bank, card, lora


def add_lora(lm: Any, r: int = 8, alpha: int = 16, target_modules: list[str] | None = None) -> tuple[Any, dict]:
    """``lm`` wrapped with a LoRA adapter (peft) on its attention projections; (model, the card's lora entry)."""
    from peft import LoraConfig, get_peft_model

    targets = target_modules or ["q_proj", "k_proj", "v_proj", "o_proj"]
    model = get_peft_model(lm, LoraConfig(r=r, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0))
    return model, {"r": r, "alpha": alpha, "target_modules": targets}


def apply_lora(lm: Any, lora_card: dict, state: dict[str, Any]) -> Any:
    """``lm`` with the checkpoint's LoRA adapter loaded (a fresh peft wrapper; ``lm`` itself is not changed)."""
    import copy

    from peft import set_peft_model_state_dict

    model, _ = add_lora(copy.deepcopy(lm), lora_card["r"], lora_card["alpha"], lora_card["target_modules"])
    result = set_peft_model_state_dict(model, state)
    if getattr(result, "unexpected_keys", None):
        raise ProjectorMismatch(f"the LoRA weights do not fit this LM: unexpected {result.unexpected_keys[:3]}")
    return model.eval()


__all__ = ["CARD_NAME", "KINDS", "WEIGHTS_NAME", "ProjectorCard", "ProjectorMismatch", "add_lora", "apply_lora",
           "load_checkpoint", "make_bank", "read_card", "save_checkpoint"]
