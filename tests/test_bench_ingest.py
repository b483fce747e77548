"""`make bench`'s ingest modes, each in a process of its own: every one stores every event of a
small log (a mode that measured nothing would print a rate all the same); and the one-core
breakdown, `python -m bench.one_core`."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from bench.bench_ingest import MODES, measure_in_process
from connectors.fleet import generate

ROOT = Path(__file__).resolve().parent.parent


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


def test_one_core_breakdown_times_every_stage(tmp_path):
    """`python -m bench.one_core`: every stage of a one-core ingest with a time, and the total
    against the floor (a renamed stage function would make it fail, not measure nothing)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.one_core", "--events", "3000"],
        cwd=ROOT,
        env={**os.environ, "TRUSTOPS_BENCH_CACHE": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    times = dict(re.findall(r"^  (\S.*?) +(\d+\.\d\d)  +\d+%$", out, re.M))
    times.update(re.findall(r"^  (floor \(orjson \+ bare insert\)) +(\d+\.\d\d)$", out, re.M))
    assert set(times) == {
        "floor (orjson + bare insert)",
        "read",
        "parse and validate",
        "roll-ups",
        "insert parameters",
        "screening for the detectors",
        "detectors' scan",
        "findings added",
        "store writes",
        "freeing",
    }
    assert float(times["detectors' scan"]) > 0 and float(times["store writes"]) > 0
    [total] = re.findall(r"^  total +(\d+\.\d\d)  \d+\.\d\d× the floor$", out, re.M)
    # the split by what the work is per: the part not per event and the Python per event add up
    [bound] = re.findall(r"^  not per event: read, decoding, rules, store writes +(\d+\.\d\d)  ", out, re.M)
    [per_event] = re.findall(r"^  Python per event: the rest +(-?\d+\.\d\d)$", out, re.M)
    assert abs(float(bound) + float(per_event) - float(total)) <= 0.02
    assert re.search(
        r"^  the rules, on each string's first sight \(of detectors' scan\) +\d+\.\d\d$", out, re.M
    )
    assert re.search(r"^  what 2\.5× the floor leaves for it +-?\d+\.\d\d$", out, re.M)
