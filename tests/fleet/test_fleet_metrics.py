"""/metrics: valid Prometheus text exposition that follows the traffic, every name documented."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

import connectors.fleet

README = Path(connectors.fleet.__file__).with_name("README.md")


def _scrape(fleet) -> dict[str, dict]:
    reply = httpx.get(fleet.base_url + "/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(reply.text)}
    return {
        name: {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}
        for name, family in families.items()
    }


def _total(samples: dict, sample_name: str, **labels: str) -> float:
    return sum(
        value
        for (name, pairs), value in samples.items()
        if name == sample_name and all(dict(pairs).get(k) == v for k, v in labels.items())
    )


def test_metrics_parse_and_counters_grow_with_traffic(make_fleet, connect) -> None:
    fleet = make_fleet("bad-update")
    before = _scrape(fleet)
    assert _total(before["fleet_conversations"], "fleet_conversations_total") == 0
    assert (
        _total(
            before["fleet_deployment_info"],
            "fleet_deployment_info",
            deployment="support-assistant",
            version="v41",
        )
        == 1
    )
    fleet.advance(900)
    after = _scrape(fleet)
    conversations = _total(after["fleet_conversations"], "fleet_conversations_total")
    assert 2000 < conversations < 3500
    assert _total(after["fleet_complaints"], "fleet_complaints_total", version="v42") > 0
    assert (
        _total(after["fleet_model_call_latency_seconds"], "fleet_model_call_latency_seconds_count")
        > conversations
    )
    assert _total(after["fleet_tool_calls"], "fleet_tool_calls_total", agent="billing-bot", outcome="ok") > 0
    assert (
        _total(
            after["fleet_deployment_info"],
            "fleet_deployment_info",
            deployment="support-assistant",
            version="v42",
        )
        == 1
    )
    connect(fleet).post("/control/deployments/support-assistant/memory", json={"enabled": False})
    final = _scrape(fleet)
    assert _total(final["fleet_memory_enabled"], "fleet_memory_enabled", deployment="support-assistant") == 0
    assert _total(final["fleet_control_actions"], "fleet_control_actions_total", action="disable_memory") == 1


def test_incident_signals_reach_the_metrics(make_fleet) -> None:
    fleet = make_fleet("game-day")
    fleet.advance(2000)
    samples = _scrape(fleet)
    assert _total(samples["fleet_pii_leaks"], "fleet_pii_leaks_total", deployment="support-assistant") > 0
    assert _total(samples["fleet_injections"], "fleet_injections_total", vector="indirect") > 0
    assert _total(samples["fleet_injections"], "fleet_injections_total", vector="direct") > 0
    assert _total(samples["fleet_guardrail_blocks"], "fleet_guardrail_blocks_total", category="injection") > 0
    assert _total(samples["fleet_ungrounded_answers"], "fleet_ungrounded_answers_total", version="v42") > 0
    assert _total(samples["fleet_unapproved_tool_calls"], "fleet_unapproved_tool_calls_total") > 0
    assert _total(samples["fleet_model_errors"], "fleet_model_errors_total") > 0
    assert _total(samples["fleet_escalations"], "fleet_escalations_total") > 0


def test_every_metric_is_documented(fleet) -> None:
    documented = README.read_text(encoding="utf-8")
    names = set(_scrape(fleet))
    assert names and all(name.startswith("fleet_") for name in names)
    names = {name.removesuffix("_created") for name in names}  # prometheus_client's creation timestamps
    assert [name for name in sorted(names) if name not in documented] == []
