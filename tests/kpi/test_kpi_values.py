"""KPI values against hand-counted expectations, windows, buckets and grouping, on SQLite and PostgreSQL.

The crafted set (kpi_events.crafted), all numbers counted by hand:

    conv  deployment/version  start    what happens
    c1    support/v1          T0       complaint, not resolved, calls 100+200 ms, 2 answers
    c2    support/v1          T0+5s    thumbs down, resolved, one call 300 ms (error), 1 ungrounded
    c3    support/v1          T0+65s   escalation, injection, call 400 ms, never ended
    c4    support/v2          T0+70s   PII leak, secret, guardrail block, resolved, calls 800 (timeout)
                                       + 1600 ms, 2 answers, 2 ungrounded
    c5    billing/v7          T0+125s  tools allowed/denied/allowed, resolved, call 50 ms
    c6    billing/v7          T0+130s  complaint, tool denied, not resolved, call 60 ms, no answer
    c7    support/v1          T0-10min complaint, resolved, call 5000 ms (outside the 5m window)
"""

from __future__ import annotations

import pytest
from kpi_events import T0, M, S, crafted, ingest

from console.core import kpi_latency
from console.core.kpi import ALL, Group, parse_window
from console.core.kpi_engine import KpiEngine, kpi_report
from console.core.kpi_queries import rows_of
from console.core.kpi_slo import SloSet

NOW = T0 + 5 * M

EXPECTED_5M_ALL = {
    "conversations": (6, 6, None),
    "complaint_rate": (2 / 6, 2, 6),
    "negative_feedback_rate": (3 / 6, 3, 6),
    "escalation_rate": (1 / 6, 1, 6),
    "injection_rate": (1 / 6, 1, 6),
    "pii_leak_rate": (1 / 6, 1, 6),
    "secret_leaks": (1, 1, 6),
    "unauthorized_tool_rate": (2 / 4, 2, 4),
    "guardrail_block_rate": (1 / 6, 1, 6),
    "ungrounded_rate": (3 / 7, 3, 7),
    "error_rate": (2 / 8, 2, 8),
    "resolution_rate": (3 / 5, 3, 5),
}


@pytest.fixture
def loaded(store):
    ingest(store, crafted())
    return store


def _check(values, expected):
    for kpi, (value, num, den) in expected.items():
        v = values[kpi]
        assert (v.value, v.numerator, v.denominator) == pytest.approx((value, num, den)), kpi


def _same_bucket(value: float, latency: float) -> bool:
    return kpi_latency.bucket_of(value) == kpi_latency.bucket_of(latency)


def test_overall_values_over_5m(loaded):
    values = kpi_report(loaded, window="5m", now_ms=NOW).rows[0].values
    _check(values, EXPECTED_5M_ALL)
    p95 = values["latency_p95_ms"]
    assert p95.denominator == 8 and p95.numerator is None
    assert _same_bucket(p95.value, 1600)  # rank 7.6 of 8 calls lands on the slowest, 1600 ms


def test_per_deployment_and_version(loaded):
    report = kpi_report(loaded, window="5m", now_ms=NOW, by="deployment")
    rows = {r.group.label: r.values for r in report.rows}
    assert list(rows) == ["all", "billing", "support"]
    _check(
        rows["support"],
        {
            "conversations": (4, 4, None), "complaint_rate": (1 / 4, 1, 4), "negative_feedback_rate": (2 / 4, 2, 4),
            "unauthorized_tool_rate": (None, 0, 0), "ungrounded_rate": (3 / 6, 3, 6), "error_rate": (2 / 6, 2, 6),
            "resolution_rate": (2 / 3, 2, 3), "secret_leaks": (1, 1, 4),
        },
    )  # fmt: skip
    _check(
        rows["billing"],
        {
            "conversations": (2, 2, None), "complaint_rate": (1 / 2, 1, 2), "unauthorized_tool_rate": (2 / 4, 2, 4),
            "ungrounded_rate": (0, 0, 1), "error_rate": (0, 0, 2), "resolution_rate": (1 / 2, 1, 2),
        },
    )  # fmt: skip
    assert _same_bucket(rows["billing"]["latency_p95_ms"].value, 60)
    assert _same_bucket(rows["support"]["latency_p95_ms"].value, 1600)

    by_version = {
        r.group.label: r.values for r in kpi_report(loaded, window="5m", now_ms=NOW, by="model_version").rows
    }
    assert list(by_version) == ["all", "billing/v7", "support/v1", "support/v2"]
    _check(by_version["support/v1"], {"conversations": (3, 3, None), "complaint_rate": (1 / 3, 1, 3)})
    _check(by_version["support/v2"], {"conversations": (1, 1, None), "pii_leak_rate": (1, 1, 1)})


