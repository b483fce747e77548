"""The interpreter settings of a bulk ingest: taken for the run, given back after it."""

from __future__ import annotations

import gc
import sys
import weakref

from console.core import bulk_runtime as rt


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic GC frees it


def test_a_run_turns_automatic_gc_off_and_gives_the_settings_back() -> None:
    assert gc.isenabled()
    interval = sys.getswitchinterval()
    with rt.bulk_runtime():
        assert not gc.isenabled()
        assert sys.getswitchinterval() == rt.SWITCH_INTERVAL_S
        with rt.bulk_runtime():  # a second run in the same process
            pass
        assert not gc.isenabled(), "the first run still needs it off"
    assert gc.isenabled()
    assert sys.getswitchinterval() == interval
    assert gc.get_freeze_count() == 0


def test_a_run_leaves_gc_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with rt.bulk_runtime():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_garbage_in_cycles_is_collected_every_few_chunks() -> None:
    with rt.bulk_runtime():
        node = _Node()
        gone = weakref.ref(node)
        del node
        chunks = rt.collecting(range(rt.GC_EVERY_CHUNKS))
        for _ in range(rt.GC_EVERY_CHUNKS - 1):
            next(chunks)
        assert gone() is not None, "automatic collection is off"
        next(chunks)
        assert gone() is None
