"""Benchmark inputs, generated once per run into a cache directory (same seed, same bytes)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE = Path(os.environ.get("TRUSTOPS_BENCH_CACHE", Path(__file__).resolve().parent.parent / ".bench-cache"))


def events_file(count: int, *, seed: int = 11) -> Path:
    """A JSONL audit log of ``count`` events from the demo fleet's generator."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"events-{count}-{seed}.jsonl"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    from tests.eventgen import lines

    with open(tmp, "wb") as fh:
        buf = []
        for line in lines(count, seed):
            buf.append(line)
            if len(buf) >= 10_000:
                fh.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            fh.write(b"\n".join(buf) + b"\n")
    tmp.rename(path)
    return path
