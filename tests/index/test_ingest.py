"""The chunking thread ahead of the encoder: order kept, its errors raised, stopped when abandoned."""

from __future__ import annotations

import threading

import pytest

from newsbot.index.ingest import _prefetched


def test_steps_arrive_in_order_and_errors_reach_the_caller():
    assert list(_prefetched(iter(range(10)))) == list(range(10))

    def broken():
        yield 1
        raise ValueError("bad article")

    with pytest.raises(ValueError, match="bad article"):
        list(_prefetched(broken()))


def test_an_abandoned_run_stops_its_thread():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    for item in _prefetched(endless()):
        if item == 3:
            break
    assert not any(t.name == "newsbot-chunking" for t in threading.enumerate())
    assert len(produced) < 10
