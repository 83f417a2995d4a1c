"""HiCo: hierarchical compression of a video's visual tokens into a few tokens per clip, at ingest.

A clip is the keyframes of one shot, split at most every ``clip_max_s``. Each keyframe brings the visual
encoder's patch (feature-map) tokens from the forward pass that made its frame and region vectors.

- **Stage 1, clip level.** A token that barely changed since the same place in the previous kept frame is
  dropped (the kept one's time span grows to cover it); the rest are merged by bipartite soft matching,
  as ToMe does (Bolya et al. 2023, facebookresearch/ToMe ``tome/merge.py``: alternate tokens into sets A
  and B, match each A token to its most similar B token, merge the best-matched pairs as a size-weighted
  average), round after round, down to ``tokens_per_clip``; pairs at least ``merge_similarity`` alike merge
  even under that budget, so a flat background becomes one token. Each merged token keeps its size (the
  patches it stands for), its time span and its box (the union of its patches' cells).
- **Stage 2, video level.** A clip whose tokens nearly all have a close match in the previous clip entry
  and vice versa (a slide held for a minute, a static camera) joins that entry: one entry spans them and
  its tokens are merged again to the budget, so tokens per minute fall on static footage.

Everything here is numpy over the tokens the encoder already produced: no model runs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from videokb.index import schema as S
from videokb.index.schema import EmbedderSpec
from videokb.index.store import Store

logger = logging.getLogger(__name__)

__all__ = ["Clip", "ClipBuilder", "ClipWriter", "FrameTokens", "HicoOptions", "TokenSet", "clip_rows",
           "clip_similarity",
           "compress_clip", "drop_redundant", "merge_tokens"]


@dataclass(frozen=True)
class HicoOptions:
    enabled: bool = True
    clip_max_s: float = 10.0  # a shot longer than this is split into clips of at most this long
    tokens_per_clip: int | None = 16  # the budget M of stage 1 (HiCo's released R16); None keeps every token
    # A token at least this similar (cosine) to the last kept token at the same place is dropped; None: keep.
    drop_similarity: float | None = 0.9
    # Pairs at least this similar merge even below the budget; None: merge only down to the budget.
    merge_similarity: float | None = 0.9
    # Stage 2: a clip whose token sets match the previous entry's this well (both ways) joins it; None: off.
    clip_merge_similarity: float | None = 0.85

    def __post_init__(self) -> None:
        if self.clip_max_s <= 0:
            raise ValueError("clip_max_s must be > 0")
        if self.tokens_per_clip is not None and self.tokens_per_clip < 1:
            raise ValueError("tokens_per_clip must be >= 1 (or None to keep every token)")
        for name in ("drop_similarity", "merge_similarity", "clip_merge_similarity"):
            v = getattr(self, name)
            if v is not None and not -1.0 <= v <= 1.0:
                raise ValueError(f"{name} must be a cosine similarity in [-1, 1] or None, not {v!r}")

    def settings(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.settings(), sort_keys=True)


@dataclass
class FrameTokens:
    """One keyframe's tokens: a (grid_h, grid_w, dim) grid of unit vectors, and the span the frame covers."""

    t_s: float
    end_s: float
    tokens: np.ndarray


@dataclass
class TokenSet:
    """Tokens with what each stands for. ``sums`` holds the sum of a token's member unit vectors (its size
    times their mean), so merging two tokens adds their sums: ToMe's size-weighted average, kept exact."""

    sums: np.ndarray  # (n, dim) float32
    sizes: np.ndarray  # (n,) int64: patches (over space and time) the token stands for
    boxes: np.ndarray  # (n, 4) float32: x0, y0, x1, y1 normalised to the frame
    start_s: np.ndarray  # (n,) float64
    end_s: np.ndarray  # (n,) float64

    def __len__(self) -> int:
        return len(self.sizes)

    @property
    def vectors(self) -> np.ndarray:
        """The tokens as unit vectors (the direction of each token's mean)."""
        norms = np.linalg.norm(self.sums, axis=1, keepdims=True)
        return (self.sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def pooled(self) -> np.ndarray:
        """The mean of every patch the set stands for, as a unit vector."""
        total = self.sums.sum(0)
        return (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)

    @staticmethod
    def concat(sets: Iterable[TokenSet]) -> TokenSet:
        sets = list(sets)
        return TokenSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in
                          ("sums", "sizes", "boxes", "start_s", "end_s")))


