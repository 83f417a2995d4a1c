"""The SigLIP2 backend on CUDA: loads in bf16, encodes frames and regions, and agrees with fp32 on the CPU.

No real SigLIP2 weights are available offline, so a tiny random ``Siglip2Model`` is built from a config,
saved with a NaFlex image processor and MiniLM's tokenizer (the ``tiny_siglip2`` fixture of conftest.py), and
loaded back through ``Siglip2Embedder``'s real code path.
Skipped without CUDA.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.gpu

# Measured on an H100 (torch 2.11, transformers 5.17) with this tiny model: bf16-CUDA vs fp32-CPU cosines
# had minima 0.99997 (frames), 0.99994 (41 region vectors) and 0.99996 (text), i.e. 1 - cos <= 6e-5.
# bf16 keeps 8 mantissa bits, so rounding weights and activations costs ~1e-5..1e-4 of cosine in a 2-layer
# model; 0.999 (1 - cos <= 1e-3) leaves ~16x margin for other GPUs, kernels and library versions, yet fails
# on a real fault (a missed cast, a region mask on the wrong tokens, another image's vectors), which gives
# cosines far lower.
MIN_COSINE = 0.999


def _images():
    from PIL import Image
    from skimage import data

    return [Image.fromarray(f()) for f in (data.astronaut, data.chelsea, data.rocket)]


@pytest.fixture(autouse=True)
def _needs_cuda() -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


EXTRA_BOX = (0.1, 0.6, 0.5, 0.75)


def _encode(model_dir, device: str):
    from videokb.index.embedders.siglip2 import Siglip2Embedder

    emb = Siglip2Embedder(model_dir, device=device, local_files_only=True)
    return emb, emb.encode_batch(_images(), [[EXTRA_BOX], [], [EXTRA_BOX]])


def test_cuda_loads_bf16_and_encodes(tiny_siglip2):
    from videokb.index.embedders.regions import region_list

    emb, encs = _encode(tiny_siglip2, "cuda")
    model = emb.load()[0]
    assert model.dtype == torch.bfloat16
    assert model.device.type == "cuda"
    assert emb.dim == 32
    assert len(encs) == 3
    for enc, boxes in zip(encs, [[EXTRA_BOX], [], [EXTRA_BOX]]):
        n_regions = len(region_list(boxes))
        assert enc.frame_vector.shape == (32,)
        assert enc.frame_vector.dtype == np.float32
        assert enc.region_vectors.shape == (n_regions, 32)
        assert len(enc.region_boxes) == len(enc.region_kinds) == n_regions
        assert enc.region_kinds[-1] == ("ocr" if boxes else "grid3")
        vecs = np.vstack([enc.frame_vector[None], enc.region_vectors])
        assert np.isfinite(vecs).all()
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=-1), 1.0, atol=1e-3)
        # Regions pool different tokens, so they are not all the same vector.
        assert _cos(enc.region_vectors[0], enc.region_vectors[3]) < 0.99999


def test_cuda_bf16_matches_cpu_fp32(tiny_siglip2):
    _, gpu = _encode(tiny_siglip2, "cuda")
    cpu_emb, cpu = _encode(tiny_siglip2, "cpu")
    assert cpu_emb.load()[0].dtype == torch.float32
    frame_cos = _cos(np.stack([e.frame_vector for e in gpu]), np.stack([e.frame_vector for e in cpu]))
    region_cos = np.concatenate([_cos(g.region_vectors, c.region_vectors) for g, c in zip(gpu, cpu)])
    print(f"\nbf16-cuda vs fp32-cpu: frame cosine min {frame_cos.min():.5f}, "
          f"region cosine min {region_cos.min():.5f} mean {region_cos.mean():.5f} over {region_cos.size}")
    assert frame_cos.min() > MIN_COSINE
    assert region_cos.min() > MIN_COSINE
    # And not trivially: each vector is nearest its own CPU counterpart, not another image's or region's
    # (distinct regions of one image reach cosine ~0.994 here when they overlap, below MIN_COSINE).
    assert (np.argmax(_cos(np.stack([e.frame_vector for e in gpu])[:, None], np.stack(
        [e.frame_vector for e in cpu])[None]), axis=1) == np.arange(3)).all()
    for g, c in zip(gpu, cpu):
        nearest = np.argmax(_cos(g.region_vectors[:, None], c.region_vectors[None]), axis=1)
        assert (nearest == np.arange(len(c.region_vectors))).all()


def test_cuda_pool_regions_matches_the_models_head(tiny_siglip2):
    """``pool_regions`` (every region of a batch in one attention call) gives what the model's own pooling head
    gives run per image with each region's mask, on the GPU's attention kernels and in bf16."""
    from videokb.index.embedders.siglip2 import Siglip2Embedder, pool_regions

    head = Siglip2Embedder(tiny_siglip2, device="cuda", local_files_only=True).load()[0].vision_model.head
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(3, 64, 32, generator=gen).to("cuda", head.probe.dtype)
    masks = torch.rand(3, 5, 64, generator=gen) < 0.3
    masks[:, :, 0] = True  # as encode_batch: every row has a token
    with torch.inference_mode():
        got = pool_regions(head, hidden, masks.cuda()).float().cpu().numpy()
        want = torch.stack([head(hidden[i : i + 1].expand(5, -1, -1), masks[i].long().cuda()) for i in range(3)])
    want = want.float().cpu().numpy()
    assert got.shape == want.shape == (3, 5, 32)
    cos = _cos(got, want)
    print(f"\npool_regions vs the head per image (bf16): cosine min {cos.min():.6f}")
    assert cos.min() > MIN_COSINE
    # Each region is nearest its own reference, not another region's or image's.
    flat_got, flat_want = got.reshape(15, 32), want.reshape(15, 32)
    assert (np.argmax(_cos(flat_got[:, None], flat_want[None]), axis=1) == np.arange(15)).all()


def test_cuda_text_matches_cpu(tiny_siglip2):
    from videokb.index.embedders.siglip2 import Siglip2Embedder

    texts = ["a red car in the corner", "An astronaut", "the cat sleeps on a mat", "rocket launch at night"]
    gpu = Siglip2Embedder(tiny_siglip2, device="cuda", local_files_only=True).embed_query_texts(texts)
    cpu = Siglip2Embedder(tiny_siglip2, device="cpu", local_files_only=True).embed_query_texts(texts)
    assert gpu.shape == cpu.shape == (4, 32)
    assert np.isfinite(gpu).all()
    np.testing.assert_allclose(np.linalg.norm(gpu, axis=-1), 1.0, atol=1e-3)
    cos = _cos(gpu, cpu)
    print(f"\ntext bf16-cuda vs fp32-cpu: cosine min {cos.min():.5f}")
    assert cos.min() > MIN_COSINE
