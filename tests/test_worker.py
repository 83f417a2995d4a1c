"""The bounded decode-ahead queue of the visual lane."""

import itertools
import threading

import pytest

from videokb.ingest.worker import prefetch


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
    produced = []
    closed = threading.Event()

    def endless():
        try:
            for i in itertools.count():
                produced.append(i)
                yield i
        finally:
            closed.set()

    it = prefetch(endless(), 4)
    assert next(it) == 0
    # The producer runs at most the queue's size (+1 in hand) ahead of the consumer.
    threading.Event().wait(0.3)
    assert len(produced) <= 1 + 4 + 1
    it.close()
    assert closed.wait(5)