def test_states_follow_slos(loaded):
    values = kpi_report(loaded, window="5m", now_ms=NOW).rows[0].values
    assert values["complaint_rate"].state == "breach"  # 33 % against 5 %
    assert values["conversations"].state == "none"
    relaxed = SloSet.from_config({"complaint_rate": {"warn": 0.30, "breach": 0.50}})
    assert (
        kpi_report(loaded, window="5m", now_ms=NOW, slos=relaxed).rows[0].values["complaint_rate"].state
        == "warn"
    )


def test_windows_and_custom_range(loaded):
    hour = kpi_report(loaded, window="1h", now_ms=NOW).rows[0].values
    _check(hour, {"conversations": (7, 7, None), "complaint_rate": (3 / 7, 3, 7)})
    assert _same_bucket(hour["latency_p95_ms"].value, 5000)
    # [T0+60s, T0+130s): c3, c4, c5; c6 starts exactly at the end and is out.
    ranged = kpi_report(loaded, since_ms=T0 + 60 * S, until_ms=T0 + 130 * S, now_ms=NOW)
    _check(ranged.rows[0].values, {"conversations": (3, 3, None), "escalation_rate": (1 / 3, 1, 3)})
    assert ranged.data.range.step_ms == 10 * S
    # --until alone: the window that ends there.
    early = kpi_report(loaded, window="5m", until_ms=T0 + M, now_ms=NOW).rows[0].values
    _check(early, {"conversations": (2, 2, None)})


def test_bucket_sizes():
    assert [(parse_window(w).step_ms, parse_window(w).buckets) for w in ("5m", "1h", "24h")] == [
        (10 * S, 30),
        (M, 60),
        (15 * M, 96),
    ]
    r = parse_window("1h").range_at(NOW)
    assert (r.since_ms, r.until_ms) == (NOW - 60 * M, NOW)
    r = parse_window("1h").range_at(NOW + 30 * S)  # mid-bucket: whole buckets, the last one cut at now
    assert (r.since_ms, r.until_ms, r.last - r.first + 1) == (
        NOW + 30 * S - 60 * M - 30 * S + M,
        NOW + 30 * S,
        60,
    )


def test_series_per_bucket(loaded):
    snap = KpiEngine(loaded, clock=lambda: NOW).refresh()
    s = snap.series("5m", "complaint_rate")
    assert len(s.starts) == 30 and s.starts[0] == T0 and s.step_ms == 10 * S
    expected = [None] * 30
    expected[0], expected[6], expected[7], expected[12], expected[13] = 1 / 2, 0.0, 0.0, 0.0, 1.0
    assert list(s.values) == expected
    assert s.denominators[0] == 2 and s.states[13] == "breach"
    billing = snap.series("5m", "unauthorized_tool_rate", Group("billing"))
    assert billing.values[12] == pytest.approx(1 / 3) and billing.values[13] == 1.0
    # The sum of the buckets is the window's value.
    assert snap.window("5m").values(ALL)["complaint_rate"].numerator == 2


def test_packed_rows_are_the_rows(loaded):
    """On SQLite the KPI queries' rows come back packed in one JSON value (``rows_of``): they are
    the query's rows, whatever the values (large integers, NULL, any text), and none is none."""
    text = 'tab\there \x01 \u2028 é ☃ "q" \\ [1, 2]'
    sql = (
        "SELECT deployment, model_version, count(*), sum(flags), max(started_ms) * 1000, "
        "sum(CAST(resolved AS INTEGER)), CAST(NULL AS INTEGER), CAST(? AS TEXT) FROM conversations GROUP BY 1, 2"
    )
    plain = sorted(list(r) for r in loaded.query(sql, [text]))
    assert sorted(list(r) for r in rows_of(loaded, sql, [text], 8)) == plain
    assert len(plain) == 3 and plain[0][-2:] == [None, text] and plain[0][4] > 2**40
    assert rows_of(loaded, "SELECT deployment FROM conversations WHERE started_ms < 0", [], 1) == []
