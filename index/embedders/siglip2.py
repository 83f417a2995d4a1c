"""SigLIP2 (NaFlex) through transformers: image-text vectors for frames and regions.

Region vectors are the model's own attention-pooling head (MAP) run over only the patch tokens inside
each region, so a region lands in the same text-aligned space as the whole frame and a text query can
find "the red car in the corner". Weights load from a local path, the hub cache, or a download.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np

from videokb.index.embedders.base import Box, EmbedderConfig, EmbedderError, ImageEmbedder, ImageEncoding, resolve_device
from videokb.index.embedders.regions import cell_mask, region_list

logger = logging.getLogger(__name__)

DEFAULT_SIGLIP2_MODEL = "google/siglip2-base-patch16-naflex"
TEXT_MAX_LENGTH = 64


@functools.lru_cache(maxsize=2)
def _load(model_id: str, device: str, local_files_only: bool):
    import torch
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    try:
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        model = AutoModel.from_pretrained(model_id, dtype=dtype, local_files_only=local_files_only)
        processor = AutoImageProcessor.from_pretrained(model_id, local_files_only=local_files_only)
        tokenizer = AutoTokenizer.from_pretrained(model_id, local_files_only=local_files_only)
    except (OSError, ValueError) as e:
        raise EmbedderError(f"cannot load SigLIP2 {model_id!r}: {e}") from e
    if model.config.model_type != "siglip2":
        raise EmbedderError(f"{model_id!r} is a {model.config.model_type} model, not siglip2 (NaFlex)")
    return model.eval().to(device), processor, tokenizer


@dataclass
class Siglip2Config(EmbedderConfig):
    model_id: str = DEFAULT_SIGLIP2_MODEL
    local_files_only: bool = False  # only a local folder or the hub cache, never a download


class Siglip2Embedder(ImageEmbedder):
    name = "siglip2"
    config_class = Siglip2Config
    has_text_tower = True

    def __init__(self, model_id: str = DEFAULT_SIGLIP2_MODEL, device: str = "auto", local_files_only: bool = False):
        super().__init__(model_id, device)
        self.local_files_only = local_files_only

    def load(self):
        return _load(self.model_id, resolve_device(self.device), self.local_files_only)

    @property
    def dim(self) -> int:
        return int(self.load()[0].config.vision_config.hidden_size)

    def encode_batch(self, images, extra_boxes: list[list[Box]]) -> list[ImageEncoding]:
        import torch

        model, processor, _ = self.load()
        vision = model.vision_model
        inputs = processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        grids = inputs["spatial_shapes"].tolist()  # read on the host: no device sync per image later
        inputs = {k: v.to(model.device) for k, v in inputs.items()}
        inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        regions = [region_list(boxes) for boxes in extra_boxes]
        with torch.inference_mode():
            res = vision(**inputs)
            hidden = res.last_hidden_state  # (B, N, D), post-layernorm patch tokens
            n_regions = max(len(r) for r in regions)
            # One key mask per region over its image's tokens (row-major patches, padding excluded);
            # padded rows for images with fewer regions attend to token 0 and are dropped below.
            masks = np.zeros((len(images), n_regions, hidden.shape[1]), bool)
            masks[:, :, 0] = True
            for i, ((gh, gw), regs) in enumerate(zip(grids, regions)):
                for j, (_, box) in enumerate(regs):
                    masks[i, j, : gh * gw] = cell_mask(box, gh, gw).reshape(-1)
            pooled = pool_regions(vision.head, hidden, torch.from_numpy(masks).to(hidden.device))
            vecs = torch.cat([res.pooler_output[:, None], pooled], dim=1).float()
            vecs = torch.nn.functional.normalize(vecs, dim=-1).cpu().numpy()
            toks = torch.nn.functional.normalize(token_vectors(vision.head, hidden).float(), dim=-1).cpu().numpy()
        return [
            ImageEncoding(
                frame_vector=vecs[i, 0],
                region_vectors=vecs[i, 1 : 1 + len(regs)],
                region_boxes=[b for _, b in regs],
                region_kinds=[k for k, _ in regs],
                tokens=toks[i, : gh * gw].reshape(gh, gw, -1),
            )
            for i, ((gh, gw), regs) in enumerate(zip(grids, regions))
        ]

    def embed_query_texts(self, texts: list[str]) -> np.ndarray:
        import torch

        model, _, tokenizer = self.load()
        # SigLIP was trained on lowercased text padded to max_length.
        tok = tokenizer(
            [t.lower() for t in texts], padding="max_length", max_length=TEXT_MAX_LENGTH, truncation=True,
            return_tensors="pt",
        ).to(model.device)
        with torch.inference_mode():
            emb = model.get_text_features(input_ids=tok["input_ids"]).pooler_output
        return torch.nn.functional.normalize(emb.float(), dim=-1).cpu().numpy()


def token_vectors(head, hidden):
    """Each patch token through the model's own pooling head alone: the head's output when its key mask holds
    that one token (softmax over one key is 1, so the attention returns that token's value), i.e. the
    region vector of a one-patch region, in the text-aligned space. ``hidden`` (B, N, D) -> (B, N, D)."""
    import torch.nn.functional as F

    attn = head.attention
    _, _, wv = attn.in_proj_weight.chunk(3)
    _, _, bv = attn.in_proj_bias.chunk(3)
    out = attn.out_proj(F.linear(hidden, wv, bv))
    return out + head.mlp(head.layernorm(out))


def pool_regions(head, hidden, masks):
    """The model's attention-pooling head (MAP) run once per region, over only that region's tokens.

    The head is one learned probe query attending over the tokens; R regions of an image are R copies of
    that query, each with its own key mask, so keys and values are projected once per image and every
    region of the batch pools in one attention call. ``hidden`` (B, N, D), ``masks`` (B, R, N) bool
    (True = the token is in the region) -> (B, R, D), the same space as the model's pooled output.
    """
    import torch.nn.functional as F

    attn = head.attention  # torch.nn.MultiheadAttention (batch_first), packed in-projection
    b, n, d = hidden.shape
    h = attn.num_heads
    wq, wk, wv = attn.in_proj_weight.chunk(3)
    bq, bk, bv = attn.in_proj_bias.chunk(3)
    q = F.linear(head.probe, wq, bq).view(1, 1, h, d // h).transpose(1, 2)  # (1, h, 1, dh)
    k = F.linear(hidden, wk, bk).view(b, n, h, d // h).transpose(1, 2)  # (b, h, n, dh)
    v = F.linear(hidden, wv, bv).view(b, n, h, d // h).transpose(1, 2)
    r = masks.shape[1]
    out = F.scaled_dot_product_attention(q.expand(b, h, r, d // h), k, v, attn_mask=masks[:, None])
    out = attn.out_proj(out.transpose(1, 2).reshape(b, r, d))
    return out + head.mlp(head.layernorm(out))
