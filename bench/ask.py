"""Time to first answer token and total time of `videokb ask` in a fresh process (what a user waits for),
model load included, over a small archive; the one-time conversion of the bundled model is timed apart.

    python bench/ask.py                      # makes and ingests the 5-video sample archive first
    python bench/ask.py --db ~/.local/share/videokb/index --answerer gemma-270m
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "How much does the sourdough loaf cost?",
    "How much is the adoption fee?",
    "Where did the winning beans come from?",
    "How many days will the mission last?",
]


def timed_ask(question: str, db: Path, answerer: str, env: dict) -> tuple[float | None, float, str]:
    """(seconds to the first answer token, seconds to exit, stdout) for one fresh `videokb ask` process."""
    cmd = [sys.executable, "-c", "from videokb.cli import cli; cli()", "ask", question, "--db", str(db),
           "--answerer", answerer]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = b""
    first = None
    while chunk := proc.stdout.read1(64):
        out += chunk
        if first is None and b"draft: " in out and len(out.split(b"draft: ", 1)[1]) > 0:
            first = time.perf_counter() - t0
    proc.wait()
    if proc.returncode != 0:
        raise SystemExit(f"videokb ask failed ({proc.returncode}): {out.decode(errors='replace')}")
    return first, time.perf_counter() - t0, out.decode(errors="replace")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing index (default: build the sample archive)")
    ap.add_argument("--answerer", default="gemma-270m")
    ap.add_argument("--runs", type=int, default=len(QUESTIONS))
    args = ap.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    with tempfile.TemporaryDirectory(prefix="videokb-bench-ask-") as tmp:
        db = args.db
        if db is None:
            lib, db = Path(tmp) / "library", Path(tmp) / "index"
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "from videokb.cli import cli; cli()", "sample", str(lib)],
                           check=True, stdout=subprocess.DEVNULL, env=env)
            subprocess.run([sys.executable, "-c", "from videokb.cli import cli; cli()", "ingest", str(lib), "--db",
                            str(db), "--no-progress"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
            print(f"sample archive made and ingested in {time.perf_counter() - t:.0f}s")
        first, total, _ = timed_ask(QUESTIONS[0], db, args.answerer, env)
        print(f"first use (may convert the bundled model once): first token {first or float('nan'):.1f}s, "
              f"total {total:.1f}s")
        ttft, totals = [], []
        for q in (QUESTIONS * args.runs)[: args.runs]:
            first, total, out = timed_ask(q, db, args.answerer, env)
            answer = next((ln for ln in out.splitlines() if ln.startswith("answer: ")), "answer: ?")
            print(f"  {first or float('nan'):5.2f}s first token, {total:5.2f}s total  {q!r} -> {answer[8:]}")
            if first is not None:
                ttft.append(first)
            totals.append(total)
        if ttft:
            print(f"\nfresh process, model load included: first token median {statistics.median(ttft):.2f}s "
                  f"(min {min(ttft):.2f}, max {max(ttft):.2f}); total median {statistics.median(totals):.2f}s; "
                  f"target 5 s -> {statistics.median(ttft) / 5.0:.2f}x of it")


if __name__ == "__main__":
    main()
