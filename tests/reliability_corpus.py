"""A folder of awkward and broken inputs, each with the outcome ingest should report for it.

Real libraries hold files that are cut off, empty, audio-only, 4K, phone-rotated, variable frame rate,
named in any script, linked in loops, or not videos at all. :func:`make_reliability_corpus` writes one of
each (ffmpeg for the plain encodes, PyAV where exact timestamps or a display matrix are needed) and
returns what a user should see for every path, so a test can hold ingest to it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import unicodedata
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from videokb.sample import SampleError, _run, _speak, _tool, render_slide

logger = logging.getLogger(__name__)

SMALL = (320, 180)
FPS = 10
# The file a test deletes after discovery and before it is read (see test_reliability.py).
VANISHING = "vanishes.mp4"
UNICODE_NAME = unicodedata.normalize("NFC", "Crème brûlée – 夜 draft.mp4")
# The rotated phone clip as a player shows it: this slide, upright, portrait.
PORTRAIT_TEXT, PORTRAIT_SIZE = "Vertical\nGarden", (216, 384)


@dataclass(frozen=True)
class Expected:
    """What ingest should say about one path of the corpus, and what to check once it is indexed."""

    status: str  # "ingested" | "failed" | "ignored"
    reason: str = ""  # a regular expression the outcome's reason must match ("" for ingested files)
    screen_text: str | None = None  # words shown on screen, for OCR / search checks
    speech: str | None = None  # words spoken, for transcript checks
    display_size: tuple[int, int] | None = None  # (width, height) as a player shows it
    has_video: bool = True
    has_audio: bool = False


def make_reliability_corpus(folder: Path) -> dict[str, Expected]:
    """Write the bad-input corpus into ``folder``; return {path relative to folder: expected outcome}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ex: dict[str, Expected] = {}
    with tempfile.TemporaryDirectory(prefix="videokb-reliability-") as tmp:
        work = Path(tmp)

        speech = "The harbor lantern festival starts at dusk."
        _slide_video(folder / "good.mp4", "Harbor Lanterns", SMALL, 3.5, work, speech=speech)
        ex["good.mp4"] = Expected("ingested", screen_text="Harbor Lanterns", speech=speech,
                                  display_size=SMALL, has_audio=True)

        speech = "Please bring a blue umbrella to the picnic."
        _audio_only(folder / "audio_only.mp4", speech, work)
        ex["audio_only.mp4"] = Expected("ingested", speech=speech, has_video=False, has_audio=True)

        _slide_video(folder / "video_only.mp4", "Quiet Library", SMALL, 2.0, work)
        ex["video_only.mp4"] = Expected("ingested", screen_text="Quiet Library", display_size=SMALL)

        # The first 4 KiB overwritten: the container's signature and first boxes are gone.
        data = bytearray((folder / "video_only.mp4").read_bytes())
        data[:4096] = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
        (folder / "corrupt_header.mp4").write_bytes(bytes(data))
        ex["corrupt_header.mp4"] = Expected("failed", r"^not a readable video \(Invalid data found")

        # Index first (faststart), then cut in half: it opens, and its streams stop half-way.
        faststart = work / "faststart.mp4"
        _run([_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y", "-i", str(folder / "good.mp4"),
              "-c", "copy", "-movflags", "+faststart", str(faststart)], "a faststart copy")
        data = faststart.read_bytes()
        (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
        # Which lane notices first depends on where the cut falls; either way the cause is named.
        ex["truncated.mp4"] = Expected("failed", r"^truncated or corrupt: (video|audio) (ends|stops decoding) at \d")

        (folder / "zero_bytes.mp4").write_bytes(b"")
        ex["zero_bytes.mp4"] = Expected("failed", r"^empty file \(0 bytes\)$")

        # A container holding only a subtitle track: nothing to see or hear.
        srt = work / "subs.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n", encoding="utf-8")
        _run([_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y", "-i", str(srt), "-c:s", "srt",
              str(folder / "no_streams.mkv")], "a subtitle-only mkv")
        ex["no_streams.mkv"] = Expected("failed", r"^no video or audio stream$")

        _slide_video(folder / "uhd_4k.mp4", "Mountain Summit", (3840, 2160), 2.0, work, fps=5)
        ex["uhd_4k.mp4"] = Expected("ingested", screen_text="Mountain Summit", display_size=(3840, 2160))

        _vfr_video(folder / "vfr.mp4")
        ex["vfr.mp4"] = Expected("ingested", screen_text="Evening Storm", display_size=SMALL)

        _rotated_video(folder / "rotated_phone.mp4")
        ex["rotated_phone.mp4"] = Expected("ingested", screen_text="Vertical Garden", display_size=PORTRAIT_SIZE)

        _run([_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y",
              "-f", "lavfi", "-i", f"testsrc2=size={SMALL[0]}x{SMALL[1]}:rate=30",
              "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
              "-t", "0.1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
              "-c:a", "aac", "-shortest", str(folder / "short_0.1s.mp4")], "a 0.1 s video")
        ex["short_0.1s.mp4"] = Expected("ingested", display_size=SMALL, has_audio=True)

        _slide_video(folder / UNICODE_NAME, "Saffron Pastry", SMALL, 2.0, work)
        ex[UNICODE_NAME] = Expected("ingested", screen_text="Saffron Pastry", display_size=SMALL)

        _run([_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y",
              "-f", "lavfi", "-i", f"testsrc2=size={SMALL[0]}x{SMALL[1]}:rate={FPS}", "-t", "1",
              "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(folder / VANISHING)],
             "the vanishing video")
        ex[VANISHING] = Expected("failed", r"No such file|vanished")

    # Two links pointing at each other, named like videos.
    os.symlink("loop_b.mp4", folder / "loop_a.mp4")
    os.symlink("loop_a.mp4", folder / "loop_b.mp4")
    for name in ("loop_a.mp4", "loop_b.mp4"):
        ex[name] = Expected("failed", r"^cannot read: Too many levels of symbolic links$")
    # A folder linking back to its parent: walking into it would never end.
    (folder / "nested").mkdir()
    os.symlink("..", folder / "nested" / "up")
    ex["nested/up"] = Expected("ignored", r"^symlinked folder, not followed \(it could loop\)")

    (folder / "notes.txt").write_text("Shopping list: flour, eggs.\n", encoding="utf-8")
    ex["notes.txt"] = Expected("ignored", r"^not a video file extension \(\.txt\)$")
    render_slide("Cover", SMALL).save(folder / "cover.jpg", quality=80)
    ex["cover.jpg"] = Expected("ignored", r"^not a video file extension \(\.jpg\)$")
    # A photo saved under a video name: it opens as a one-frame image, which is not a video.
    render_slide("Still", SMALL).save(folder / "still_photo.mp4", format="JPEG", quality=80)
    ex["still_photo.mp4"] = Expected("failed", r"^a still image \(jpeg\), not a video$")
    return ex


def _slide_video(path: Path, text: str, size: tuple[int, int], seconds: float, work: Path, *,
                 fps: int = FPS, speech: str | None = None) -> None:
    """A still slide for ``seconds`` (H.264), with ``speech`` spoken from 0.3 s as AAC if given."""
    image = work / f"{path.stem}.png"
    render_slide(text, size).save(image)
    cmd = [_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y",
           "-loop", "1", "-framerate", str(fps), "-i", str(image)]
    if speech:
        cmd += ["-i", str(_speech_wav(speech, work, path.stem, seconds))]
    cmd += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage",
            "-pix_fmt", "yuv420p", "-threads", "2"]
    if speech:
        cmd += ["-c:a", "aac", "-b:a", "48k"]
    _run(cmd + [str(path)], str(path))


