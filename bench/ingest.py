"""Ingest speed on a generated video: each stage as a multiple of real time, next to a decode-only pass
of the same file, and how many frames were encoded against uniform 1 fps sampling.

    python bench/ingest.py                 # a 2-minute 1280x720 video with narration, slides and photos
    python bench/ingest.py --minutes 5 --video my.mp4

Models are loaded before the clock starts (their load time is printed apart): a library ingest pays it
once per run, not per video.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path


import av
from PIL import Image

from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.models import ModelConfig, build_models


def decode_only(path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    n = 0
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"  # as ingest decodes
        for _ in c.decode(stream):
            n += 1
    return time.perf_counter() - t, n


def warm_up(cfg: ModelConfig) -> float:
    """Load every model once, as the first video of a run would."""
    t = time.perf_counter()
    models = build_models(cfg)
    img = Image.new("RGB", (640, 360), "white")
    models.text.embed("warm up")
    if models.visual:
        models.visual.encode_batch([img], [[]])
    if models.ocr:
        models.ocr.read(img)
    if models.asr:
        models.asr.model()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--video", type=Path, help="benchmark this file instead of a generated one")
    ap.add_argument("--visual", default="auto")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="videokb-bench-") as tmp:
        tmp = Path(tmp)
        video = args.video
        if video is None:
            from videokb.sample import make_long_video

            video = tmp / "bench.mp4"
            t = time.perf_counter()
            make_long_video(video, minutes=args.minutes)
            print(f"generated {video.name} in {time.perf_counter() - t:.1f}s")
        cfg = ModelConfig(visual=args.visual, device=args.device, cache_dir=tmp / "cache")
        load_s = warm_up(cfg)

        dec_s, n_frames = decode_only(video)
        t = time.perf_counter()
        report = ingest([video], Store(tmp / "db"), IngestConfig(models=cfg), progress=False)
        wall = time.perf_counter() - t
        (outcome,) = [o for o in report.outcomes if o.path == video.absolute()]
        if outcome.status != "ingested":
            raise SystemExit(f"{video}: {outcome.status}: {outcome.reason}")
        dur = outcome.duration_s
        st = outcome.stage_seconds

        print(f"\nvideo: {dur:.1f}s, {n_frames} frames; models: {report.models}")
        print(f"model load (once per run, not timed below): {load_s:.1f}s\n")
        print(f"{'stage':<28}{'seconds':>9}{'x real time':>13}")
        rows = [
            ("decode only (same file)", dec_s),
            ("decode + keyframe pick", st.get("decode", 0.0)),
            ("ocr", st.get("ocr", 0.0)),
            ("visual encode", st.get("visual", 0.0)),
            ("speech (parallel lane)", st.get("asr", 0.0)),
            ("text embed + write", st.get("text", 0.0) + st.get("write", 0.0)),
            ("whole ingest (wall)", wall),
        ]
        for name, s in rows:
            print(f"{name:<28}{s:>9.2f}{dur / s if s else float('inf'):>12.1f}x")
        n_key = outcome.counts["keyframes"]
        uniform = int(dur)  # uniform 1 fps
        print(f"\nwhole ingest vs decode only: {wall / dec_s:.1f}x the decode time")
        print(f"frames encoded: {n_key} keyframes vs {uniform} at uniform 1 fps ({n_key / uniform:.2f}x), "
              f"{outcome.counts['shots']} shots, {outcome.counts['frames_decoded']} frames decoded")


if __name__ == "__main__":
    main()
