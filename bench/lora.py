"""`videokb train draft-qa` + `videokb train lora` on the generated archive of bench/align.py: held-out
(unseen videos) exact match before and after the LoRA adapter, side by side in one run.

    python -m bench.lora                     # reuses bench/align.py's archive and its aligned projectors
    python -m bench.lora --steps 120 --init none

"Before" is the starting checkpoint (the aligned projectors, or fresh ones with --init none) without an
adapter; "after" is the LoRA adapter and the projectors trained on the drafted QA of the training videos.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from bench.align import build  # the same generated archive

from videokb.agent.draft_qa import draft_records
from videokb.agent.lm import BUNDLED_LM
from videokb.agent.train_lora import run_lora
from videokb.agent.training import TrainOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "videokb-bench" / "align")
    ap.add_argument("--videos", type=int, default=12)
    ap.add_argument("--init", default=None, help="starting checkpoint (default: the newest align-* under --work; "
                                                  "'none': fresh projectors)")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--lm", default=BUNDLED_LM)
    ap.add_argument("--val-fraction", type=float, default=0.25)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    store, _ = build(args.work, args.videos)
    init = None
    if args.init != "none":
        found = sorted(args.work.glob("align-*/projector.json"), key=lambda p: p.stat().st_mtime)
        init = Path(args.init) if args.init else (found[-1].parent if found else None)
    records = draft_records(store)
    by_source: dict[str, int] = {}
    for r in records:
        by_source[r.source] = by_source.get(r.source, 0) + 1
    t = time.perf_counter()
    result = run_lora(store, records, args.work / f"lora-{args.steps}", init=init, lm_id=args.lm,
                      options=TrainOptions(steps=args.steps, lr=args.lr, batch=args.batch), r=args.rank,
                      val_fraction=args.val_fraction)
    print(f"drafted QA: {len(records)} records {by_source}; train {result['n_train']} "
          f"({len(result['train_videos'])} videos), held out {result['n_val']} ({len(result['val_videos'])} videos)")
    print(f"LoRA r={args.rank}: {args.steps} steps x {args.batch} in {time.perf_counter() - t:.0f} s; start: "
          f"{init or 'fresh projectors'}")
    print(f"held-out exact match: before {result['exact_match_before']:.0%}  after {result['exact_match_after']:.0%}")
    for e in result["examples"][:8]:
        print(f"  {e['answer']!r:28s} -> {e['got']!r} {'ok' if e['ok'] else 'WRONG'}")


if __name__ == "__main__":
    main()
