"""HiCo stage 1 and 2 on real tokens: EfficientNet-Lite0's 7x7 feature map and a tiny random SigLIP2's
patch tokens through its own pooling head."""

import av
import numpy as np
import pytest
from PIL import Image

from videokb.index.embedders import get_embedder
from videokb.index.embedders.siglip2 import Siglip2Embedder, pool_regions, token_vectors
from videokb.ingest.hico import ClipBuilder, FrameTokens, HicoOptions, TokenSet, compress_clip, merge_tokens
from videokb.sample_hico import Shot, make_video, photo


def pan(name: str, n: int, size=(320, 240)) -> list[Image.Image]:
    """``n`` views panning across a photo (what a busy shot shows)."""
    im = photo(name)
    w, h = im.size
    cw, ch = int(w * 0.6), int(h * 0.6)
    return [im.crop((x, y, x + cw, y + ch)).resize(size)
            for x, y in zip(np.linspace(0, w - cw, n).astype(int), np.linspace(0, h - ch, n).astype(int))]


def tokens_of(emb, images) -> list[np.ndarray]:
    return [enc.tokens for enc in emb.encode_batch(images, [[] for _ in images])]


def frames(grids: list[np.ndarray], t0: float = 0.0, step: float = 1.0) -> list[FrameTokens]:
    return [FrameTokens(t0 + i * step, t0 + (i + 1) * step, g) for i, g in enumerate(grids)]


def check_tokens(ts: TokenSet, n_patches: int, start_s: float, end_s: float, grid: tuple[int, int]) -> None:
    """Every patch is accounted for once; boxes are unions of grid cells inside the frame; spans inside the clip."""
    assert ts.sizes.sum() == n_patches and (ts.sizes >= 1).all()
    x0, y0, x1, y1 = ts.boxes.T
    assert ((0 <= x0) & (x0 < x1) & (x1 <= 1) & (0 <= y0) & (y0 < y1) & (y1 <= 1)).all()
    gh, gw = grid
    assert np.allclose(ts.boxes[:, [0, 2]] * gw, np.round(ts.boxes[:, [0, 2]] * gw), atol=1e-4)
    assert np.allclose(ts.boxes[:, [1, 3]] * gh, np.round(ts.boxes[:, [1, 3]] * gh), atol=1e-4)
    # A token standing for k patches covers at least ceil(k / frames) cells of area.
    assert ((ts.start_s >= start_s) & (ts.start_s < ts.end_s) & (ts.end_s <= end_s)).all()
    assert np.allclose(np.linalg.norm(ts.vectors, axis=1), 1, atol=1e-5)


def decoded(tmp_path, shot: Shot, every_s: float = 1.0) -> list[Image.Image]:
    """Frames every ``every_s`` of a generated H.264 video of ``shot``, as ingest decodes them."""
    path = tmp_path / f"{shot.subject}.mp4"
    make_video(path, [shot])
    out, next_t = [], 0.0
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if frame.time + 1e-6 >= next_t:
                out.append(frame.to_image())
                next_t += every_s
    return out


def test_efficientnet_static_clip_keeps_one_frame_of_tokens_and_busy_footage_keeps_many(tmp_path):
    emb = get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu")
    static = tokens_of(emb, decoded(tmp_path, Shot("still", "rocket", 5)))
    busy = tokens_of(emb, decoded(tmp_path, Shot("pan", "chelsea", 5)))
    assert len(static) == len(busy) == 5
    opts = HicoOptions()
    s, b = compress_clip(frames(static), opts), compress_clip(frames(busy), opts)
    check_tokens(s.tokens, 5 * 49, 0, 5, (7, 7))
    check_tokens(b.tokens, 5 * 49, 0, 5, (7, 7))
    assert len(b.tokens) == opts.tokens_per_clip
    assert len(s.tokens) <= opts.tokens_per_clip
    # Stage 1's first half: the static clip's later frames add nothing; the pan's add most of their tokens.
    from videokb.ingest.hico import drop_redundant

    assert len(drop_redundant(frames(static), opts.drop_similarity)) == 49
    assert len(drop_redundant(frames(busy), opts.drop_similarity)) > 3 * 49
    # Static tokens span the whole clip (each stands for its place in every frame).
    assert s.tokens.start_s.min() == 0 and (s.tokens.end_s == 5).all()

    # A minute of each, through the clip builder (10 s clips, stage 2 on): tokens per minute.
    def per_minute(grids_per_clip: list[list[np.ndarray]]) -> int:
        builder, out = ClipBuilder(opts), []
        for c, grids in enumerate(grids_per_clip):
            for i, g in enumerate(grids):
                t = c * 10 + i * 10 / len(grids)
                out += builder.add(t, t + 10 / len(grids), 0, g)
        out += builder.finish()
        for clip in out:
            check_tokens(clip.tokens, clip.n_patches, clip.start_s, clip.end_s, (7, 7))
        assert out[0].start_s == 0 and out[-1].end_s == pytest.approx(60)
        return sum(len(c.tokens) for c in out)

    busy_min = tokens_of(emb, [im for name in ("chelsea", "coffee", "astronaut", "coins", "brick", "clock")
                               for im in pan(name, 3)])
    n_static = per_minute([static[i:i + 1] for i in range(5)] + [static[:1]])  # a keyframe per 10 s, as ingest takes
    n_busy = per_minute([busy_min[i * 3:(i + 1) * 3] for i in range(6)])
    assert n_static <= opts.tokens_per_clip  # six clips became one entry
    assert n_busy >= 5 * opts.tokens_per_clip
    assert n_static * 5 <= n_busy


