"""Benchmark inputs, generated once per run into a cache directory (same seed, same bytes)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE = Path(os.environ.get("TRUSTOPS_BENCH_CACHE", Path(__file__).resolve().parent.parent / ".bench-cache"))


def events_file(count: int, *, seed: int = 11, random_ids: bool = False) -> Path:
    """A JSONL audit log of ``count`` events from the demo fleet's generator (game-day: every
    incident class, so the detectors have real work). Its event ids follow time, as counters,
    ULIDs and UUIDv7 do; with ``random_ids``, they are random UUIDs (v4) instead, as many
    producers write them."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fleet-game-day-{count}-{seed}{'-uuid4' if random_ids else ''}.jsonl"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    import itertools
    import random
    import uuid
    from datetime import UTC, datetime

    import orjson

    from connectors.fleet import generate

    start = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    ids = random.Random(seed)
    with open(tmp, "wb") as fh:
        buf = []
        for event in itertools.islice(generate("game-day", seed, start, duration_s=10**7), count):
            if random_ids:
                event["id"] = str(uuid.UUID(int=ids.getrandbits(128), version=4))
            buf.append(orjson.dumps(event))
            if len(buf) >= 10_000:
                fh.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            fh.write(b"\n".join(buf) + b"\n")
    tmp.rename(path)
    return path
