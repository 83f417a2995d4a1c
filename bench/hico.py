"""HiCo clip-token compression on generated videos with busy and static stretches, measured side by side.

    python bench/hico.py                  # 3 videos, ~4 min: pans over photos, a held slide, a still camera
    python bench/hico.py --repeats 3 --full

Prints tokens per minute (all patch tokens of uniform 1 fps frames; all patch tokens of every keyframe;
after stage 1; after stage 2), the ingest wall time with compression as a ratio to the same ingest without
it (runs interleaved, medians), and image-query moment recall@1/@5 (a crop of each photo; right when a
top-k clip overlaps the shot showing it) with compressed and with uncompressed tokens, all searched by the
same MaxSim code. Ingest is visual only by default (no OCR, no speech: the smallest denominator, so the
largest share compression can take); ``--full`` times the default ingest with OCR and speech as well.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from videokb.index.embedders import get_embedder
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.hico import HicoOptions
from videokb.ingest.models import ModelConfig, build_models
from videokb.retrieval.clips import clip_hits
from videokb.sample_hico import busy_static_corpus, hard_query_crops, query_crop

UNCOMPRESSED = HicoOptions(tokens_per_clip=None, drop_similarity=None, merge_similarity=None,
                           clip_merge_similarity=None)


def run_ingest(folder: Path, db: Path, cfg: IngestConfig) -> tuple[float, Store, list]:
    store = Store(db)
    t = time.perf_counter()
    report = ingest([folder], store, cfg, progress=False)
    wall = time.perf_counter() - t
    bad = [o for o in report.outcomes if o.status != "ingested"]
    if bad:
        raise SystemExit(f"ingest failed: {bad}")
    return wall, store, report.outcomes


def clip_stats(store: Store) -> tuple[int, int]:
    """(clip tokens, patch tokens of the keyframes they came from) over the store's live clip rows."""
    (name,) = store.clips_tables()
    t = store.dataset(name).to_table(columns=["n_tokens", "n_patches"])
    return sum(t.column("n_tokens").to_pylist()), sum(t.column("n_patches").to_pylist())


def queries(truth, hard: bool) -> list[tuple]:
    """(shot, picture): a central-half crop of each photo, or three small darkened blurred crops of it."""
    shots = [s for s in truth if s.shot.kind in ("pan", "still")]
    if not hard:
        return [(s, query_crop(s.shot.subject)) for s in shots]
    return [(s, im) for s in shots for im in hard_query_crops(s.shot.subject)]


def recall(store: Store, qs: list[tuple], embedder, ks=(1, 5)) -> dict[int, float]:
    """Share of queries with a top-k clip of the right video overlapping the shot that shows the photo."""
    (name,) = store.clips_tables()
    paths = dict(zip(*(store.videos().column(c).to_pylist() for c in ("video_id", "video_path"))))
    found = {k: 0 for k in ks}
    for s, image in qs:
        hits = clip_hits(store, name, embedder.encode_query_tokens(image), max(ks))
        right = [Path(paths[h.video_id]).name == s.video and h.start_s < s.end_s and h.end_s > s.start_s
                 for h in hits]
        for k in ks:
            found[k] += any(right[:k])
    return {k: found[k] / len(qs) for k in ks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="timed ingests with and without compression, each")
    ap.add_argument("--static-s", type=float, default=60.0, help="length of the held slide")
    ap.add_argument("--full", action="store_true", help="time the default ingest (OCR and speech too)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    models = ModelConfig(device="cpu", visual="efficientnet-lite0", ocr=args.full, asr=args.full)
    base = IngestConfig(models=models)
    build_models(models)  # load once before any clock starts
    emb = get_embedder("efficientnet-lite0", "efficientnet-lite0", "cpu")
    with tempfile.TemporaryDirectory(prefix="videokb-hico-") as tmp:
        tmp = Path(tmp)
        truth = busy_static_corpus(tmp / "videos", static_s=args.static_s)
        minutes = sum(s.end_s - s.start_s for s in truth) / 60
        grid = emb.encode_batch([query_crop("astronaut")], [[]])[0].tokens.shape
        per_frame = grid[0] * grid[1]

        stores = {}
        stage1 = replace(HicoOptions(), clip_merge_similarity=None)
        for label, hico in (("uncompressed", UNCOMPRESSED), ("stage 1", stage1), ("stage 2", HicoOptions())):
            _, stores[label], _ = run_ingest(tmp / "videos", tmp / f"db-{label}", replace(base, hico=hico))

        times: dict[str, list[float]] = {"off": [], "on": []}
        hico_s: list[float] = []
        for i in range(args.repeats):
            for label, hico in (("off", replace(HicoOptions(), enabled=False)), ("on", HicoOptions())):
                wall, _, outcomes = run_ingest(tmp / "videos", tmp / f"db-time-{label}-{i}", replace(base, hico=hico))
                times[label].append(wall)
                if label == "on":
                    hico_s.append(sum(o.stage_seconds.get("hico", 0.0) for o in outcomes))

        print(f"corpus: {len(truth)} shots in 3 videos, {minutes:.2f} min; {grid[0]}x{grid[1]} = {per_frame} "
              f"EfficientNet-Lite0 tokens per frame")
        uniform = per_frame * 60
        _, kf_patches = clip_stats(stores["uncompressed"])
        print(f"{'tokens/min':<36}{'tokens/min':>12}{'vs 1 fps':>10}")
        print(f"{'all patch tokens, uniform 1 fps':<36}{uniform:>12.0f}{1:>9.1f}x")
        kf = kf_patches / minutes
        print(f"{'all patch tokens of every keyframe':<36}{kf:>12.0f}{uniform / kf:>9.1f}x")
        for label in ("stage 1", "stage 2"):
            n, _ = clip_stats(stores[label])
            print(f"{'after ' + label:<36}{n / minutes:>12.0f}{uniform / (n / minutes):>9.1f}x")

        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        what = "full default ingest (OCR + speech)" if args.full else "visual-only ingest"
        hs = statistics.median(hico_s)
        print(f"ingest wall time, {what}, median of {args.repeats} interleaved runs: without {off:.2f} s, with "
              f"{on:.2f} s, ratio {on / off:.3f}; compression itself (stage 'hico': compress + write clip rows) "
              f"{hs:.2f} s = {hs / off:.1%} of the ingest without it")
        print("  runs without: " + ", ".join(f"{t:.2f}" for t in times["off"]) + "; with: "
              + ", ".join(f"{t:.2f}" for t in times["on"]))
        for hard in (False, True):
            qs = queries(truth, hard)
            what = "small dark blurred crops" if hard else "central-half crops"
            print(f"{'image-query moment recall, ' + what:<48}{'R@1':>6}{'R@5':>6}  ({len(qs)} queries)")
            for label in ("uncompressed", "stage 1", "stage 2"):
                r = recall(stores[label], qs, emb)
                print(f"  {label:<46}{r[1]:>6.2f}{r[5]:>6.2f}")


if __name__ == "__main__":
    main()
