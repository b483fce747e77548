"""`make bench`'s ingest modes, each in a process of its own: every one stores every event of a
small log (a mode that measured nothing would print a rate all the same)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import orjson
import pytest

from bench.bench_ingest import MODES, measure_in_process
from connectors.fleet import generate


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("bench") / "events.jsonl"
    start = datetime(2026, 11, 30, tzinfo=UTC)
    events = itertools.islice(generate("game-day", 11, start, duration_s=10**6), 3000)
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    return str(path)


@pytest.mark.parametrize("mode", MODES)
def test_each_ingest_mode_stores_every_event(log, mode):
    got = measure_in_process("bench.ingest_worker", mode, log)
    assert got["events"] == 3000 and got["seconds"] > 0 and got["rss_mb"] > 0
    if mode.endswith("@1core"):
        assert got["cpus"] == 1
