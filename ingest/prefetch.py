"""Run an iterator ahead in a thread, through a bounded queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

__all__ = ["prefetch"]


def prefetch(items: Iterator[T], maxsize: int) -> Iterator[T]:
    """Yield from ``items``, produced in a thread at most ``maxsize`` ahead (a bounded queue); an error
    there is raised here, and stopping early stops the producer and closes ``items``."""
    q: queue.Queue = queue.Queue(maxsize)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for x in items:
                if not put((None, x)):
                    break
            else:
                put((None, end))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put((e, None))
        finally:
            close = getattr(items, "close", None)
            if close:
                close()

    t = threading.Thread(target=produce, name="decode", daemon=True)
    t.start()
    try:
        while True:
            err, x = q.get()
            if err is not None:
                raise err
            if x is end:
                return
            yield x
    finally:
        stop.set()
        t.join()
