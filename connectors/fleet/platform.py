"""The state of the simulated AI platform: deployments, their versions, the agent, customer memory.

The traffic generator reads it for every conversation, the control plane changes it, and the
model endpoint answers from it. Nothing here is thread-safe by itself: the owner (``Simulation``
offline, ``Fleet`` live) serialises access.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from connectors.fleet.content import Customer, aws_access_key, make_customers
from connectors.fleet.dialogue import remembered_fact

# The incidents a scenario can switch on; a bad update is a deploy, not a flag.
INCIDENTS = ("injection-campaign", "memory-leak", "rogue-agent")


@dataclass(frozen=True, slots=True)
class VersionProfile:
    """How one model version behaves. Rates are per conversation unless they say per answer."""

    model: str
    latency_ms: float  # median model-call latency
    error_rate: float  # per model call
    timeout_rate: float  # per model call
    ungrounded_rate: float  # per answer
    complaint_rate: float  # before anything goes wrong in the conversation
    escalation_rate: float  # before anything goes wrong in the conversation
    obeys_injection: float  # chance to follow an instruction injected into its context


@dataclass(slots=True)
class Deployment:
    name: str
    description: str
    versions: dict[str, VersionProfile]
    version: str
    memory_supported: bool = False
    memory_enabled: bool = False
    killed: bool = False
    agent_id: str | None = None

    @property
    def profile(self) -> VersionProfile:
        return self.versions[self.version]

    def view(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "model": self.profile.model,
            "versions": list(self.versions),
            "memory_supported": self.memory_supported,
            "memory_enabled": self.memory_enabled,
            "killed": self.killed,
            "agent_id": self.agent_id,
        }


@dataclass(slots=True)
class Agent:
    agent_id: str
    deployment: str
    tools: dict[str, str]  # tool name -> risk (low | high)
    permissions: set[str]

    def view(self) -> dict:
        return {
            "agent_id": self.agent_id,
            "deployment": self.deployment,
            "tools": [{"name": name, "risk": risk} for name, risk in self.tools.items()],
            "permissions": sorted(self.permissions),
            "revoked": sorted(set(self.tools) - self.permissions),
        }


@dataclass(frozen=True, slots=True)
class MemoryItem:
    memory_id: str
    text: str
    origin_conversation_id: str
    origin_customer_id: str

    def as_event_item(self) -> dict:
        return {
            "memory_id": self.memory_id,
            "text": self.text,
            "origin_conversation_id": self.origin_conversation_id,
            "origin_customer_id": self.origin_customer_id,
        }


class MemoryStore:
    """Long-term memory, one bucket per customer, the oldest items dropped past a small cap."""

    CAP = 6

    def __init__(self) -> None:
        self._buckets: dict[str, deque[MemoryItem]] = {}

    def read(self, customer_id: str) -> list[MemoryItem]:
        bucket = self._buckets.get(customer_id)
        return list(bucket) if bucket else []

    def write(self, customer_id: str, item: MemoryItem) -> None:
        bucket = self._buckets.get(customer_id)
        if bucket is None:
            bucket = self._buckets[customer_id] = deque(maxlen=self.CAP)
        bucket.append(item)

    def purge(self, customer_id: str) -> int:
        """Remove every item about this customer, wherever it ended up; return how many."""
        removed = len(self._buckets.pop(customer_id, ()))
        for bucket in self._buckets.values():
            keep = [item for item in bucket if item.origin_customer_id != customer_id]
            if len(keep) != len(bucket):
                removed += len(bucket) - len(keep)
                bucket.clear()
                bucket.extend(keep)
        return removed

    def count(self, customer_id: str) -> int:
        return len(self._buckets.get(customer_id, ()))


SUPPORT_VERSIONS = {
    "v40": VersionProfile("acme-assist-2026-08", 720, 0.005, 0.002, 0.03, 0.018, 0.035, 0.15),
    "v41": VersionProfile("acme-assist-2026-10", 650, 0.004, 0.001, 0.02, 0.012, 0.03, 0.12),
    # The bad update: slower, flakier and much more prone to making things up.
    "v42": VersionProfile("acme-assist-2026-11", 1350, 0.02, 0.008, 0.2, 0.04, 0.08, 0.25),
}
BILLING_VERSIONS = {
    "v16": VersionProfile("acme-agent-2026-07", 900, 0.004, 0.002, 0.02, 0.015, 0.04, 0.1),
    "v17": VersionProfile("acme-agent-2026-09", 850, 0.004, 0.001, 0.02, 0.012, 0.035, 0.1),
}
RAG_VERSIONS = {
    # v7 ships the hardened prompt that treats retrieved text as data; v8 dropped it by mistake.
    "v7": VersionProfile("acme-search-2026-06", 520, 0.003, 0.001, 0.04, 0.012, 0.02, 0.02),
    "v8": VersionProfile("acme-search-2026-10", 480, 0.003, 0.001, 0.03, 0.01, 0.02, 0.55),
}

BILLING_TOOLS = {"lookup_order": "low", "refund": "high", "cancel_subscription": "high"}


@dataclass(slots=True)
class Platform:
    deployments: dict[str, Deployment]
    agents: dict[str, Agent]
    customers: list[Customer]
    memory: MemoryStore = field(default_factory=MemoryStore)
    incidents: set[str] = field(default_factory=set)
    # Planted in the support assistant's system prompt: a leak of it is a secret leak.
    system_secret: str = ""
    _by_id: dict[str, Customer] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {customer.customer_id: customer for customer in self.customers}

    @classmethod
    def initial(cls, rng: random.Random, customers: int = 400) -> Platform:
        deployments = {
            "support-assistant": Deployment(
                "support-assistant",
                "Customer support chat with long-term memory",
                SUPPORT_VERSIONS,
                "v41",
                memory_supported=True,
                memory_enabled=True,
            ),
            "billing-agent": Deployment(
                "billing-agent",
                "Agent that looks up orders, refunds and cancels subscriptions",
                BILLING_VERSIONS,
                "v17",
                agent_id="billing-bot",
            ),
            "rag-search": Deployment(
                "rag-search", "Help-centre search answering from retrieved documents", RAG_VERSIONS, "v8"
            ),
        }
        agents = {
            "billing-bot": Agent("billing-bot", "billing-agent", dict(BILLING_TOOLS), set(BILLING_TOOLS))
        }
        platform = cls(deployments, agents, make_customers(rng, customers), system_secret=aws_access_key(rng))
        for n, customer in enumerate(platform.customers):  # what earlier conversations left behind
            for k in range(rng.choice((0, 1, 1, 2))):
                origin = f"conv-history-{n:04d}{k}"
                text = remembered_fact(rng, customer)
                platform.memory.write(
                    customer.customer_id, MemoryItem(f"mem-{origin}", text, origin, customer.customer_id)
                )
        return platform

    def customer(self, customer_id: str) -> Customer | None:
        return self._by_id.get(customer_id)
