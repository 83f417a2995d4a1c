"""How much of a frame's content is new against a reference frame, after the camera's own motion is taken out.

Zoom, pan, shake and exposure drift change most pixels of a frame without changing what it shows. We estimate
the global motion between the reference (the last keyframe) and the frame as an affine warp with OpenCV's
ECC (enhanced correlation coefficient: invariant to gain and bias, so exposure drift does not disturb it),
warm-started from the previous frame's estimate so a slow zoom that adds up over many seconds stays tracked;
then warp the reference onto the frame, match brightness and contrast over the part both see, and measure
what still differs. A new slide, a new line of text or a new photo stays; a moving camera does not.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["Change", "ContentTracker"]

_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
_IDENTITY = np.eye(2, 3, dtype=np.float32)


@dataclass(frozen=True)
class Change:
    mean: float  # mean abs grey-level difference after alignment, 0..255, over the part both frames see
    share: float  # share of those pixels that differ by more than ``pixel_threshold`` grey levels
    coverage: float  # share of the frame the reference still covers after the warp (panning away lowers it)
    aligned: bool  # False: no global motion explains the frame (a cut or a wholly new picture)
    warp: np.ndarray  # 2x3, frame coords -> reference coords, in pixels of the analysis image


class ContentTracker:
    """Keep a reference frame and say how much of each new frame's content differs from it."""

    def __init__(self, pixel_threshold: float = 24.0, min_correlation: float = 0.6, blur_sigma: float = 1.5,
                 still_mean: float = 1.5) -> None:
        self.pixel_threshold = pixel_threshold
        # A frame this close to the reference (mean grey-level difference, no pixel past pixel_threshold)
        # is the reference: not aligned, nothing new.
        self.still_mean = still_mean
        self.blur_sigma = blur_sigma
        self._margin = max(1, math.ceil(3 * blur_sigma))
        self.min_correlation = min_correlation
        self.ref: np.ndarray | None = None
        self._warp = _IDENTITY.copy()

    @staticmethod
    def prepare(grey: np.ndarray) -> np.ndarray:
        """A float32 grey analysis image, lightly blurred so warping and encoding noise do not count."""
        return cv2.GaussianBlur(grey.astype(np.float32), (3, 3), 0)

    def reset(self, frame: np.ndarray) -> None:
        """Make ``frame`` (from :meth:`prepare`) the reference."""
        self.ref = frame
        self._warp = _IDENTITY.copy()

    def compare(self, frame: np.ndarray) -> Change:
        if self.ref is None:
            raise RuntimeError("compare() before reset()")
        # Most frames of a slide, a lecture or a held shot are the reference again, give or take encoding
        # noise: no motion to take out, so no alignment to pay for (it is most of the cost here).
        diff = np.abs(frame - self.ref)
        mean, share = float(diff.mean()), float((diff > self.pixel_threshold).mean())
        if mean <= self.still_mean and share == 0.0:
            self._warp = _IDENTITY.copy()
            return Change(mean, share, 1.0, True, self._warp)
        warp = self._align(frame)
        if warp is None:
            return Change(mean, share, 1.0, False, _IDENTITY)
        self._warp = warp
        h, w = frame.shape
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        warped = cv2.warpAffine(self.ref, warp, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        # Where the reference covers the frame, less a margin where the blur below mixes in the border (the
        # frame's own edges count as border too).
        inside = cv2.warpAffine(np.ones_like(self.ref), warp, (w, h), flags=flags, borderValue=0) > 0.999
        m = self._margin
        valid = np.zeros_like(inside)
        valid[m:-m, m:-m] = cv2.erode(inside.astype(np.uint8), np.ones((2 * m + 1, 2 * m + 1), np.uint8))[m:-m, m:-m] > 0
        coverage = float(valid.mean())
        if coverage < 0.05:
            return Change(255.0, 1.0, coverage, True, warp)
        # Resampling a textured photo leaves fine residue along every edge; new content (a line of text, an
        # object) is a blob that survives a blur. Blur both before comparing.
        a = cv2.GaussianBlur(warped, (0, 0), self.blur_sigma)[valid]
        b = cv2.GaussianBlur(frame, (0, 0), self.blur_sigma)[valid]
        # Exposure drift: match the reference's brightness and contrast to the frame's over what both see.
        gain = float(b.std() / a.std()) if a.std() > 1e-3 else 1.0
        diff = np.abs(b - (a - a.mean()) * gain - b.mean())
        return Change(float(diff.mean()), float((diff > self.pixel_threshold).mean()), coverage, True, warp)

    def _align(self, frame: np.ndarray) -> np.ndarray | None:
        # Warm start from the last estimate (a slow zoom accumulates), then from no motion at all, unless the
        # last estimate is no motion: the same fit again would fail the same way (after a reset or a still
        # frame; on a cut-heavy clip, bikes, 10 of 49 compared frames, 0.18 s of its 0.67 s of alignment).
        starts = (self._warp,) if np.array_equal(self._warp, _IDENTITY) else (self._warp, _IDENTITY)
        for init in starts:
            warp = init.copy()
            try:
                cc, warp = cv2.findTransformECC(frame, self.ref, warp, cv2.MOTION_AFFINE, _ECC_CRITERIA, None, 1)
            except cv2.error:  # did not converge: flat images, or nothing in common
                continue
            if cc >= self.min_correlation and _plausible(warp):
                return warp
        return None


def _plausible(warp: np.ndarray) -> bool:
    """A camera motion, not a fit that folds the picture: scale within 1/3..3, little shear."""
    lin = warp[:, :2].astype(np.float64)
    det = float(np.linalg.det(lin))
    return 1 / 9 < det < 9 and np.linalg.cond(lin) < 1.5
