"""A vision-language model through transformers (default Qwen2.5-VL-3B-Instruct) that reads the evidence
windows and also looks at their keyframes.

Weights load on first use from a local path, the hub cache or a download, once per process. On CUDA they
run in bf16 (or 4-bit with bitsandbytes); on the CPU in fp32, which works but is slow for a 3B model.
Qwen2.5-VL's processor in transformers 5 needs torchvision (its video processor); the load error says so.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from videokb.agent.answerers.base import Answerer, AnswererError, Evidence
from videokb.agent.answerers.prompts import CHAT_SYSTEM, chat_user_message
from videokb.index.backends import BackendConfig
from videokb.index.embedders import resolve_device

logger = logging.getLogger(__name__)

DEFAULT_VLM_MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"


@functools.lru_cache(maxsize=1)  # one VLM at a time: a second would double GPU memory
def _load(model_id: str, device: str, load_in_4bit: bool) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    options: dict[str, Any] = {"dtype": torch.bfloat16 if device.startswith("cuda") else torch.float32}
    if load_in_4bit:
        from transformers import BitsAndBytesConfig

        options["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)
        options["device_map"] = {"": device}  # quantized weights are placed while loading; .to() refuses them
    logger.info("loading %s on %s%s", model_id, device, " (4-bit)" if load_in_4bit else "")
    try:
        processor = AutoProcessor.from_pretrained(model_id)
        model = AutoModelForImageTextToText.from_pretrained(model_id, **options)
        if not load_in_4bit:
            model = model.to(device)
    except (OSError, ValueError, ImportError, RuntimeError) as e:  # RuntimeError: CUDA out of memory
        raise AnswererError(f"cannot load VLM {model_id!r}: {e}") from e
    if getattr(processor, "image_processor", None) is None:  # AutoProcessor fell back to a bare tokenizer
        raise AnswererError(f"cannot load VLM {model_id!r}: its processor ({type(processor).__name__}) takes no images")
    return model.eval(), processor


def _fit(image: Any, max_side: int) -> Any:
    """An RGB copy no longer than max_side on either side: the visual token count grows with the area."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side))  # keeps the aspect ratio
    return image


def _stop_on(event: threading.Event) -> Any:
    """A stopping criterion that ends generation once the reader has gone (the stream was closed early)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_Stop()])


@dataclass
class TransformersVlmConfig(BackendConfig):
    model_id: str = field(default=DEFAULT_VLM_MODEL, metadata={"option": "llm_model"})  # hub id or folder
    device: str = "auto"
    max_new_tokens: int = 128
    load_in_4bit: bool = False  # CUDA only (bitsandbytes)
    max_image_side: int = 448

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, not {self.max_new_tokens}")
        if self.max_image_side < 28:  # one 2x2 block of 14-pixel patches
            raise ValueError(f"max_image_side must be at least 28 pixels, not {self.max_image_side}")


class TransformersVlmAnswerer(Answerer):
    name = "transformers-vlm"
    config_class = TransformersVlmConfig
    sees_images = True

    def __init__(
        self,
        model_id: str = DEFAULT_VLM_MODEL,
        device: str = "auto",
        max_new_tokens: int = 128,
        load_in_4bit: bool = False,
        max_image_side: int = 448,
    ) -> None:
        TransformersVlmConfig(model_id, device, max_new_tokens, load_in_4bit, max_image_side)  # validates
        self.model_id = model_id
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.load_in_4bit = load_in_4bit
        self.max_image_side = max_image_side

    def _loaded(self) -> tuple[Any, Any]:
        device = resolve_device(self.device)
        if self.load_in_4bit and not device.startswith("cuda"):
            raise AnswererError(f"load_in_4bit needs CUDA (bitsandbytes), not {device!r}: drop it or use a GPU")
        return _load(self.model_id, device, self.load_in_4bit)

    def warm_up(self) -> None:
        self._loaded()

    def messages(self, evidence: Evidence) -> list[dict]:
        """The chat: the system prompt, then one user turn with each labelled keyframe and the windows."""
        content: list[dict] = []
        for n, image in evidence.images:
            content.append({"type": "text", "text": f"Keyframe from window [{n}]:"})
            content.append({"type": "image", "image": _fit(image, self.max_image_side)})
            content.append({"type": "text", "text": "\n"})
        content.append({"type": "text", "text": chat_user_message(evidence)})
        return [
            {"role": "system", "content": [{"type": "text", "text": CHAT_SYSTEM}]},
            {"role": "user", "content": content},
        ]

    def stream(self, evidence: Evidence) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        model, processor = self._loaded()
        options: dict[str, Any] = {}
        # Transcripts and screen text may contain "<|im_end|>" or "<|image_pad|>": encode them as plain text
        # so they can neither end the user turn nor break the image-token count (5.23 can; 5.17 cannot).
        if "sanitize_control_tokens" in inspect.signature(processor.apply_chat_template).parameters:
            options["sanitize_control_tokens"] = True
        inputs = processor.apply_chat_template(
            self.messages(evidence), add_generation_prompt=True, tokenize=True, return_dict=True,
            return_tensors="pt", **options,
        ).to(model.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        logger.debug("prompt: %d tokens, %d images", inputs["input_ids"].shape[1], len(evidence.images))

        streamer = TextIteratorStreamer(processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
        closed = threading.Event()
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                model.generate(
                    **inputs, streamer=streamer, max_new_tokens=self.max_new_tokens, do_sample=False,
                    stopping_criteria=_stop_on(closed),
                )
            except BaseException as e:  # handed to the reader below, never dropped
                failure.append(e)
                streamer.end()  # generate() did not reach its own end(): unblock the reader

        thread = threading.Thread(target=generate, name="vlm-generate", daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            closed.set()
            thread.join()
        if failure:
            raise AnswererError(f"{self.model_id} failed while generating: {failure[0]!r}") from failure[0]
