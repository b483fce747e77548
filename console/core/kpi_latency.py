"""Model-call latency as fixed, log-spaced histograms: rolled up at ingest, merged and read as p95.

A per-call latency cannot be read back from millions of event bodies fast enough, so ingest
counts each newly stored ``model.call`` into ``latency_rollup(slot_ms, deployment, model_version,
bucket, calls)``: 10 s slots (fine enough for the 5-minute pane's 10 s buckets), eight buckets per
doubling of latency (each about 9 % wide). Counts only ever add up, and only events that were
actually inserted reach the roll-up, so re-ingesting or resuming never counts a call twice.
Quantiles are read like Prometheus' ``histogram_quantile``: linear interpolation inside the bucket
that holds the rank, so the error is below one bucket's width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

SLOT_MS = 10_000
PER_OCTAVE = 8
MAX_BUCKET = PER_OCTAVE * 24  # 2^24 ms ≈ 4.7 h: anything slower shares the last bucket
_TOP_MS = 2.0 ** (MAX_BUCKET / PER_OCTAVE)
_log2 = math.log2

LatencyKey = tuple[int, str, str, int]  # slot_ms, deployment, model_version, bucket


def bucket_of(latency_ms: float) -> int:
    """The histogram bucket of one latency; below 1 ms (and nonsense such as NaN) is bucket 0."""
    if latency_ms >= 1.0:
        if latency_ms < _TOP_MS:
            return int(_log2(latency_ms) * PER_OCTAVE)
        return MAX_BUCKET
    return 0


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """The latencies (ms) bucket ``bucket`` holds: [lower, upper); the last bucket is open-ended."""
    lower = 0.0 if bucket <= 0 else 2.0 ** (bucket / PER_OCTAVE)
    upper = math.inf if bucket >= MAX_BUCKET else 2.0 ** ((bucket + 1) / PER_OCTAVE)
    return lower, upper


def add_latency(acc: dict[LatencyKey, int], ev) -> None:
    """Count one stored ``model.call`` event into a chunk's roll-up (ingest hot path)."""
    ts = ev.ts_ms
    key = (ts - ts % SLOT_MS, ev.deployment, ev.model_version, bucket_of(ev.msg.latency_ms))
    acc[key] = acc.get(key, 0) + 1


def merge(hists: Iterable[Mapping[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for h in hists:
        for b, n in h.items():
            out[b] = out.get(b, 0) + n
    return out


def _locate(hist: Mapping[int, int], q: float) -> tuple[int, int, int, float] | None:
    """Where the q-quantile's rank falls: (bucket, calls below it, calls in it, rank)."""
    total = sum(hist.values())
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for b in sorted(hist):
        n = hist[b]
        if n > 0 and seen + n >= rank:
            return b, seen, n, rank
        seen += n
    return max(hist), seen, 0, rank


def quantile(hist: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0 < q < 1) of a histogram in ms, or None when it holds no call."""
    where = _locate(hist, q)
    if where is None:
        return None
    b, below, n, rank = where
    lower, upper = bucket_bounds(b)
    if n == 0 or math.isinf(upper):
        return lower
    return lower + (upper - lower) * (rank - below) / n


def count_above(hist: Mapping[int, int], bucket: int) -> int:
    """Calls in buckets strictly above ``bucket``."""
    return sum(n for b, n in hist.items() if b > bucket)


def quantile_bucket(hist: Mapping[int, int], q: float) -> int | None:
    """The bucket holding the q-quantile's rank."""
    where = _locate(hist, q)
    return None if where is None else where[0]
