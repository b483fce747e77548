"""The live engine: an incremental refresh equals a full recompute, and re-queries only what changed."""

from __future__ import annotations

import pytest
from kpi_events import T0, M, S, conversation, crafted, event, ingest

from console.core import kpi_engine
from console.core.kpi import ALL, KPIS, Group
from console.core.kpi_engine import KpiEngine

NOW1 = T0 + 5 * M
NOW2 = T0 + 5 * M + 20 * S


def _later_events() -> list[dict]:
    return [
        *conversation("c8", "support", "v2", T0 + 302 * S, complaint=True, resolved=True, calls=((900, "ok"),)),
        *conversation("c9", "billing", "v7", T0 + 250 * S, escalation=True, calls=((70, "error"),)),
        # A late complaint for c3 (started at T0+65s, bucket 6), and a late model call for c5.
        event("c3", "c3-late", "support", "v1", T0 + 305 * S, type="feedback", kind="complaint"),
        event("c5", "c5-late", "billing", "v7", T0 + 306 * S, type="model.call", model="m", latency_ms=3000,
              status="timeout"),
        # An earlier event of c2 arriving late: c2 now starts at T0-20s, outside the 5m window.
        event("c2", "c2-early", "support", "v1", T0 - 20 * S, type="message.user", text="first"),
    ]  # fmt: skip


def _assert_same(a, b):
    assert a.range == b.range
    groups = [ALL, Group("support"), Group("billing"), Group("support", "v1"), Group("support", "v2")]
    for g in groups:
        assert a.values(g) == b.values(g), g
        for kpi in KPIS:
            assert a.series(kpi, g) == b.series(kpi, g), (g, kpi)


def test_incremental_refresh_equals_full_recompute(store, monkeypatch):
    ingest(store, crafted())
    live = KpiEngine(store)
    first = live.refresh(NOW1)
    assert first.changed
    ingest(store, _later_events())

    calls: list[tuple[int, int, int]] = []
    real = kpi_engine.query_cells

    def spy(store_, rng, a, b):
        calls.append((rng.step_ms, a, b))
        return real(store_, rng, a, b)

    monkeypatch.setattr(kpi_engine, "query_cells", spy)
    second = live.refresh(NOW2)
    incremental = list(calls)
    fresh = KpiEngine(store).refresh(NOW2)
    for name in ("5m", "1h", "24h"):
        _assert_same(second.window(name), fresh.window(name))
    five = second.window("5m").values()
    assert five["conversations"].value == 6  # c2 left, c8 and c9 came, c1 slid out
    assert five["complaint_rate"].numerator == 3  # c3 (late), c6, c8

    def queried(step: int) -> int:
        return sum(b - a + 1 for s, a, b in incremental if s == step)

    assert queried(15 * M) <= 2  # of 96 buckets in 24h
    assert queried(M) <= 8  # of 60 in 1h: T0-1min .. T0+5min
    assert queried(10 * S) < 30

    calls.clear()
    third = live.refresh(NOW2)  # nothing new, same time: nothing to do
    assert not third.changed and calls == []
    _assert_same(third.window("1h"), fresh.window("1h"))


def test_window_slides_without_new_events(store):
    ingest(store, crafted())
    live = KpiEngine(store, windows=("5m",))
    live.refresh(NOW1)
    # Forward, mid-bucket, then back in time (a replay's clock): c6 starts at T0+130s, so at
    # T0+135s the current bucket holds it; back at T0+124s the bucket [120s, 130s) must drop c5 (125s).
    for now in (NOW1 + 2 * M, NOW1 + 2 * M + 7 * S, T0 + 135 * S, T0 + 124 * S):
        assert live.refresh(now).window("5m").values() == KpiEngine(store).refresh(now).window("5m").values()


@pytest.mark.parametrize("window", ["30m", "2h"])
def test_extra_windows(store, window):
    ingest(store, crafted())
    snap = KpiEngine(store, windows=(window,)).refresh(NOW1)
    assert set(snap.windows) == {window, "5m", "1h", "24h"}
    assert snap.window(window).values()["conversations"].value == 7
