"""The latency roll-up: log-spaced buckets, p95 within a bucket, and counts that never double."""

from __future__ import annotations

import random

import pytest
from kpi_events import crafted, ingest

from console.core import kpi_latency
from console.core.kpi_latency import bucket_bounds, bucket_of, quantile


def test_buckets_are_log_spaced_and_total():
    assert bucket_of(0) == bucket_of(0.5) == bucket_of(-3) == bucket_of(float("nan")) == 0
    assert bucket_of(1.0) == 0 and bucket_of(2.0) == kpi_latency.PER_OCTAVE
    assert bucket_of(float("inf")) == bucket_of(1e12) == kpi_latency.MAX_BUCKET
    for ms in (1.5, 37.0, 812.5, 1600.0, 59_999.0):
        lower, upper = bucket_bounds(bucket_of(ms))
        assert lower <= ms < upper and upper / lower == pytest.approx(2 ** (1 / 8))


def test_p95_is_within_one_bucket_of_the_exact_value():
    rng = random.Random(3)
    sample = [400 * rng.lognormvariate(0, 0.6) for _ in range(20_000)]
    hist: dict[int, int] = {}
    for ms in sample:
        hist[bucket_of(ms)] = hist.get(bucket_of(ms), 0) + 1
    exact = sorted(sample)[int(0.95 * len(sample))]
    assert quantile(hist, 0.95) == pytest.approx(exact, rel=0.05)
    assert quantile({}, 0.95) is None


def test_reingesting_never_counts_a_call_twice(store):
    events = crafted()
    ingest(store, events)
    ingest(store, events)  # the same ids again: duplicates, nothing reaches the roll-up
    ingest(store, events[5:20], chunk=4)  # overlapping chunks
    calls = sum(1 for e in events if e["type"] == "model.call")
    assert int(store.scalar("SELECT sum(calls) FROM latency_rollup")) == calls == 9
    rows = store.query(
        "SELECT deployment, model_version, sum(calls) FROM latency_rollup GROUP BY 1, 2 ORDER BY 1, 2"
    )
    assert [(r[0], r[1], int(r[2])) for r in rows] == [
        ("billing", "v7", 2),
        ("support", "v1", 5),
        ("support", "v2", 2),
    ]