def _audio_only(path: Path, speech: str, work: Path) -> None:
    _run([_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y", "-i", str(_speech_wav(speech, work, path.stem)),
          "-c:a", "aac", "-b:a", "48k", str(path)], str(path))


def _speech_wav(text: str, work: Path, name: str, seconds: float | None = None) -> Path:
    """``text`` spoken after 0.3 s of silence, padded with silence to ``seconds`` if given."""
    samples, rate = _speak(text, work, 0)
    lead = np.zeros(int(0.3 * rate), dtype="<i2")
    audio = np.concatenate([lead, samples, lead])
    if seconds is not None:
        if audio.size > seconds * rate:
            raise SampleError(f"the speech {text[:30]!r} is longer than its {seconds} s video")
        audio = np.concatenate([audio, np.zeros(int(seconds * rate) - audio.size, dtype="<i2")])
    out = work / f"{name}.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(audio.tobytes())
    return out


def _encode_frames(path: Path, frames: list[tuple[float, Image.Image]], *, rotation: int = 0) -> None:
    """H.264 frames at exact presentation times (ms), optionally with a display rotation (degrees CCW)."""
    width, height = frames[0][1].size
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for t_s, image in frames:
            frame = av.VideoFrame.from_image(image)
            frame.pts, frame.time_base = round(t_s * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _vfr_video(path: Path) -> None:
    """Variable frame rate: 30 fps for 2 s on one slide, then frames 0.1-0.5 s apart on another."""
    first, second = render_slide("Morning Tide", SMALL), render_slide("Evening Storm", SMALL)
    times = [i / 30 for i in range(60)] + [2.0, 2.1, 2.4, 2.9, 3.0, 3.3, 3.8, 4.0]
    _encode_frames(path, [(t, first if t < 2.0 else second) for t in times])


def _rotated_video(path: Path) -> None:
    """A portrait phone clip: stored as landscape pixels, with a display matrix turning it upright."""
    upright = render_slide(PORTRAIT_TEXT, PORTRAIT_SIZE)
    # Players turn the stored picture 90 degrees clockwise (rotation -90, as phones write it).
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise: sideways on disk
    _encode_frames(path, [(i / FPS, stored) for i in range(2 * FPS)], rotation=-90)
