"""End to end on the demo fleet's own traffic: the bad update is found, the healthy deployments are quiet."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from kpi_events import Chunk

from connectors.fleet import generate
from console.core.ingest import Ingestor
from console.core.kpi_deploys import BETTER, WORSE
from console.core.kpi_engine import KpiEngine
from console.core.store import Store

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bad_update(tmp_path_factory):
    """20 simulated minutes of the bad-update scenario (support-assistant v42 at 10 min)."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('fleet-kpi') / 'store.db'}")
    lines = [orjson.dumps(e) for e in generate("bad-update", 1, START, duration_s=20 * 60)]
    ingestor = Ingestor(store)
    for i in range(0, len(lines), 5000):
        ingestor.ingest(Chunk(lines[i : i + 5000]))
    yield store
    store.close()


def test_bad_update_is_found_and_healthy_deployments_are_quiet(bad_update):
    snap = KpiEngine(bad_update, clock="data").refresh()
    (comp,) = snap.comparisons
    assert comp.deploy.deployment == "support-assistant" and comp.deploy.to_version == "v42"
    worse = {c.kpi for c in comp.comparisons if c.verdict == WORSE}
    assert "latency_p95_ms" in worse and len(worse) >= 2
    assert [c.kpi for c in comp.comparisons if c.verdict == BETTER] == []
    paged = {a.group.deployment for a in snap.alerts if a.severity == "page"}
    assert "support-assistant" in paged and not paged & {"billing-agent", "rag-search"}
    by_version = {r.group.label: r.values for r in snap.table("1h", "model_version")}
    assert by_version["support-assistant/v42"]["complaint_rate"].state == "breach"
    assert by_version["billing-agent/v17"]["complaint_rate"].state == "ok"
