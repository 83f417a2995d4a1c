"""`videokb serve` speed: warm search latency through HTTP (the models and tables stay open) next to a fresh
`videokb search` process (what the CLI pays each time), and how long the page takes to load in Chromium.

    python bench/serve.py                 # makes and ingests the 6-video sample library first
    python bench/serve.py --db ./kb --rounds 20

The server runs as a real `videokb serve` process; searches go through a kept-alive HTTP connection, so the
figures include JSON encoding and the network stack. Page load uses Debian's chromium + chromium-driver.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = [
    "how much does the sourdough loaf cost", "riverside playground", "a tabby cat", "launch window",
    "adoption fee", "winning beans from ethiopia", "photographer with a camera on a tripod", "closed mondays",
    "astronauts orbit", "oat milk",
]


def videokb(*args: str) -> list[str]:
    return [sys.executable, "-c", "from videokb.cli import cli; cli()", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[float, list]:
    t = time.perf_counter()
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    dt = time.perf_counter() - t
    if resp.status != 200:
        raise SystemExit(f"{path} answered {resp.status}: {data[:500]!r}")
    return dt, json.loads(data)


def wait_ready(port: int, proc: subprocess.Popen, t0: float, timeout: float = 300) -> tuple[float, float]:
    """(seconds until the server answers, seconds until it says its models are loaded), from ``t0``."""
    answered = None
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"videokb serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/config")
            resp = conn.getresponse()
            if resp.status == 200:
                answered = answered or time.perf_counter() - t0
                if json.loads(resp.read())["models_loaded"]:
                    return answered, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("videokb serve did not load its models in time")


def page_load(url: str, runs: int) -> list[tuple[float, float]] | None:
    """(load event, videos listed) seconds per fresh page load in headless Chromium; None without it."""
    chromium, driver_bin = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_bin:
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_bin), options=options)
    out = []
    try:
        for _ in range(runs):
            driver.delete_all_cookies()
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            t = time.perf_counter()
            driver.get(url)  # returns after the load event
            loaded = driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd / 1000")
            WebDriverWait(driver, 30, poll_frequency=0.01).until(
                lambda d: len(d.find_elements("css selector", "#video-filter option")) > 1)
            out.append((loaded, time.perf_counter() - t))
    finally:
        driver.quit()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing index (default: build the sample library)")
    ap.add_argument("--rounds", type=int, default=10, help="times each query is asked of the warm server")
    ap.add_argument("--cli-runs", type=int, default=3, help="fresh `videokb search` processes to time")
    ap.add_argument("--page-runs", type=int, default=5)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="videokb-bench-serve-") as tmp:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "VIDEOKB_CACHE": os.environ.get("VIDEOKB_CACHE", str(Path(tmp) / "cache"))}
        db = args.db
        if db is None:
            from videokb.sample import INJECTION, make_video

            lib, db = Path(tmp) / "library", Path(tmp) / "index"
            subprocess.run(videokb("sample", str(lib)), check=True, stdout=subprocess.DEVNULL, env=env)
            make_video(INJECTION, lib)
            t = time.perf_counter()
            subprocess.run(videokb("ingest", str(lib), "--db", str(db), "--no-progress"), check=True,
                           stdout=subprocess.DEVNULL, env=env)
            print(f"ingested the sample library in {time.perf_counter() - t:.1f} s", file=sys.stderr)

        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(videokb("serve", "--db", str(db), "--port", str(port), "--device", "cpu"), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            answered, loaded = wait_ready(port, proc, t0)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            first, _ = post(conn, "/api/search", {"query": "first search after start", "k": 12})
            for q in QUERIES:  # every query's first time: its text is encoded afresh (nothing is cached per query)
                post(conn, "/api/search", {"query": q, "k": 12})
            warm = []
            for _ in range(args.rounds):
                for q in QUERIES:
                    warm.append(post(conn, "/api/search", {"query": q, "k": 12})[0])
            n_videos = len(json.loads((conn.request("GET", "/api/videos"), conn.getresponse().read())[1]))
            pages = page_load(f"http://127.0.0.1:{port}/", args.page_runs)
        finally:
            proc.terminate()
            proc.wait(30)

        cli = []
        for q in QUERIES[: args.cli_runs]:
            t = time.perf_counter()
            subprocess.run(videokb("search", q, "--db", str(db), "--device", "cpu", "-k", "12"), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            cli.append(time.perf_counter() - t)

    q = statistics.quantiles(warm, n=20)
    p50, p90 = statistics.median(warm), q[17]
    print(f"library: {n_videos} videos; 1-min load average at the end {os.getloadavg()[0]:.2f}")
    print(f"server start: answers after {answered:.1f} s, search models and answerer loaded after {loaded:.1f} s; "
          f"first search then {first * 1000:.0f} ms")
    print(f"warm search over HTTP ({len(warm)} searches, {len(QUERIES)} queries): p50 {p50 * 1000:.1f} ms, "
          f"p90 {p90 * 1000:.1f} ms (target p50 < 100 ms: {'met' if p50 < 0.1 else 'NOT met'})")
    print(f"fresh `videokb search` process: median {statistics.median(cli):.2f} s over {len(cli)} runs "
          f"= {statistics.median(cli) / p50:.0f}x the warm server's p50")
    if pages is None:
        print("page load: not measured (needs chromium and chromium-driver)")
    else:
        loads, usable = [p[0] for p in pages], [p[1] for p in pages]
        print(f"page load in headless Chromium ({len(pages)} cold-cache loads): load event median "
              f"{statistics.median(loads) * 1000:.0f} ms, video list shown median {statistics.median(usable) * 1000:.0f} ms "
              f"(target < 1 s: {'met' if statistics.median(usable) < 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
