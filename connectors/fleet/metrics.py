"""Prometheus metrics of the simulated platform, in its own registry (never the global one).

Counters and the latency histogram are fed from the audit events as they are written, plus two
signals only the platform itself knows (a memory read that crossed customers, an injection that
reached a model). Gauges describing the deployments are read from the platform at scrape time.
Every series carries ``deployment`` and ``version`` so a bad update shows up as its own line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from connectors.fleet.platform import Platform

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus scrapes
_DV = ("deployment", "version")
_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)


class _PlatformCollector(Collector):
    """Deployment state as gauges, read under the owner's lock at scrape time."""

    def __init__(self, platform: Platform, lock: AbstractContextManager) -> None:
        self._platform = platform
        self._lock = lock

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            families = self._families()
        yield from families

    def _families(self) -> list[Metric]:
        info = GaugeMetricFamily(
            "fleet_deployment_info", "1 for the version a deployment runs now", labels=_DV
        )
        memory = GaugeMetricFamily(
            "fleet_memory_enabled", "1 when a deployment's memory is on", labels=["deployment"]
        )
        killed = GaugeMetricFamily(
            "fleet_kill_switch", "1 when a deployment is routed to humans", labels=["deployment"]
        )
        for deployment in self._platform.deployments.values():
            info.add_metric([deployment.name, deployment.version], 1)
            memory.add_metric([deployment.name], int(deployment.memory_enabled))
            killed.add_metric([deployment.name], int(deployment.killed))
        permission = GaugeMetricFamily(
            "fleet_agent_permission", "1 when an agent may use a tool", labels=["agent", "tool"]
        )
        for agent in self._platform.agents.values():
            for tool in agent.tools:
                permission.add_metric([agent.agent_id, tool], int(tool in agent.permissions))
        return [info, memory, killed, permission]


class FleetMetrics:
    def __init__(
        self,
        platform: Platform,
        lock: AbstractContextManager | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.conversations = Counter("fleet_conversations", "Conversations started", _DV, registry=r)
        self.complaints = Counter("fleet_complaints", "Complaints from customers", _DV, registry=r)
        self.feedback = Counter("fleet_feedback", "Feedback by kind", (*_DV, "kind"), registry=r)
        self.escalations = Counter("fleet_escalations", "Conversations handed to a human", _DV, registry=r)
        self.model_calls = Counter("fleet_model_calls", "Model calls by status", (*_DV, "status"), registry=r)
        self.errors = Counter(
            "fleet_model_errors", "Model calls that failed or timed out", (*_DV, "status"), registry=r
        )
        self.latency = Histogram(
            "fleet_model_call_latency_seconds",
            "Model call latency",
            _DV,
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tool_calls = Counter(
            "fleet_tool_calls", "Agent tool calls by outcome", (*_DV, "agent", "tool", "outcome"), registry=r
        )
        self.unapproved = Counter(
            "fleet_unapproved_tool_calls",
            "High-risk tool calls executed with no approval",
            (*_DV, "agent", "tool"),
            registry=r,
        )
        self.blocks = Counter(
            "fleet_guardrail_blocks", "Guardrail blocks by category", (*_DV, "category"), registry=r
        )
        self.ungrounded = Counter(
            "fleet_ungrounded_answers", "Answers flagged by the grounding check", _DV, registry=r
        )
        self.pii_leaks = Counter(
            "fleet_pii_leaks", "Another customer's data read into a conversation", _DV, registry=r
        )
        self.injections = Counter(
            "fleet_injections", "Prompt injections reaching a deployment", (*_DV, "vector"), registry=r
        )
        self.control_actions = Counter(
            "fleet_control_actions", "Control-plane changes applied", ("action",), registry=r
        )
        r.register(_PlatformCollector(platform, lock or nullcontext()))
        for deployment in platform.deployments.values():  # zeros from the start, so rate() has a baseline
            for version in deployment.versions:
                for counter in (
                    self.conversations,
                    self.complaints,
                    self.escalations,
                    self.ungrounded,
                    self.pii_leaks,
                ):
                    counter.labels(deployment.name, version)
                self.errors.labels(deployment.name, version, "error")
                self.model_calls.labels(deployment.name, version, "ok")

    def observe(self, event: dict) -> None:
        kind = event["type"]
        if kind == "control":
            self.control_actions.labels(event["action"]).inc()
            return
        if "conversation_id" not in event:
            return
        labels = (event["deployment"], event["model_version"])
        if kind == "conversation.start":
            self.conversations.labels(*labels).inc()
        elif kind == "model.call":
            status = event["status"]
            self.model_calls.labels(*labels, status).inc()
            if status == "ok":
                self.latency.labels(*labels).observe(event["latency_ms"] / 1000)
            else:
                self.errors.labels(*labels, status).inc()
        elif kind == "guardrail":
            if event["verdict"] == "block":
                self.blocks.labels(*labels, event["category"]).inc()
            elif event["category"] == "grounding" and event["verdict"] == "flag":
                self.ungrounded.labels(*labels).inc()
        elif kind == "tool.call":
            self.tool_calls.labels(*labels, event["agent_id"], event["tool"], event["outcome"]).inc()
            if event["risk"] == "high" and event["outcome"] == "ok" and event["approved_by"] is None:
                self.unapproved.labels(*labels, event["agent_id"], event["tool"]).inc()
        elif kind == "feedback":
            self.feedback.labels(*labels, event["kind"]).inc()
            if event["kind"] == "complaint":
                self.complaints.labels(*labels).inc()
        elif kind == "escalation":
            self.escalations.labels(*labels).inc()

    def signal(self, name: str, deployment: str, version: str, label: str) -> None:
        if name == "pii_leak":
            self.pii_leaks.labels(deployment, version).inc()
        elif name == "injection":
            self.injections.labels(deployment, version, label).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
