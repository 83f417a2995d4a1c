"""Run an iterator ahead in a thread, through a bounded queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["Prefetch", "prefetch"]

_END = object()


class Prefetch(Generic[T]):
    """Yield from ``items``, produced in a thread at most ``maxsize`` ahead (a bounded queue); an error
    there is raised here, and :meth:`close` (or leaving a ``with`` block) stops the producer and closes
    ``items``. :meth:`ready` says how many items are waiting, so a consumer can work on what it has
    instead of waiting for more."""

    def __init__(self, items: Iterator[T], maxsize: int) -> None:
        self._items = items
        self._q: queue.Queue = queue.Queue(maxsize)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, name="decode", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for x in self._items:
                if not self._put((None, x)):
                    break
            else:
                self._put((None, _END))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            self._put((e, None))
        finally:
            close = getattr(self._items, "close", None)
            if close:
                close()

    def ready(self) -> int:
        """Items produced and not taken yet (the end of the items counts as one)."""
        return self._q.qsize()

    def __iter__(self) -> Prefetch[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        err, x = self._q.get()
        if err is not None:
            self.close()
            raise err
        if x is _END:
            self.close()
            raise StopIteration
        return x

    def close(self) -> None:
        self._done = True
        self._stop.set()
        t = getattr(self, "_thread", None)
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join()

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if not self._done:
            self.close()


def prefetch(items: Iterator[T], maxsize: int) -> Prefetch[T]:
    """``items`` produced ahead in a thread: see :class:`Prefetch`."""
    return Prefetch(items, maxsize)
