"""The lanes a video's work runs on: speech, and the visual lane below speech's CPU priority and within its
thread budget.

Speech is the floor of an ingest: the visual lane (decoding, keyframe choice, OCR, the image encoder, label
embedding) runs beside it and should use what speech leaves. Its work is spread over more than one thread
(decoding runs ahead in a thread of its own), so on 2 cores the two lanes made three busy threads and the
scheduler gave each two thirds of a core: speech ran 30% slower inside ingest than alone. A lower priority
(a higher nice value) for the visual lane's threads keeps speech on its core while the visual lane still
takes every cycle speech leaves idle (before speech starts, after it ends, between its chunks).

Linux keeps a nice value per thread and a new thread inherits its creator's, so the lane's thread lowers its
own priority first and every thread it starts (decoding, FFmpeg's, the OpenMP pool of the text embedder)
follows. An ordinary user cannot raise a priority again, which is why the visual lane has a thread of its own
that stays nice for every video it works on. Elsewhere (macOS, Windows) the lane runs at normal priority: there
``setpriority`` takes a process id.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

logger = logging.getLogger(__name__)

__all__ = ["Lane", "limit_lane_threads", "limit_malloc_arenas", "lower_thread_priority", "release_free_memory",
           "widened"]

# glibc's M_ARENA_MAX (malloc.h): how many malloc arenas threads may spread over.
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2

T = TypeVar("T")


def lower_thread_priority(nice: int) -> bool:
    """Add ``nice`` to the calling thread's nice value (Linux only); whether it was done."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as e:  # a sandbox that forbids it: the lane runs, only at normal priority
        logger.warning("could not lower the visual lane's priority: %s", e)
        return False
    return True


class Lane:
    """One thread that runs the jobs handed to it one after another, in order (a lane works on one video at
    a time), ``nice`` more than normal (Linux) and with OpenMP there held to ``threads`` (OpenMP's thread
    count is a per-thread setting; BLAS's is process-wide and left to the speech lane). Its thread lowers its
    priority once, when it starts, and keeps it for every job: an ordinary user cannot raise it again."""

    def __init__(self, name: str, *, nice: int = 0, threads: int | None = None) -> None:
        self.name, self._nice, self._threads = name, nice, threads
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name, initializer=self._started)
        self._unfinished = 0  # jobs queued or running
        self._count = threading.Lock()

    def _started(self) -> None:
        threading.current_thread().name = self.name
        lower_thread_priority(self._nice)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` after the jobs already given; the future holds its result or its error."""
        with self._count:
            self._unfinished += 1
        future = self._pool.submit(self._call, fn)
        future.add_done_callback(self._finished)  # also when it is cancelled before it starts
        return future

    def _finished(self, _: Future) -> None:
        with self._count:
            self._unfinished -= 1

    def idle(self) -> bool:
        """Whether no job is queued or running: the lane's threads are free for the other lane."""
        return self._unfinished == 0

    def _call(self, fn: Callable[[], T]) -> T:
        if self._threads is None:
            return fn()
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self._threads, user_api="openmp"):
            return fn()

    def close(self) -> None:
        """Drop the jobs not started, wait for the one running."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def limit_lane_threads(n: int) -> None:
    """Cap the process-wide thread pools the visual lane uses (torch's, OpenCV's) at ``n``: the speech lane
    runs beside it, and each pool's default of one thread per core would oversubscribe the machine."""
    import cv2
    import torch

    limit_malloc_arenas(MALLOC_ARENAS)
    if torch.get_num_threads() > n:
        torch.set_num_threads(n)
    if cv2.getNumThreads() > n:
        cv2.setNumThreads(n)


@contextlib.contextmanager
def widened(threads: int) -> Iterator[None]:
    """Run the block on ``threads`` threads: torch's intra-op pool (process-wide: the visual lane's image
    encoder) and OpenMP in the calling thread (the text embedder's engine), each set back after. For the visual
    lane while the speech lane is idle (:class:`ingest.visual.VisualLane`), the mirror of speech's spare threads
    (:class:`ingest.asr.SpareThreads`): nothing else then runs on those threads."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    if threads > before:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="openmp"):
            yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def limit_malloc_arenas(n: int) -> bool:
    """Let glibc's malloc spread this process's threads over at most ``n`` arenas (Linux with glibc only;
    whether it was done). Its default, 8 per core, gave each of an ingest's dozen threads (lanes, decoding,
    FFmpeg's, ONNX's, CTranslate2's) an arena of its own that kept the memory it had once held: a 60-minute
    video's peak RSS was 1.12x a 10-minute one's, with MALLOC_ARENA_MAX=2 set before the start 1.06x
    (1124 vs 1062 MB), for no more CPU (597 s against 609 s for the hour). Set here, once threads and their
    arenas exist, one run gave 1202 vs 1069 MB (1.12x): it bounds arenas made from now on only, so
    `videokb ingest` / `watch` call it first, before the index (and LanceDB's threads) opens."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):  # musl and others: no mallopt, nothing to tune
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, n))


def release_free_memory() -> bool:
    """Hand the free pages malloc keeps in its arenas back to the system (glibc ``malloc_trim``, Linux only;
    whether it was done). glibc gives back on its own only free memory at the top of a heap; a speech chunk's
    transcription (about 120 MB for a 120 s chunk, Whisper base) and a batch of keyframes free theirs in
    the middle of heaps other threads go on using. Trimmed after each speech chunk and each write of keyframe
    rows, the next peak starts from the memory in use, not from what earlier peaks left behind."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    return bool(libc.malloc_trim(0))


@functools.lru_cache(maxsize=1)
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
