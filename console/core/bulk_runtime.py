"""The interpreter tuned for a bulk ingest: cyclic GC and the GIL switch interval.

Process-wide settings, so they are taken and given back with a count of the runs using them;
and how many CPUs the process may use, which decides how a bulk ingest splits its stages.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

GC_EVERY_CHUNKS = 64  # chunks between full cyclic-GC passes during a run (automatic GC is off then)
SWITCH_INTERVAL_S = 0.0005  # the GIL switch interval during a run (Python's default: 0.005)
T = TypeVar("T")

_lock = threading.Lock()
_users = 0
_before: tuple[bool, float] = (True, 0.0)


@contextmanager
def bulk_runtime() -> Iterator[None]:
    """The interpreter tuned for a bulk ingest, process-wide (the first run in sets it, the last
    one out restores it):

    - no automatic cyclic-GC passes (:func:`collecting` runs one every few chunks instead): a
      chunk's objects live one chunk and form no cycles, but automatic passes scan them again and
      again as they are promoted (`perf`: 2 % of a bulk ingest's CPU); the long-lived objects
      from before (imports, caches) are frozen out of the passes that remain;
    - a shorter GIL switch interval: the writer thread wants the GIL back after every database
      step, and would otherwise wait up to 5 ms for the parsing thread to let go of it.
    """
    global _users, _before
    with _lock:
        if _users == 0:
            _before = (gc.isenabled(), sys.getswitchinterval())
            gc.freeze()
            gc.disable()
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                if _before[0]:
                    gc.enable()
                sys.setswitchinterval(_before[1])
                gc.unfreeze()


def collecting(chunks: Iterable[T]) -> Iterator[T]:
    """The chunks, with a full cyclic-GC pass every ``GC_EVERY_CHUNKS`` of them: garbage in
    cycles, should any code make some, stays bounded while automatic passes are off."""
    for n, chunk in enumerate(chunks, 1):
        if n % GC_EVERY_CHUNKS == 0:
            gc.collect()
        yield chunk


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
