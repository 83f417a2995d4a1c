"""Time to first answer token and total time of `videokb ask` in a fresh process (what a user waits for),
model load included, over a small archive. The first use, which joins the bundled model's parts, saves its
prompt state and exports the text model to ONNX, is timed apart, in an empty cache dir.

    python bench/ask.py                      # makes and ingests the 5-video sample archive first
    python bench/ask.py --db ~/.local/share/videokb/index --runs 8
    python bench/ask.py --db ./kb --cache ~/.cache/videokb   # an existing cache: no first use
    python bench/ask.py --db ./kb --compare gemma-270m,projector -o projector:checkpoint=CKPT
    python bench/ask.py --db ./kb --compare gemma-270m,projector@untrained,projector@lora \
        -o projector@untrained:checkpoint=untrained -o projector@lora:checkpoint=./kb/projector/lora

--compare runs the sample corpus's 10 fact questions (tests/test_ask.py) through each answerer in one warm
process, side by side: accuracy (the answer holds an accepted string), median first-token time of the
model call (evidence retrieval excluded; the model loaded before), and prompt tokens per answer (for the
projector answerer: text tokens plus spliced visual tokens). ``NAME@LABEL`` runs one answerer several times
with other options; ``checkpoint=untrained`` gives the projector answerer fresh random projectors (seed 0)
made for the index. For a checkpoint trained on this index, each question says whether its video was
among the training videos ("seen") or held out.

Each run waits (up to --max-wait s) for the 1-minute load average to fall below --quiet-load, since other
work on the machine slows a 2-core box a lot; the load average at each run's start is printed beside it.
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


# The sample corpus's facts (tests/test_ask.py FACTS): question, accepted answers (any), the video's stem.
FACTS = [
    ("How much does the sourdough loaf cost?", ["4.50", "four dollars"], "bakery_tour"),
    ("How much are the blueberry muffins?", ["3", "three dollars"], "bakery_tour"),
    ("On what date did the city council meet?", ["march 12", "march twelfth"], "city_council_meeting"),
    ("How much money did the council approve for the park?", ["2.3"], "city_council_meeting"),
    ("How many astronauts are in the crew?", ["4", "four"], "rocket_launch_briefing"),
    ("How many days will the mission last?", ["6", "six"], "rocket_launch_briefing"),
    ("How much is the adoption fee?", ["75", "seventy"], "pet_adoption_day"),
    ("How many dogs are available for adoption?", ["22", "twenty"], "pet_adoption_day"),
    ("How much is a coffee tasting ticket?", ["12", "twelve"], "café tasting"),
    ("Which country did the winning beans come from?", ["ethiopia"], "café tasting"),
]


def untrained_checkpoint(store, folder: Path, lm_id: str | None = None) -> Path:
    """Fresh random projectors (seed 0, the widths `videokb train align` uses) for ``store``'s clip space."""
    import torch

    from videokb.agent.lm import BUNDLED_LM, load_lm
    from videokb.agent.projectors import ProjectorCard, make_bank, save_checkpoint
    from videokb.agent.visual_tokens import clips_table, encoder_space

    lm_id = lm_id or BUNDLED_LM
    space = encoder_space(store, clips_table(store))
    lm, _ = load_lm(lm_id, "cpu")
    width = lm.get_input_embeddings().weight.shape[1]
    torch.manual_seed(0)
    card = ProjectorCard(encoder_space=space, lm_id=lm_id, lm_hidden=width, in_dim=space["dim"], hidden=1024,
                         trained={"objective": "none (untrained)", "regions_per_window": 4})
    return save_checkpoint(folder, make_bank(space["dim"], width, 1024), card)


def _seen_videos(answerer, store) -> set[str]:
    """Stems of the videos the projector checkpoint trained on, when it was trained on this index."""
    if answerer.name != "projector":
        return set()
    from videokb.agent.answerers.projector import default_checkpoint
    from videokb.agent.projectors import read_card

    card = read_card(answerer.checkpoint or default_checkpoint(Path(store.uri)))
    paths = {v["video_id"]: Path(v["video_path"]).stem for v in store.videos().to_pylist()}
    return {paths[v] for v in card.trained.get("train_videos", []) if v in paths}


