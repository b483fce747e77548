"""The reference control plane (SPEC section 7) over real HTTP, and what each call changes."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

import httpx
import pytest


def _after(events: list[dict], ts: str) -> list[dict]:
    return [e for e in events if e["ts"] > ts]


def _trails_started_after(
    events: list[dict], ts: str, deployment: str | None = None
) -> dict[str, list[dict]]:
    trails: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        if "conversation_id" in event:
            trails[event["conversation_id"]].append(event)
    return {
        cid: trail
        for cid, trail in trails.items()
        if trail[0]["type"] == "conversation.start"
        and trail[0]["ts"] > ts
        and (deployment is None or trail[0]["deployment"] == deployment)
    }


def _minus(ts: str, seconds: float) -> str:
    moment = datetime.fromisoformat(ts) - timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _control(events: list[dict], action: str) -> dict:
    (event,) = [e for e in events if e["type"] == "control" and e["action"] == action]
    return event


# ---------------------------------------------------------------- auth and validation


@pytest.mark.parametrize("kind", ["missing", "wrong", "no scheme"])
def test_missing_or_wrong_token_is_401_with_a_reason(fleet, token, kind) -> None:
    headers = {
        "missing": {},
        "wrong": {"Authorization": "Bearer wrong"},
        "no scheme": {"Authorization": token},
    }[kind]
    for method, path in (("GET", "/control/deployments"), ("POST", "/control/memory/purge")):
        reply = httpx.request(method, fleet.base_url + path, headers=headers, json={"customer_id": "x"})
        assert reply.status_code == 401
        assert "token" in reply.json()["error"]
    assert fleet.simulation.platform.memory.count("x") == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/control/deployments/support-assistant/rollback", {}, "to_version"),
        ("/control/deployments/support-assistant/rollback", {"to_version": 41}, "to_version"),
        ("/control/deployments/support-assistant/rollback", {"to_version": "v99"}, "to_version"),
        ("/control/deployments/support-assistant/memory", {"enabled": "no"}, "enabled"),
        ("/control/deployments/support-assistant/memory", {}, "enabled"),
        ("/control/deployments/support-assistant/kill", {"enabled": 1}, "enabled"),
        ("/control/agents/billing-bot/revoke", {"permissions": "refund"}, "permissions"),
        ("/control/agents/billing-bot/revoke", {"permissions": []}, "permissions"),
        ("/control/agents/billing-bot/grant", {"permissions": ["fly"]}, "permissions"),
        ("/control/memory/purge", {"customer_id": 7}, "customer_id"),
        ("/control/memory/purge", {"customer_id": "cus_1", "actor": ["x"]}, "actor"),
        ("/control/memory/purge", [1, 2], "body"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(client, fleet, audit, path, body, field) -> None:
    reply = client.post(path, json=body)
    assert reply.status_code == 400
    assert reply.json()["error"].startswith(f"{field}:")
    assert not [e for e in audit(fleet.audit_log) if e["type"] == "control"]


def test_invalid_json_is_400(client) -> None:
    reply = client.post("/control/deployments/support-assistant/kill", content=b"{enabled: true")
    assert reply.status_code == 400 and reply.json()["error"].startswith("body:")


def test_unknown_deployment_or_agent_is_404(client) -> None:
    assert client.post("/control/deployments/nope/kill", json={"enabled": True}).status_code == 404
    assert client.post("/control/agents/nobody/revoke", json={"permissions": ["refund"]}).status_code == 404
    assert client.get("/control/deployments/nope").status_code == 404
    assert (
        "nope" in client.post("/control/deployments/nope/rollback", json={"to_version": "v1"}).json()["error"]
    )
    assert client.get("/control/nothing").status_code == 404
    assert client.get("/control/memory/purge").status_code == 405


def test_listings(client) -> None:
    deployments = {d["name"]: d for d in client.get("/control/deployments").json()["deployments"]}
    assert set(deployments) == {"support-assistant", "billing-agent", "rag-search"}
    assert deployments["support-assistant"]["version"] == "v41"
    assert deployments["support-assistant"]["memory_enabled"] is True
    assert deployments["billing-agent"]["agent_id"] == "billing-bot"
    (agent,) = client.get("/control/agents").json()["agents"]
    assert agent["agent_id"] == "billing-bot"
    assert agent["permissions"] == ["cancel_subscription", "lookup_order", "refund"]
    assert {t["name"]: t["risk"] for t in agent["tools"]}["refund"] == "high"


# ---------------------------------------------------------------- audit and idempotency


def test_every_change_writes_a_control_event_and_never_the_token(
    client, fleet, audit, check_event, token
) -> None:
    fleet.advance(30)
    calls = [
        (
            "/control/deployments/support-assistant/rollback",
            {"to_version": "v40", "actor": "alice"},
            "rollback",
        ),
        ("/control/deployments/support-assistant/memory", {"enabled": False}, "disable_memory"),
        ("/control/deployments/support-assistant/memory", {"enabled": True}, "enable_memory"),
        ("/control/deployments/rag-search/kill", {"enabled": True, "reason": "injection"}, "kill_switch_on"),
        ("/control/deployments/rag-search/kill", {"enabled": False}, "kill_switch_off"),
        ("/control/agents/billing-bot/revoke", {"permissions": ["refund"]}, "revoke_permissions"),
        ("/control/agents/billing-bot/grant", {"permissions": ["refund"]}, "grant_permissions"),
        ("/control/memory/purge", {"customer_id": "cus_nobody"}, "purge_memory"),
    ]
    for path, body, _ in calls:
        assert client.post(path, json=body).status_code == 200, path
    events = audit(fleet.audit_log)
    controls = [e for e in events if e["type"] == "control"]
    assert [e["action"] for e in controls] == [action for *_, action in calls]
    assert all(check_event(e) == [] for e in controls)
    assert controls[0]["actor"] == "alice" and controls[0]["detail"] == "v41 -> v40"
    assert controls[1]["actor"] == "control-api" and controls[1]["target"] == "support-assistant"
    assert "injection" in controls[3]["detail"]
    (deploy,) = [e for e in events if e["type"] == "deploy"]
    assert (deploy["from_version"], deploy["to_version"], deploy["actor"]) == ("v41", "v40", "alice")
    stamps = [e["ts"] for e in events]
    assert stamps == sorted(stamps)  # control events fit in the traffic's timeline
    assert token not in fleet.audit_log.read_text(encoding="utf-8")


def test_a_repeated_idempotency_key_is_applied_once(client, fleet, audit) -> None:
    headers = {"Idempotency-Key": "run-17:step-2"}
    body = {"to_version": "v42"}
    first = client.post("/control/deployments/support-assistant/rollback", json=body, headers=headers)
    fleet.advance(5)
    client.post("/control/deployments/support-assistant/rollback", json={"to_version": "v41"})
    again = client.post("/control/deployments/support-assistant/rollback", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    events = audit(fleet.audit_log)
    assert [e["to_version"] for e in events if e["type"] == "deploy"] == ["v42", "v41"]
    assert len([e for e in events if e["type"] == "control"]) == 2
    assert client.get("/control/deployments/support-assistant").json()["deployment"]["version"] == "v41"
    reused = client.post("/control/deployments/rag-search/kill", json={"enabled": True}, headers=headers)
    assert reused.status_code == 422


# ---------------------------------------------------------------- what each call changes


def _complaint_rate(trails: dict[str, list[dict]]) -> tuple[int, int]:
    complained = sum(
        any(e["type"] == "feedback" and e["kind"] == "complaint" for e in t) for t in trails.values()
    )
    return complained, len(trails)


def test_rollback_brings_new_conversations_back_to_baseline(make_fleet, connect, audit) -> None:
    fleet = make_fleet("bad-update")
    fleet.advance(600 + 1200)  # 20 minutes on the bad v42
    reply = connect(fleet).post("/control/deployments/support-assistant/rollback", json={"to_version": "v41"})
    assert reply.json()["from_version"] == "v42" and reply.json()["changed"] is True
    fleet.advance(1500)
    events = audit(fleet.audit_log)
    rollback = _control(events, "rollback")
    deploys = [e for e in events if e["type"] == "deploy"]
    assert [(d["to_version"], d["actor"]) for d in deploys] == [
        ("v42", "ci-pipeline"),
        ("v41", "control-api"),
    ]
    on_v42 = {
        cid: t
        for cid, t in _trails_started_after(events, deploys[0]["ts"], "support-assistant").items()
        if t[0]["ts"] < rollback["ts"]
    }
    after = _trails_started_after(events, rollback["ts"], "support-assistant")
    assert {t[0]["model_version"] for t in after.values()} == {"v41"}
    bad_k, bad_n = _complaint_rate(on_v42)
    good_k, good_n = _complaint_rate(after)
    assert bad_n > 1000 and good_n > 1000
    bad, good = bad_k / bad_n, good_k / good_n
    pooled = (bad_k + good_k) / (bad_n + good_n)
    z = (bad - good) / math.sqrt(pooled * (1 - pooled) * (1 / bad_n + 1 / good_n))
    assert z > 4, (bad, good)  # a clear drop, not noise
    assert good < 0.03  # back at the ~1.5% baseline


def test_revoke_stops_every_tool_call_of_that_agent(make_fleet, connect, audit) -> None:
    fleet = make_fleet("rogue-agent")
    fleet.advance(600)
    client = connect(fleet)
    reply = client.post(
        "/control/agents/billing-bot/revoke", json={"permissions": ["refund", "cancel_subscription"]}
    )
    assert reply.json()["agent"]["revoked"] == ["cancel_subscription", "refund"]
    fleet.advance(900)
    client.post("/control/agents/billing-bot/revoke", json={"permissions": ["lookup_order"]})
    fleet.advance(600)
    events = audit(fleet.audit_log)
    first, second = [e for e in events if e["type"] == "control"]
    before = [e for e in events if e["type"] == "tool.call" and e["ts"] < first["ts"]]
    assert any(e["risk"] == "high" and e["outcome"] == "ok" and e["approved_by"] is None for e in before)
    high_after = [e for e in _after(events, first["ts"]) if e["type"] == "tool.call" and e["risk"] == "high"]
    assert high_after
    assert all(e["permission"] == "denied" and e["outcome"] == "blocked" for e in high_after)
    all_after = [e for e in _after(events, second["ts"]) if e["type"] == "tool.call"]
    assert all_after and not [e for e in all_after if e["outcome"] == "ok"]
    assert any(
        e["type"] == "escalation" and "needs human review" in e["reason"] for e in _after(events, first["ts"])
    )


def test_disable_memory_stops_memory_reads(make_fleet, connect, audit) -> None:
    fleet = make_fleet("memory-leak")
    fleet.advance(300)
    connect(fleet).post("/control/deployments/support-assistant/memory", json={"enabled": False})
    fleet.advance(600)
    events = audit(fleet.audit_log)
    off = _control(events, "disable_memory")
    assert any(e["type"] == "memory.read" for e in events if e["ts"] < off["ts"])
    later = _after(events, off["ts"])
    assert not [e for e in later if e["type"] in ("memory.read", "memory.write")]
    starts = [
        e for e in later if e["type"] == "conversation.start" and e["deployment"] == "support-assistant"
    ]
    assert starts and not any(e["memory_enabled"] for e in starts)


def test_kill_switch_escalates_to_humans_without_model_calls(make_fleet, connect, audit) -> None:
    fleet = make_fleet()
    fleet.advance(120)
    client = connect(fleet)
    client.post("/control/deployments/support-assistant/kill", json={"enabled": True})
    fleet.advance(300)
    client.post("/control/deployments/support-assistant/kill", json={"enabled": False})
    fleet.advance(120)
    events = audit(fleet.audit_log)
    on, off = _control(events, "kill_switch_on"), _control(events, "kill_switch_off")
    window_end = _minus(off["ts"], 60)  # so that no customer is still typing when the switch goes off
    killed = {
        cid: t
        for cid, t in _trails_started_after(events, on["ts"], "support-assistant").items()
        if t[0]["ts"] < window_end
    }
    assert len(killed) > 100
    for trail in killed.values():
        assert not [e for e in trail if e["type"] == "model.call"]
        assert [e["reason"] for e in trail if e["type"] == "escalation"] == ["kill switch"]
        assert trail[-1]["type"] == "conversation.end" and trail[-1]["resolved"] is False
    others = _trails_started_after(events, on["ts"], "rag-search")
    assert any(e["type"] == "model.call" for t in others.values() for e in t)  # only that deployment
    back = _trails_started_after(events, off["ts"], "support-assistant")
    assert any(e["type"] == "model.call" for t in back.values() for e in t)


def test_purge_removes_a_customers_memory(make_fleet, connect, audit) -> None:
    fleet = make_fleet()
    fleet.advance(600)
    events = audit(fleet.audit_log)
    remembered: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event["type"] == "memory.read":
            for item in event["items"]:
                remembered[item["origin_customer_id"]].add(item["memory_id"])
    customer, memory_ids = max(remembered.items(), key=lambda pair: len(pair[1]))
    reply = connect(fleet).post("/control/memory/purge", json={"customer_id": customer})
    assert reply.json()["customer_id"] == customer and reply.json()["purged"] >= 1
    fleet.advance(1200)
    events = audit(fleet.audit_log)
    purge = _control(events, "purge_memory")
    assert purge["target"] == customer
    reads_after = [e for e in _after(events, purge["ts"]) if e["type"] == "memory.read"]
    assert reads_after
    assert not [i for e in reads_after for i in e["items"] if i["memory_id"] in memory_ids]
    written_later = {e["memory_id"] for e in _after(events, purge["ts"]) if e["type"] == "memory.write"}
    theirs = [i for e in reads_after for i in e["items"] if i["origin_customer_id"] == customer]
    assert all(i["memory_id"] in written_later for i in theirs)  # only what was remembered since