def _cell_boxes(gh: int, gw: int) -> np.ndarray:
    r, c = np.divmod(np.arange(gh * gw), gw)
    return np.stack([c / gw, r / gh, (c + 1) / gw, (r + 1) / gh], axis=1).astype(np.float32)


def drop_redundant(frames: list[FrameTokens], threshold: float | None) -> TokenSet:
    """Every token of the first frame, then of each later frame only those that changed: a token at least
    ``threshold`` similar to the last kept token at the same place is dropped and that kept token's span and
    size grow to cover it. A frame with another grid than the last (a new aspect) keeps all its tokens."""
    sums, sizes, boxes, starts, ends = [], [], [], [], []
    owner: np.ndarray | None = None  # grid position -> index of the kept token there
    ref: np.ndarray | None = None  # grid position -> that token's vector
    n = 0
    for f in frames:
        gh, gw, dim = f.tokens.shape
        flat = f.tokens.reshape(-1, dim).astype(np.float32)
        if threshold is not None and ref is not None and ref.shape == flat.shape:
            same = np.einsum("pd,pd->p", flat, ref) >= threshold
        else:
            same = np.zeros(len(flat), bool)
            owner, ref = np.full(len(flat), -1), flat.copy()
        for p in np.flatnonzero(same):
            ends[owner[p]] = f.end_s
            sizes[owner[p]] += 1
        new = np.flatnonzero(~same)
        cells = _cell_boxes(gh, gw)
        for p in new:
            sums.append(flat[p])
            sizes.append(1)
            boxes.append(cells[p])
            starts.append(f.t_s)
            ends.append(f.end_s)
        owner[new] = np.arange(n, n + len(new))
        ref[new] = flat[new]
        n += len(new)
    dim = frames[0].tokens.shape[-1] if frames else 0
    return TokenSet(
        np.array(sums, np.float32).reshape(-1, dim), np.array(sizes, np.int64),
        np.array(boxes, np.float32).reshape(-1, 4),
        np.array(starts, np.float64), np.array(ends, np.float64),
    )


def merge_tokens(ts: TokenSet, budget: int | None, min_similarity: float | None = None) -> TokenSet:
    """Bipartite soft matching (ToMe), round after round, until at most ``budget`` tokens are left and no
    A-B pair is ``min_similarity`` alike. Each round merges at most half the tokens (all of set A)."""
    while len(ts) > 1:
        v = ts.vectors
        a, b = np.arange(0, len(ts), 2), np.arange(1, len(ts), 2)
        scores = v[a] @ v[b].T
        best, match = scores.max(1), scores.argmax(1)
        order = np.argsort(-best, kind="stable")
        need = len(ts) - budget if budget is not None else 0
        alike = int((best >= min_similarity).sum()) if min_similarity is not None else 0
        r = min(max(need, alike), len(a))
        if r <= 0:
            break
        src, keep = a[order[:r]], a[order[r:]]
        dst = b[match[order[:r]]]
        sums, sizes = ts.sums.copy(), ts.sizes.copy()
        boxes, start, end = ts.boxes.copy(), ts.start_s.copy(), ts.end_s.copy()
        # Scatter-add of the sources' sums into their destinations as one product with a 0/1 matrix:
        # np.add.at over (r, dim) rows was most of the time here.
        onehot = np.zeros((len(ts), r), np.float32)
        onehot[dst, np.arange(r)] = 1.0
        sums += onehot @ ts.sums[src]
        np.add.at(sizes, dst, ts.sizes[src])
        np.minimum.at(boxes[:, 0], dst, ts.boxes[src, 0])
        np.minimum.at(boxes[:, 1], dst, ts.boxes[src, 1])
        np.maximum.at(boxes[:, 2], dst, ts.boxes[src, 2])
        np.maximum.at(boxes[:, 3], dst, ts.boxes[src, 3])
        np.minimum.at(start, dst, ts.start_s[src])
        np.maximum.at(end, dst, ts.end_s[src])
        rest = np.sort(np.concatenate([keep, b]))  # time-then-raster order survives the round
        ts = TokenSet(sums[rest], sizes[rest], boxes[rest], start[rest], end[rest])
    return ts


