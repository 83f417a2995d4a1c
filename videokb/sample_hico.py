"""Silent videos with busy and static stretches and known ground truth, for HiCo's tests and benchmark.

A busy stretch is a run of shots, each panning across one scikit-image photo (the picture changes every
frame); a static stretch holds one photo or a slide still (a static camera, a slide held for a minute).
Every photo appears in one shot only, so an image query made from a crop of it has exactly one right
moment. Frames are drawn with PIL and encoded with PyAV (H.264), so no ffmpeg binary is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT, FPS = 320, 240, 10
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "coins", "hubble_deep_field", "moon", "page", "text",
          "clock", "brick", "grass", "gravel", "camera", "horse")


@dataclass(frozen=True)
class Shot:
    kind: str  # "pan" (busy: the view moves across the photo) | "still" (a photo held) | "slide"
    subject: str  # photo name, or the slide's text
    seconds: float


@dataclass(frozen=True)
class ShotTruth:
    video: str
    start_s: float
    end_s: float
    shot: Shot


def photo(name: str) -> Image.Image:
    from skimage import data

    arr = getattr(data, name)()
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    return Image.fromarray(arr).convert("RGB")


def query_crop(name: str) -> Image.Image:
    """A query picture of a photo's subject: its central half, as a user would crop it."""
    im = photo(name)
    w, h = im.size
    return im.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4))


def hard_query_crops(name: str, n: int = 3, side: float = 0.35) -> list[Image.Image]:
    """``n`` harder query pictures of a photo: small crops (``side`` of each dimension) centred along the
    diagonal a pan shot travels, darkened, blurred and shrunk, as a user's photo of the scene might be."""
    from PIL import ImageEnhance, ImageFilter

    im = photo(name)
    w, h = im.size
    out = []
    for f in np.linspace(0.3, 0.7, n):
        cx, cy = w * f, h * f
        crop = im.crop((int(cx - w * side / 2), int(cy - h * side / 2), int(cx + w * side / 2), int(cy + h * side / 2)))
        crop = ImageEnhance.Brightness(crop).enhance(0.8).filter(ImageFilter.GaussianBlur(1.5))
        out.append(crop.resize((160, round(160 * crop.height / crop.width))))
    return out


def _slide(text: str) -> Image.Image:
    im = Image.new("RGB", (WIDTH, HEIGHT), (245, 243, 235))
    font = ImageFont.truetype(str(FONT_PATH), 22) if FONT_PATH.exists() else ImageFont.load_default()
    ImageDraw.Draw(im).multiline_text((20, 80), text, fill=(25, 30, 45), font=font, spacing=8)
    return im


def _frames(shot: Shot):
    n = max(1, round(shot.seconds * FPS))
    if shot.kind == "slide":
        still = _slide(shot.subject)
        for _ in range(n):
            yield still
        return
    im = photo(shot.subject)
    w, h = im.size
    if shot.kind == "still":
        still = im.resize((WIDTH, HEIGHT))
        for _ in range(n):
            yield still
        return
    # Pan a window of 60% of the photo from its top-left to its bottom-right corner.
    cw, ch = int(w * 0.6), int(h * 0.6)
    for i in range(n):
        f = i / max(n - 1, 1)
        x, y = int((w - cw) * f), int((h - ch) * f)
        yield im.crop((x, y, x + cw, y + ch)).resize((WIDTH, HEIGHT))


def make_video(path: Path, shots: list[Shot]) -> list[ShotTruth]:
    """Write ``shots`` one after another to ``path``; returns each shot's span."""
    truth: list[ShotTruth] = []
    t = 0.0
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for shot in shots:
            for im in _frames(shot):
                for packet in stream.encode(av.VideoFrame.from_image(im)):
                    out.mux(packet)
            truth.append(ShotTruth(path.name, t, t + shot.seconds, shot))
            t += shot.seconds
        for packet in stream.encode():
            out.mux(packet)
    return truth


def busy_static_corpus(folder: Path, pan_s: float = 5.0, static_s: float = 60.0) -> list[ShotTruth]:
    """Three videos, about 6 minutes in all: busy runs of pans over distinct photos, and static stretches
    (a slide held ``static_s``, a photo held still)."""
    p = list(PHOTOS)
    specs = {
        "busy_then_slide.mp4": [Shot("pan", n, pan_s) for n in p[0:6]]
        + [Shot("slide", "Quarterly results\nRevenue up 12%\nNext review: June", static_s)]
        + [Shot("pan", n, pan_s) for n in p[6:8]],
        "static_camera.mp4": [Shot("still", p[8], static_s * 0.75)]
        + [Shot("pan", n, pan_s) for n in p[9:13]]
        + [Shot("slide", "Safety briefing\nExits are marked in green", static_s * 0.5)],
        "mixed.mp4": [Shot("pan", p[13], pan_s), Shot("still", p[14], static_s * 0.5),
                      Shot("slide", "Thank you", static_s * 0.25)],
    }
    folder.mkdir(parents=True, exist_ok=True)
    truth: list[ShotTruth] = []
    for name, shots in specs.items():
        truth += make_video(folder / name, shots)
    return truth