def _prompt_tokens(answerer, evidence) -> int:
    """Prompt tokens the model read for ``evidence`` (the projector counts its spliced visual tokens)."""
    if answerer.name == "projector":
        return answerer.last_prompt_tokens
    from videokb.agent.answerers.gemma import build_prompt

    llm = answerer._model()
    return len(llm.tokenize(build_prompt(evidence.question, evidence.windows_text).encode(), add_bos=True,
                            special=False))


def compare(db: Path, names: list[str], options: dict[str, dict]) -> None:
    """Each answerer (``NAME`` or ``NAME@LABEL``) over FACTS in this process: accuracy, first-token time,
    prompt tokens per answer."""
    from videokb.agent import AskOptions, ask, create_answerer
    from videokb.index.store import Store

    store = Store(db)
    rows = []
    for name in names:
        opts = dict(options.get(name, {}))
        if str(opts.get("checkpoint")) == "untrained":
            opts["checkpoint"] = untrained_checkpoint(store, Path(tempfile.mkdtemp(prefix="videokb-untrained-")),
                                                      opts.get("lm_id"))
        answerer = create_answerer(name.split("@")[0], **opts)
        inner_stream = answerer.stream
        calls: list[tuple[float, int]] = []

        def timed_stream(evidence, _inner=inner_stream, _answerer=answerer):
            t0 = time.perf_counter()
            first = None
            for piece in _inner(evidence):
                if first is None:
                    first = time.perf_counter() - t0
                yield piece
            calls.append((first if first is not None else time.perf_counter() - t0, _prompt_tokens(_answerer, evidence)))

        answerer.stream = timed_stream  # measures the model call only (retrieval and the check excluded)
        ask(store, FACTS[0][0], answerer, AskOptions(device="cpu"))  # loads the model
        calls.clear()
        seen = _seen_videos(answerer, store)
        right, right_seen, n_seen = 0, 0, 0
        for question, accepted, video in FACTS:
            result = ask(store, question, answerer, AskOptions(device="cpu"))
            ok = result.found and any(a in result.answer.lower() for a in accepted)
            right += ok
            n_seen += video in seen
            right_seen += ok and video in seen
            tag = " (video seen in training)" if video in seen else ""
            print(f"  {name:12s} {question!r} -> {result.answer!r} {'ok' if ok else 'WRONG'}{tag}", flush=True)
        ttft = statistics.median(c[0] for c in calls) if calls else float("nan")
        tokens = statistics.mean(c[1] for c in calls) if calls else float("nan")
        split = (f" (videos seen in training {right_seen}/{n_seen}, held out {right - right_seen}/"
                 f"{len(FACTS) - n_seen})" if seen else "")
        rows.append(f"{name:22s} accuracy {right}/{len(FACTS)}{split}  first token median {ttft:.2f}s over "
                    f"{len(calls)} model calls  prompt tokens per answer {tokens:.0f}")
        print(rows[-1], flush=True)
    print("\n" + "\n".join(rows))


def videokb(*args: str) -> list[str]:
    return [sys.executable, "-c", "from videokb.cli import cli; cli()", *args]


def wait_for_quiet(threshold: float, max_wait: float) -> float:
    """Wait until the 1-minute load average is below ``threshold`` (or ``max_wait`` passed); return it."""
    deadline = time.monotonic() + max_wait
    while (load := os.getloadavg()[0]) >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    return load