@dataclass
class Clip:
    """One clip entry: its span, its compressed tokens, and what it was made from."""

    start_s: float
    end_s: float
    tokens: TokenSet
    n_keyframes: int
    n_patches: int  # patch tokens of its keyframes before compression
    n_merged: int = 1  # stage-1 clips this entry stands for (more than one after stage 2)


def compress_clip(frames: list[FrameTokens], options: HicoOptions) -> Clip:
    """Stage 1 over one clip's keyframes."""
    kept = drop_redundant(frames, options.drop_similarity)
    merged = merge_tokens(kept, options.tokens_per_clip, options.merge_similarity)
    return Clip(frames[0].t_s, frames[-1].end_s, merged, len(frames),
                sum(f.tokens.shape[0] * f.tokens.shape[1] for f in frames))


def clip_similarity(x: TokenSet, y: TokenSet) -> float:
    """How well each set's tokens are matched in the other (size-weighted mean of best cosine), the weaker
    direction: high only when neither clip shows something the other does not."""
    s = x.vectors @ y.vectors.T
    xy = float((s.max(1) * x.sizes).sum() / x.sizes.sum())
    yx = float((s.max(0) * y.sizes).sum() / y.sizes.sum())
    return min(xy, yx)


def merge_clips(a: Clip, b: Clip, options: HicoOptions) -> Clip:
    tokens = merge_tokens(TokenSet.concat([a.tokens, b.tokens]), options.tokens_per_clip, options.merge_similarity)
    return Clip(a.start_s, max(a.end_s, b.end_s), tokens, a.n_keyframes + b.n_keyframes, a.n_patches + b.n_patches,
                a.n_merged + b.n_merged)


class ClipBuilder:
    """Keyframes in, finished clip entries out, in time order; holds one open clip and one open entry, so
    memory stays flat however long the video."""

    def __init__(self, options: HicoOptions) -> None:
        self.options = options
        self._frames: list[FrameTokens] = []
        self._shot: int | None = None
        self._entry: Clip | None = None

    def add(self, t_s: float, end_s: float, shot_idx: int, tokens: np.ndarray) -> list[Clip]:
        out: list[Clip] = []
        if self._frames and (shot_idx != self._shot or t_s - self._frames[0].t_s >= self.options.clip_max_s):
            out += self._close()
        self._frames.append(FrameTokens(t_s, end_s, tokens))
        self._shot = shot_idx
        return out

    def finish(self) -> list[Clip]:
        out = self._close() if self._frames else []
        if self._entry is not None:
            out.append(self._entry)
            self._entry = None
        return out

    def _close(self) -> list[Clip]:
        clip = compress_clip(self._frames, self.options)
        self._frames = []
        prev, thr = self._entry, self.options.clip_merge_similarity
        if prev is not None and thr is not None and clip_similarity(prev.tokens, clip.tokens) >= thr:
            self._entry = merge_clips(prev, clip, self.options)
            return []
        self._entry = clip
        return [prev] if prev is not None else []


