"""Run a video's visual lane in its own thread, below speech's CPU priority and within its thread budget.

Speech is the floor of an ingest: the visual lane (decoding, keyframe choice, OCR, the image encoder, label
embedding) runs beside it and should use what speech leaves. Its work is spread over more than one thread
(decoding runs ahead in a thread of its own), so on 2 cores the two lanes made three busy threads and the
scheduler gave each two thirds of a core: speech ran 30% slower inside ingest than alone. A lower priority
(a higher nice value) for the visual lane's threads keeps speech on its core while the visual lane still
takes every cycle speech leaves idle (before speech starts, after it ends, between its chunks).

Linux keeps a nice value per thread and a new thread inherits its creator's, so the lane's thread lowers its
own priority first and every thread it starts (decoding, FFmpeg's, the OpenMP pool of the text embedder)
follows. An ordinary user cannot raise a priority again, which is why the lane gets a fresh thread that ends
with it. Elsewhere (macOS, Windows) the lane runs at normal priority: there ``setpriority`` takes a process id.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

logger = logging.getLogger(__name__)

__all__ = ["limit_lane_threads", "lower_thread_priority", "start_lane"]

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


def start_lane(fn: Callable[[], T], *, name: str, nice: int, threads: int) -> Future[T]:
    """Run ``fn`` in a new thread at ``nice`` more than normal, with OpenMP there limited to ``threads``
    (OpenMP's thread count is a per-thread setting; BLAS's is process-wide and left to the speech lane);
    the future holds its result or its error."""
    from threadpoolctl import threadpool_limits

    future: Future[T] = Future()
    future.set_running_or_notify_cancel()

    def target() -> None:
        try:
            lower_thread_priority(nice)
            with threadpool_limits(limits=threads, user_api="openmp"):
                result = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(e)
        else:
            future.set_result(result)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future


def limit_lane_threads(n: int) -> None:
    """Cap the process-wide thread pools the visual lane uses (torch's, OpenCV's) at ``n``: the speech lane
    runs beside it, and each pool's default of one thread per core would oversubscribe the machine."""
    import cv2
    import torch

    if torch.get_num_threads() > n:
        torch.set_num_threads(n)
    if cv2.getNumThreads() > n:
        cv2.setNumThreads(n)