def timed_ask(question: str, db: Path, answerer: str, env: dict) -> tuple[float | None, float, str]:
    """(seconds to the first answer token, seconds to exit, stdout) for one fresh `videokb ask` process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(videokb("ask", question, "--db", str(db), "--answerer", answerer),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = b""
    first = None
    while chunk := proc.stdout.read1(64):
        out += chunk
        # The CLI prints only the checked answer (no unchecked draft streams first): its first line.
        if first is None and b"answer: " in out and len(out.split(b"answer: ", 1)[1]) > 0:
            first = time.perf_counter() - t0
    err = proc.stderr.read()
    proc.wait()
    if proc.returncode != 0:
        raise SystemExit(f"videokb ask failed ({proc.returncode}): {out.decode(errors='replace')}"
                         f"{err.decode(errors='replace')[-3000:]}")
    return first, time.perf_counter() - t0, out.decode(errors="replace")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing index (default: build the sample archive)")
    ap.add_argument("--cache", type=Path, help="an existing cache dir ($VIDEOKB_CACHE; default: an empty one)")
    ap.add_argument("--answerer", default="gemma-270m")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--quiet-load", type=float, default=1.0, help="wait for a 1-min load average below this")
    ap.add_argument("--max-wait", type=float, default=120.0, help="seconds to wait for it before each run")
    ap.add_argument("--compare", default=None, metavar="A,B",
                    help="answerers to compare in one process over the sample facts (needs --db)")
    ap.add_argument("-o", "--option", action="append", default=[], metavar="ANSWERER:KEY=VALUE",
                    help="an answerer option for --compare, e.g. projector:checkpoint=PATH")
    args = ap.parse_args()
    if args.compare:
        if args.db is None:
            raise SystemExit("--compare needs --db (an index of the sample corpus)")
        from videokb.index.backends import get_backend

        options: dict[str, dict] = {}
        for item in args.option:
            name, _, pair = item.partition(":")
            options.setdefault(name, {}).update(get_backend("answerer", name.split("@")[0]).parse_options([pair]))
        compare(args.db, args.compare.split(","), options)
        return

    with tempfile.TemporaryDirectory(prefix="videokb-bench-ask-") as tmp:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "VIDEOKB_CACHE": str(args.cache or Path(tmp) / "cache")}
        db = args.db
        if db is None:
            lib, db = Path(tmp) / "library", Path(tmp) / "index"
            t = time.perf_counter()
            subprocess.run(videokb("sample", str(lib)), check=True, stdout=subprocess.DEVNULL, env=env)
            subprocess.run(videokb("ingest", str(lib), "--db", str(db), "--no-progress"), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            print(f"sample archive made and ingested in {time.perf_counter() - t:.0f}s")
        load = wait_for_quiet(args.quiet_load, args.max_wait)
        first, total, _ = timed_ask(QUESTIONS[0], db, args.answerer, env)
        what = ("an existing cache" if args.cache else "an empty cache: joins the bundled model, saves its prompt "
                "state, exports the text model to ONNX unless ingest did")
        print(f"first use ({what}): first token {first or float('nan'):.1f}s, total {total:.1f}s "
              f"(load average {load:.2f})")
        ttft, totals, loads = [], [], []
        for q in (QUESTIONS * args.runs)[: args.runs]:
            load = wait_for_quiet(args.quiet_load, args.max_wait)
            first, total, out = timed_ask(q, db, args.answerer, env)
            answer = next((ln for ln in out.splitlines() if ln.startswith("answer: ")), "answer: ?")
            print(f"  {first or float('nan'):5.2f}s first token, {total:5.2f}s total, load average {load:4.2f}  "
                  f"{q!r} -> {answer[8:]}")
            if first is not None:
                ttft.append(first)
            totals.append(total)
            loads.append(load)
        if ttft:
            print(f"\nfresh `videokb ask` process, model load included, {len(ttft)} runs: first token median "
                  f"{statistics.median(ttft):.2f}s (min {min(ttft):.2f}, max {max(ttft):.2f}); total median "
                  f"{statistics.median(totals):.2f}s; 1-min load average at start {min(loads):.2f}-{max(loads):.2f}"
                  f" on {os.cpu_count()} cores; target 5 s -> {statistics.median(ttft) / 5.0:.2f}x of it")


if __name__ == "__main__":
    main()