def test_merge_follows_bipartite_soft_matching_by_hand():
    # Tokens 0 and 1 are the same thing in two cells of a 1x4 grid, 2 and 3 another: two merges.
    e = np.eye(4, dtype=np.float32)
    vecs = np.stack([e[0], e[0], e[1], (e[1] + 0.1 * e[2]) / np.linalg.norm(e[1] + 0.1 * e[2])])
    boxes = np.array([[i / 4, 0, (i + 1) / 4, 1] for i in range(4)], np.float32)
    ts = TokenSet(vecs.copy(), np.ones(4, np.int64), boxes, np.array([0., 1, 2, 3]), np.array([1., 2, 3, 4]))
    out = merge_tokens(ts, budget=2)
    assert len(out) == 2 and out.sizes.tolist() == [2, 2]
    assert out.boxes.tolist() == [[0, 0, 0.5, 1], [0.5, 0, 1, 1]]
    assert out.start_s.tolist() == [0, 2] and out.end_s.tolist() == [2, 4]
    assert np.allclose(out.vectors[0], e[0])
    # Under the budget nothing merges unless a pair is alike enough.
    assert len(merge_tokens(ts, budget=4)) == 4
    assert len(merge_tokens(ts, budget=4, min_similarity=0.999)) == 3  # cos(2, 3) = 0.995
    assert len(merge_tokens(ts, budget=4, min_similarity=0.99)) == 2


def test_siglip2_tokens_are_the_heads_one_patch_regions(tiny_siglip2):
    import torch

    emb = Siglip2Embedder(str(tiny_siglip2), device="cpu")
    model, processor, _ = emb.load()
    inputs = processor(images=[photo("astronaut")], return_tensors="pt")
    with torch.inference_mode():
        hidden = model.vision_model(**inputs).last_hidden_state
        n = hidden.shape[1]
        one_patch = torch.eye(n, dtype=torch.bool)[None]  # region j = patch j alone
        assert torch.allclose(token_vectors(model.vision_model.head, hidden),
                              pool_regions(model.vision_model.head, hidden, one_patch), atol=1e-5)
    (enc,) = emb.encode_batch([photo("astronaut")], [[]])
    gh, gw = inputs["spatial_shapes"][0].tolist()
    assert enc.tokens.shape == (gh, gw, emb.dim)


def test_siglip2_static_clip_compresses_below_a_busy_one(tiny_siglip2):
    emb = Siglip2Embedder(str(tiny_siglip2), device="cpu")
    still = photo("coffee").resize((320, 240))
    static = tokens_of(emb, [still] * 4)
    busy = tokens_of(emb, [photo(n).resize((320, 240)) for n in ("chelsea", "astronaut", "brick", "moon")])
    gh, gw, _ = static[0].shape
    # A random model's tokens are all alike; only exact repeats are redundant, and merging stops at the budget.
    opts = HicoOptions(tokens_per_clip=16, drop_similarity=0.999, merge_similarity=None)
    s, b = compress_clip(frames(static), opts), compress_clip(frames(busy), opts)
    from videokb.ingest.hico import drop_redundant

    assert len(drop_redundant(frames(static), opts.drop_similarity)) == gh * gw
    assert len(drop_redundant(frames(busy), opts.drop_similarity)) > 3 * gh * gw
    for c in (s, b):
        check_tokens(c.tokens, 4 * gh * gw, 0, 4, (gh, gw))
        assert len(c.tokens) == 16

