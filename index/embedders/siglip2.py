"""SigLIP2 (NaFlex) through transformers: image-text vectors for frames and regions.

Region vectors are the model's own attention-pooling head (MAP) run over only the patch tokens inside
each region, so a region lands in the same text-aligned space as the whole frame and a text query can
find "the red car in the corner". Weights load from a local path, the hub cache, or a download.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from index.embedders.base import Box, EmbedderError, ImageEmbedder, ImageEncoding, resolve_device
from index.embedders.regions import cell_mask, region_list

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


class Siglip2Embedder(ImageEmbedder):
    name = "siglip2"
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
        inputs = {k: v.to(model.device) for k, v in inputs.items()}
        inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        out: list[ImageEncoding] = []
        with torch.inference_mode():
            res = vision(**inputs)
            hidden = res.last_hidden_state  # (B, N, D), post-layernorm patch tokens
            n_tokens = hidden.shape[1]
            for i, boxes in enumerate(extra_boxes):
                gh, gw = (int(v) for v in inputs["spatial_shapes"][i])
                regions = region_list(boxes)
                masks = np.zeros((len(regions), n_tokens), bool)
                for r, (_, box) in enumerate(regions):
                    masks[r, : gh * gw] = cell_mask(box, gh, gw).reshape(-1)  # tokens are row-major
                m = torch.from_numpy(masks).to(model.device)
                tokens = hidden[i : i + 1].expand(len(regions), -1, -1)
                region_vecs = vision.head(tokens, m.long())  # MAP pooling over each region's tokens
                vecs = torch.cat([res.pooler_output[i : i + 1], region_vecs]).float()
                vecs = torch.nn.functional.normalize(vecs, dim=-1).cpu().numpy()
                out.append(
                    ImageEncoding(
                        frame_vector=vecs[0],
                        region_vectors=vecs[1:],
                        region_boxes=[b for _, b in regions],
                        region_kinds=[k for k, _ in regions],
                    )
                )
        return out

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
