"""Region geometry shared by the image embedders: which boxes to pool, and which feature cells each covers.

Every region is pooled from the one forward pass of its frame: a multi-scale grid (2x2 and 3x3) and any
extra boxes (the OCR text boxes), each mapped onto the model's grid of patch tokens or feature cells.
"""

from __future__ import annotations

import numpy as np

from videokb.index.embedders.base import Box

GRID_LEVELS = (2, 3)


def grid_boxes(levels: tuple[int, ...] = GRID_LEVELS) -> list[tuple[str, Box]]:
    """``(kind, box)`` for each cell of each grid level, row-major, in normalised coordinates."""
    out: list[tuple[str, Box]] = []
    for n in levels:
        for r in range(n):
            for c in range(n):
                out.append((f"grid{n}", (c / n, r / n, (c + 1) / n, (r + 1) / n)))
    return out


def cell_mask(box: Box, grid_h: int, grid_w: int) -> np.ndarray:
    """Boolean (grid_h, grid_w): the cells a box overlaps by at least a quarter of a cell, never none."""
    x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in box)
    xs = np.arange(grid_w)
    ys = np.arange(grid_h)
    # Overlap of each cell [i/n, (i+1)/n] with the box along each axis, in cells.
    ox = np.clip(np.minimum(x1 * grid_w, xs + 1) - np.maximum(x0 * grid_w, xs), 0, 1)
    oy = np.clip(np.minimum(y1 * grid_h, ys + 1) - np.maximum(y0 * grid_h, ys), 0, 1)
    mask = np.outer(oy, ox) >= 0.25
    if not mask.any():  # a box smaller than a cell: the cell under its centre
        cy = min(int((y0 + y1) / 2 * grid_h), grid_h - 1)
        cx = min(int((x0 + x1) / 2 * grid_w), grid_w - 1)
        mask[cy, cx] = True
    return mask


def region_list(extra_boxes: list[Box]) -> list[tuple[str, Box]]:
    return grid_boxes() + [("ocr", b) for b in extra_boxes]
