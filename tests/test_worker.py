"""The bounded decode-ahead queue of the visual lane."""

import itertools
import threading

import pytest

from videokb.ingest.prefetch import prefetch


def test_prefetch_yields_everything_in_order():
    assert list(prefetch(iter(range(1000)), 3)) == list(range(1000))


def test_prefetch_raises_the_producers_error_here():
    def broken():
        yield 1
        raise ValueError("decoding failed at 3.0s")

    got = []
    with pytest.raises(ValueError, match="decoding failed"):
        for x in prefetch(broken(), 2):
            got.append(x)
    assert got == [1]


def test_prefetch_stays_bounded_and_stopping_early_closes_the_producer():
    maxsize = 4
    # With n items taken, at most n + maxsize + 1 exist: maxsize queued, one in the producer's hand. While
    # next() runs, its get() frees a slot before `taken` counts it: one more of slack.
    taken = 0
    produced: list[int] = []
    overran: list[tuple[int, int]] = []
    changed = threading.Condition()
    closed = threading.Event()

    def endless():
        try:
            for i in itertools.count():
                with changed:
                    if i + 1 > taken + maxsize + 2:  # checked as each item is made: no sleep, no race
                        overran.append((i, taken))
                    produced.append(i)
                    changed.notify_all()
                yield i
        finally:
            closed.set()

    it = prefetch(endless(), maxsize)
    for n in range(1, 6):
        assert next(it) == n - 1
        with changed:
            taken = n
            # The producer does run ahead, as far as the bound allows...
            assert changed.wait_for(lambda: len(produced) >= taken + maxsize + 1, timeout=10)
    it.close()
    assert closed.wait(10)
    # ...and never past it, checked at every item it made.
    assert overran == []