def clip_rows(clips: list[Clip], keys: dict, first_idx: int, settings: str, dim: int) -> pa.Table:
    """Rows of :func:`videokb.index.schema.clips_schema` for ``clips``, numbered from ``first_idx``, built as
    Arrow arrays straight from numpy (a Python list per vector would cost more than the compression)."""
    n = len(clips)
    toks = [c.tokens for c in clips]
    offsets = pa.array(np.concatenate([[0], np.cumsum([len(t) for t in toks])]).astype(np.int32))

    def lists(values: np.ndarray, width: int | None = None) -> pa.Array:
        flat = pa.array(values.reshape(-1))
        return pa.ListArray.from_arrays(offsets, pa.FixedSizeListArray.from_arrays(flat, width) if width else flat)

    def cat(field: str) -> np.ndarray:
        return np.concatenate([getattr(t, field) for t in toks])

    vectors = np.concatenate([t.vectors for t in toks]).astype(np.float32)
    pooled = np.stack([t.pooled() for t in toks]).astype(np.float32)
    columns = {
        "video_id": pa.array([keys["video_id"]] * n), "ingest_id": pa.array([keys["ingest_id"]] * n),
        "clip_idx": pa.array(range(first_idx, first_idx + n), pa.int32()),
        "start_s": pa.array([c.start_s for c in clips], pa.float64()),
        "end_s": pa.array([c.end_s for c in clips], pa.float64()),
        "n_keyframes": pa.array([c.n_keyframes for c in clips], pa.int32()),
        "n_merged": pa.array([c.n_merged for c in clips], pa.int32()),
        "n_patches": pa.array([c.n_patches for c in clips], pa.int32()),
        "n_tokens": pa.array([len(t) for t in toks], pa.int32()),
        "settings": pa.array([settings] * n),
        "tokens": lists(vectors, dim),
        "token_bbox_xyxy": lists(cat("boxes").astype(np.float32), 4),
        "token_start_s": lists(cat("start_s").astype(np.float64)),
        "token_end_s": lists(cat("end_s").astype(np.float64)),
        "token_sizes": lists(cat("sizes").astype(np.int32)),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(pooled.reshape(-1)), dim),
    }
    schema = S.clips_schema(dim)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


# Clip entries written per table append: each append is a Lance commit (~50 ms), and 32 entries of 16
# tokens are ~3 MB at 1280-d, so memory stays small.
WRITE_EVERY = 32


class ClipWriter:
    """The visual lane's hook: feed it each batch of keyframes with their encodings; it writes finished clip
    entries to the space's clips table as they close, and the last ones on :meth:`finish`."""

    def __init__(self, store: Store, table_name: str, space: EmbedderSpec, keys: dict, options: HicoOptions):
        self.options = options
        self.settings = options.to_json()
        self.store, self.keys, self.dim = store, keys, space.dim
        self.table = store.ensure_clips_table(table_name, S.clips_schema(space.dim),
                                              {"tokens": space, "vector": space}, self.settings)
        self.builder = ClipBuilder(options)
        self.n_clips = self.n_tokens = 0
        self.seconds = 0.0
        self._ready: list[Clip] = []

    def add(self, spans: list[tuple[float, float, int]], encodings: list) -> None:
        """``spans[i]`` = (t_s, end_s, shot_idx) of the keyframe encoded as ``encodings[i]``."""
        t = time.perf_counter()
        # The products here are small (hundreds of tokens): one BLAS thread does them ~15x faster than
        # several threads contending with the encoder and the speech lane for the same cores.
        with threadpool_limits(1, "blas"):
            for (t_s, end_s, shot), enc in zip(spans, encodings):
                if enc is None or enc.tokens is None:
                    raise ValueError("HiCo needs the visual encoder's patch tokens; this encoder gives none")
                self._ready += self.builder.add(t_s, end_s, shot, enc.tokens)
        if len(self._ready) >= WRITE_EVERY:
            self._write()
        self.seconds += time.perf_counter() - t

    def finish(self) -> dict[str, int]:
        t = time.perf_counter()
        with threadpool_limits(1, "blas"):
            self._ready += self.builder.finish()
        self._write()
        self.seconds += time.perf_counter() - t
        return {"clips": self.n_clips, "clip_tokens": self.n_tokens}

    def _write(self) -> None:
        clips, self._ready = self._ready, []
        if clips:
            self.store.add(self.table, clip_rows(clips, self.keys, self.n_clips, self.settings, self.dim))
            self.n_clips += len(clips)
            self.n_tokens += sum(len(c.tokens) for c in clips)
