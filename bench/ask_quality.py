"""Accuracy of `videokb ask` per question kind on a generated archive (videokb/sample_archive.py): cafes,
team meetings and science talks (look-alike families), distractors (a school cafeteria), a long lecture,
German / Spanish / French / Italian / Mandarin videos, and templated questions with a seeded train/dev split
by template and by video (a dev question shares neither its wording nor its video with a train question).

    python bench/ask_quality.py --work /tmp/askq               # makes + ingests the archive once, then asks
    python bench/ask_quality.py --work /tmp/askq --split train,mixed --show-wrong    # what to tune on
    python bench/ask_quality.py --work /tmp/askq --variant 1 --seed 1      # a fresh archive: no fact shared

Per kind: accuracy (the answer holds an accepted string; for not-in-archive, the answer is "not found"), and
cited accuracy (right, and a supported citation's window of the right video holds the evidence; compare and
count must also cite every video named in the case). Also: median seconds per answer (model loaded once, in
one process, as `ask` runs after its first question) and model calls per answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from videokb.agent import AskOptions, ask, create_answerer
from videokb.agent.cite import NOT_FOUND, as_digits
from videokb.index.store import Store
from videokb.ingest import IngestConfig, ingest
from videokb.ingest.models import ModelConfig
from videokb.sample_archive import Archive, Case, build_archive, make_archive

KINDS = ["lookup", "long_lookup", "compare", "count", "adjacent", "not_found", "cross_language"]


def _plain(text: str) -> str:
    """Case-folded, without the thousands separators Whisper writes ("1,703" for the year 1703)."""
    return re.sub(r"(?<=\d),(?=\d{3})", "", text.casefold())


def _has(text: str, accepted: list[str]) -> bool:
    folded, digits = _plain(text), _plain(as_digits(text))
    return any(_plain(a) in folded or _plain(a) in digits or _whole_dollars(a, digits) for a in accepted)


def _whole_dollars(accepted: str, digits: str) -> bool:
    """A price of whole dollars ("6.00") written without its cents: "$6", "6 dollars" (Whisper hears "six
    dollars" as either; "$6" was graded wrong on an AVX2 machine's transcript)."""
    m = re.fullmatch(r"(\d+)\.00", accepted)
    return bool(m) and re.search(rf"(?:\$\s?{m[1]}|\b{m[1]} dollars?)(?![\d.,]\d|\d)", digits) is not None


def score(case: Case, result) -> tuple[bool, bool]:
    """(right, right and cited in a window that holds the evidence)."""
    if case.kind == "not_found":
        ok = result.answer == NOT_FOUND
        return ok, ok
    if case.kind == "count":
        right = result.found and result.answer.split()[0] == case.accepted[0]
    elif case.kind == "compare" and result.plan.shape == "compare":  # the winner is named first
        right = result.found and _has(result.answer.split(":")[0], case.accepted)
    else:
        right = result.found and _has(result.answer, case.accepted)
    if not right:
        return False, False
    cited = [c.window for c in result.citations if c.supported and c.window is not None]
    names = {Path(w.video_path).name for w in cited}
    if case.kind in ("compare", "count"):
        if names != set(case.videos):
            return True, False
        if case.kind == "count":
            return True, True
    holds = any(Path(w.video_path).name in case.videos and _has(w.evidence_text(), case.evidence) for w in cited)
    return True, holds


def build(work: Path, archive: Archive, seed: int, cache: Path, variant: int = 0) -> Store:
    name = f"{seed}" if variant == 0 else f"v{variant}-{seed}"
    videos = work / f"videos-{name}"
    make_archive(archive, videos)
    db = work / f"db-{name}"
    store = Store(db)
    # Every run ingests: an unchanged video is skipped, one made again (changed spec or renderer) replaces its rows.
    t0 = time.perf_counter()
    report = ingest([videos], store, IngestConfig(models=ModelConfig(device="cpu", cache_dir=cache)), progress=False)
    print(f"ingested {len(report.by_status('ingested'))} videos in {time.perf_counter() - t0:.0f} s")
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True, help="folder for the videos and the index (kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variant", type=int, default=0, choices=[0, 1, 2],
                    help="bank of facts: 0 the archive the ask plans were tuned on, 1 and 2 fresh ones (no shared "
                         "fact; 2 made after the before/after fixes)")
    ap.add_argument("--ingest-only", action="store_true", help="make and ingest the archive, ask nothing")
    ap.add_argument("--lecture-scenes", type=int, default=45, help="scenes in the long lecture (~7 s each)")
    ap.add_argument("--cafes", type=int, default=6)
    ap.add_argument("--meetings", type=int, default=5)
    ap.add_argument("--split", default="dev",
                    help="train, dev, mixed (template and video on different sides: neither train nor dev), "
                         "several joined by commas (train,mixed), or all")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "videokb")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--show-wrong", action="store_true")
    ap.add_argument("--json", type=Path, help="write every answer here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    archive = build_archive(args.seed, cafes=args.cafes, meetings=args.meetings, lecture_scenes=args.lecture_scenes,
                            variant=args.variant)
    store = build(args.work, archive, args.seed, args.cache, args.variant)
    if args.ingest_only:
        return
    splits = {"train", "dev", "mixed"} if args.split == "all" else set(args.split.split(","))
    if not splits <= {"train", "dev", "mixed"}:
        ap.error(f"--split: unknown split(s) {sorted(splits - {'train', 'dev', 'mixed'})}")
    cases = [c for c in archive.cases if c.split in splits and c.kind in args.kinds.split(",")]
    model = create_answerer("gemma-270m", cache_dir=args.cache / "models")
    ask(store, "warm up", model, AskOptions(device="cpu"))  # the first question pays for loading
    per: dict[tuple[str, str], list[tuple[bool, bool, float, int]]] = defaultdict(list)
    seconds, calls, rows = [], [], []
    for case in cases:
        t0 = time.perf_counter()
        result = ask(store, case.question, model, AskOptions(device="cpu"))
        seconds.append(time.perf_counter() - t0)
        calls.append(result.model_calls)
        right, cited = score(case, result)
        per[case.split, case.kind].append((right, cited, seconds[-1], result.model_calls))
        rows.append({"kind": case.kind, "split": case.split, "template": case.template, "question": case.question, "accepted": case.accepted, "right": right,
                     "cited": cited, "answer": result.answer, "shape": result.plan.shape,
                     "seconds": round(seconds[-1], 2), "model_calls": result.model_calls,
                     "citations": [{"video": Path(c.window.video_path).name, "supported": c.supported,
                                    "sentence": c.sentence, "window": c.window.evidence_text()}
                                   for c in result.citations if c.window is not None]})
        if args.show_wrong and not cited:
            print(f"  {'WRONG' if not right else 'UNCITED'} [{case.split} {case.kind}] {case.question} -> "
                  f"{result.answer!r} (want {case.accepted})", flush=True)
    print(f"\nvariant={args.variant} seed={args.seed} questions={len(cases)} videos={len(archive.specs)}")
    print(f"{'split':<7}{'kind':<16}{'n':>4}{'accuracy':>10}{'cited':>8}{'median s':>10}{'calls':>7}")
    for split in ("train", "dev", "mixed"):
        for kind in KINDS:
            if r := per[split, kind]:
                print(f"{split:<7}{kind:<16}{len(r):>4}{sum(x[0] for x in r) / len(r):>10.2f}"
                      f"{sum(x[1] for x in r) / len(r):>8.2f}{statistics.median(x[2] for x in r):>10.2f}"
                      f"{statistics.mean(x[3] for x in r):>7.1f}")
    print(f"median seconds per answer {statistics.median(seconds):.2f} (max {max(seconds):.2f}); "
          f"model calls per answer: median {statistics.median(calls):g}, max {max(calls)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
