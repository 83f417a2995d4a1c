"""Sample videos whose camera moves: slides and photos under a slow zoom or pan, a shaking hand-held camera,
drifting exposure, with known content changes (the scenes) and narration.

Real libraries are not static slides: documentaries pan and zoom over stills, lectures are filmed by a camera
that drifts, phones shake. Every frame here is the scene's still seen through a moving virtual camera, so
the true content changes are exactly the scene boundaries; keyframe selection is scored against them.
"""

from __future__ import annotations

import logging
import math
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videokb.sample import LEAD_SILENCE_S, SampleError, SampleVideo, Scene, SceneSpec, _speak, _tool, render_photo, \
    render_slide

logger = logging.getLogger(__name__)

MOTIONS = ("zoom", "pan", "shake", "drift")
MARGIN = 1.25  # stills are rendered this much larger than the frame, so the camera never sees an edge


@dataclass(frozen=True)
class Camera:
    zoom: float = 0.0  # zoom in (or out, on odd scenes) by this fraction over a scene
    pan: float = 0.0  # pan by this fraction of the frame's width over a scene
    shake_px: float = 0.0  # hand-held jitter, pixels (smooth, random)
    exposure: float = 0.0  # brightness gain drifts by +- this over a scene

    @classmethod
    def named(cls, motion: str) -> Camera:
        cams = {"zoom": cls(zoom=0.15), "pan": cls(pan=0.12, zoom=0.05), "shake": cls(shake_px=4.0),
                "drift": cls(zoom=0.08, pan=0.06, shake_px=2.0, exposure=0.15)}
        if motion not in cams:
            raise ValueError(f"motion must be one of {', '.join(MOTIONS)}, not {motion!r}")
        return cams[motion]


def make_moving_video(path: Path, specs: list[SceneSpec], *, motion: str = "zoom", scene_s: float | None = None,
                      size: tuple[int, int] = (1280, 720), fps: int = 25, narrate: bool = True, seed: int = 0,
                      fill_s: float | None = None) -> SampleVideo:
    """Write ``specs`` as one video seen through a moving camera; returns the scenes as ground truth.

    A scene lasts ``scene_s`` seconds, or its narration plus a second (at least 4 s) when ``scene_s`` is None.
    With ``fill_s``, ``specs`` is cycled through until the video is that long.
    """
    cam = Camera.named(motion)
    w, h = size[0] - size[0] % 2, size[1] - size[1] % 2
    rng = np.random.default_rng(seed)
    ffmpeg = _tool("ffmpeg")
    with tempfile.TemporaryDirectory(prefix="videokb-motion-") as tmp:
        work = Path(tmp)
        speech = {}
        if narrate:
            for spec in specs:
                if spec.narration not in speech:
                    speech[spec.narration] = _speak(spec.narration, work, len(speech))
        rate = next(iter(speech.values()))[1] if speech else 16000

        def frames_of(spec: SceneSpec) -> int:
            if scene_s is not None:
                return round(scene_s * fps)
            speech_s = len(speech[spec.narration][0]) / rate if narrate else 0.0
            return max(math.ceil((speech_s + 1.0) * fps), 4 * fps)

        order = list(specs)
        if fill_s is not None:
            order, total = [], 0
            while total + frames_of(specs[len(order) % len(specs)]) <= round(fill_s * fps) or not order:
                order.append(specs[len(order) % len(specs)])
                total += frames_of(order[-1])
        counts = [frames_of(s) for s in order]
        total_frames = sum(counts)
        audio = np.zeros(math.ceil(total_frames / fps * rate) + 1, dtype="<i2")
        scenes, start = [], 0
        for spec, n in zip(order, counts):
            first = round(start / fps * rate) + round(LEAD_SILENCE_S * rate)
            voice = speech[spec.narration][0] if narrate else np.zeros(0, dtype="<i2")
            voice = voice[: max(0, len(audio) - first)]
            audio[first: first + len(voice)] = voice
            scenes.append(Scene(round(start / fps, 3), round((start + n) / fps, 3), spec.narration, spec.slide_text,
                                spec.photo, round(first / rate, 3), round((first + len(voice)) / rate, 3)))
            start += n
        wav_path = work / "narration.wav"
        with wave.open(str(wav_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(audio.tobytes())
        out = work / "out.mp4"
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-i", str(wav_path), "-map", "0:v", "-map", "1:a",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p", "-threads", "2",
               "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-shortest", str(out)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        stills: dict[tuple, np.ndarray] = {}
        try:
            for i, (spec, n) in enumerate(zip(order, counts)):
                key = (spec.slide_text, spec.photo)
                if key not in stills:
                    big = (round(w * MARGIN), round(h * MARGIN))
                    img = render_slide(spec.slide_text, big) if spec.slide_text is not None else \
                        render_photo(spec.photo or "", big)
                    stills[key] = np.asarray(img, dtype=np.uint8)
                shake = _smooth_noise(rng, n, fps) * cam.shake_px
                for f in range(n):
                    proc.stdin.write(_view(stills[key], (w, h), f / max(1, n - 1), i, cam, shake[f]).tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        if proc.wait() != 0:
            raise SampleError(f"ffmpeg failed writing {path}: {proc.stderr.read().decode(errors='replace')[-500:]}")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out), str(path))
    logger.info("wrote %s (%.1f s, %d scenes, %s)", path, total_frames / fps, len(scenes), motion)
    return SampleVideo(path=path, title=path.stem, duration_s=round(total_frames / fps, 3), scenes=tuple(scenes))


def _smooth_noise(rng: np.random.Generator, n: int, fps: int) -> np.ndarray:
    """(n, 2) offsets in -1..1 that wander a few times a second, as a hand holding a phone does."""
    knots = rng.uniform(-1, 1, size=(n // max(1, fps // 4) + 2, 2))
    x = np.linspace(0, len(knots) - 1, n)
    return np.stack([np.interp(x, np.arange(len(knots)), knots[:, k]) for k in range(2)], axis=1)


def _view(still: np.ndarray, size: tuple[int, int], u: float, scene: int, cam: Camera, shake) -> np.ndarray:
    """The frame the virtual camera sees at progress ``u`` (0..1) through a scene."""
    w, h = size
    sh, sw = still.shape[:2]
    direction = 1 if scene % 2 == 0 else -1
    zoom = 1.0 + cam.zoom * (u if direction > 0 else 1 - u)
    scale = zoom * w / (sw / MARGIN)  # still pixels -> frame pixels; at zoom 1 the frame sees 1/MARGIN of it
    cx = sw / 2 + direction * cam.pan * (u - 0.5) * sw / MARGIN + shake[0]
    cy = sh / 2 + shake[1]
    m = np.array([[scale, 0, w / 2 - scale * cx], [0, scale, h / 2 - scale * cy]], dtype=np.float32)
    frame = cv2.warpAffine(still, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if cam.exposure:
        gain = 1.0 + cam.exposure * math.sin(2 * math.pi * u + scene)
        frame = np.clip(frame.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return frame
