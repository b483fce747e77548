"""The PromQL connector against a real Prometheus scraping a real demo fleet, and its failure states."""

from __future__ import annotations

import threading
import time

import pytest

from connectors.prometheus import (
    BAD_QUERY,
    FLEET_QUERIES,
    OK,
    STALE,
    UNREACHABLE,
    PollerState,
    PromClient,
    PromPoller,
)
from console.core.config import parse_config
from tests.conftest import free_port

pytestmark = pytest.mark.prometheus
DEPLOYMENTS = {"support-assistant", "billing-agent", "rag-search"}


def _wait_for(client: PromClient, promql: str, timeout: float = 20.0):
    """Prometheus scrapes every second; wait until the first scrapes are in."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.query(promql)
        if r.ok or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


def test_instant_query_returns_fleet_series(fleet_prometheus):
    fleet, prom = fleet_prometheus
    with PromClient(prom.url) as client:
        assert client.ready()
        r = _wait_for(client, "sum by (deployment) (fleet_conversations_total)")
        assert r.state == OK, r.reason
        assert r.result_type == "vector" and r.reason == "" and r.attempts == 1
        by_dep = r.by_label("deployment")
        assert set(by_dep) == DEPLOYMENTS
        assert all(s.last > 0 for s in by_dep.values())
        # The counter holds what the fleet produced: its audit log has the same conversations.
        written = fleet.audit_log.read_text().count('"type":"conversation.start"')
        assert sum(s.last for s in by_dep.values()) == written
        assert by_dep["support-assistant"].name == '{deployment="support-assistant"}'


def test_range_query_and_fleet_kpi_queries(fleet_prometheus):
    _, prom = fleet_prometheus
    with PromClient(prom.url) as client:
        _wait_for(client, "fleet_conversations_total")
        now = time.time()
        r = client.query_range('sum by (version) (fleet_conversations_total{deployment="support-assistant"})',
                               now - 60, now, 1)  # fmt: skip
        assert r.state == OK and r.result_type == "matrix", r.reason
        assert {s.labels["version"] for s in r.series} >= {
            "v41",
            "v42",
        }  # the bad update shows as its own line
        assert all(len(s.points) >= 1 and s.points == tuple(sorted(s.points)) for s in r.series)
        scalar = client.query("1 + 1")
        assert (scalar.state, scalar.result_type, scalar.scalar) == (OK, "scalar", 2.0)
        for name, promql in FLEET_QUERIES.items():  # every shipped query parses and runs
            assert client.query(promql).state in (OK, STALE), name


def test_bad_query_against_the_real_server(fleet_prometheus):
    _, prom = fleet_prometheus
    with PromClient(prom.url) as client:
        r = client.query("sum by (deployment (fleet_conversations_total")
        assert r.state == BAD_QUERY and r.attempts == 1  # never retried
        assert r.reason.startswith("bad_data: ") and "parse error" in r.reason
        r = client.query_range("fleet_conversations_total", time.time() - 60, time.time(), 0)
        assert r.state == BAD_QUERY


def test_no_data_is_stale(fleet_prometheus):
    _, prom = fleet_prometheus
    with PromClient(prom.url) as client:
        r = client.query("fleet_metric_that_does_not_exist_total")
        assert r.state == STALE and "no data" in r.reason
        # A range reaching 10 min into the future: with Prometheus' 5 min look-back, its newest
        # point is at least 5 min before the range's end, far beyond stale_after.
        now = time.time()
        old = PromClient(prom.url, stale_after=5).query_range(
            "fleet_conversations_total", now - 3600, now + 600, 60
        )
        assert old.state == STALE and "old" in old.reason


def test_unreachable_after_bounded_retries():
    waits: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with PromClient(url, retries=2, backoff=0.1, sleep=waits.append) as client:
        r = client.query("up")
        assert r.state == UNREACHABLE and r.attempts == 3
        assert r.reason.startswith(f"cannot reach {url}/api/v1/query")
        assert waits == [0.1, 0.2]  # exponential backoff between the three attempts
        assert not client.ready()


def test_not_a_prometheus_api(fleet_prometheus):
    fleet, _ = fleet_prometheus
    with PromClient(f"{fleet.base_url}/nowhere", retries=0) as client:
        r = client.query("up")
        assert r.state == UNREACHABLE and "not a Prometheus API answer" in r.reason and "HTTP 404" in r.reason


def test_poller_keeps_state_and_last_good_series(fleet_prometheus):
    _, prom = fleet_prometheus
    updates: list[PollerState] = []
    got = threading.Event()

    def on_update(state: PollerState) -> None:
        updates.append(state)
        got.set()

    with PromClient(prom.url) as warm:
        _wait_for(warm, "fleet_conversations_total")
    poller = PromPoller(
        PromClient(prom.url),
        {"conversations": "sum by (deployment) (fleet_conversations_total)", "broken": "sum(("},
        interval=0.2,
        range_s=60,
        on_update=on_update,
    )
    poller.start()
    try:
        assert got.wait(10)
    finally:
        poller.stop()
    state = updates[-1]
    assert state.results["conversations"].state == OK
    assert state.results["broken"].state == BAD_QUERY
    assert state.state == BAD_QUERY and set(state.reasons()) == {"broken"}
    assert poller.state is updates[-1]


def test_poller_keeps_the_last_good_series_when_the_server_goes(fleet_prometheus):
    _, prom = fleet_prometheus
    poller = PromPoller(
        PromClient(prom.url), {"conversations": "sum(fleet_conversations_total)"}, range_s=None
    )
    _wait_for(poller.client, "sum(fleet_conversations_total)")
    good = poller.poll_once().results["conversations"]
    assert good.state == OK and good.series
    poller.client.close()
    poller.client = PromClient(f"http://127.0.0.1:{free_port()}", retries=0)
    failed = poller.poll_once().results["conversations"]
    assert failed.state == UNREACHABLE and failed.reason.startswith("cannot reach")
    assert failed.series == good.series and failed.data_at == good.data_at < failed.checked_at
    assert poller.state.polls == 2
    poller.stop()


def test_poller_from_config():
    cfg = parse_config(
        "prometheus:\n  url: http://127.0.0.1:9\n  queries:\n    complaint_rate: sum(rate(fleet_complaints_total[5m]))\n"
    )
    poller = PromPoller.from_config(cfg, range_s=None)
    assert poller is not None and poller.queries == {
        "complaint_rate": "sum(rate(fleet_complaints_total[5m]))"
    }
    poller.client.close()
    assert PromPoller.from_config(parse_config("environment: x\n")) is None
