"""Scenarios: timed scripts of what goes wrong, and how each incident is ended.

A scenario only starts trouble. Ending it is the on-call engineer's job, through the control plane
(the ``fix`` line says which call), exactly as a game day would run it.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnknownScenario(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Step:
    """At ``at_s`` simulated seconds: deploy ``target`` to ``version``, or start/stop an incident."""

    at_s: float
    action: str  # deploy | start | stop
    target: str
    version: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    description: str
    fix: str
    steps: tuple[Step, ...] = ()


_SCENARIOS = (
    Scenario(
        "calm",
        "A quiet day",
        "Ordinary traffic on all three deployments: baseline rates for every KPI.",
        "Nothing to fix.",
    ),
    Scenario(
        "bad-update",
        "A model update that doubles complaints",
        "After 10 simulated minutes CI deploys support-assistant v42. Complaints, escalations, latency, "
        "errors and ungrounded answers rise sharply on v42.",
        "Roll support-assistant back to v41 (POST /control/deployments/support-assistant/rollback).",
        (Step(600, "deploy", "support-assistant", "v42"),),
    ),
    Scenario(
        "injection-campaign",
        "A prompt-injection campaign",
        "From minute 2, poisoned public web pages enter the rag-search index and users send jailbreaks "
        "in several languages, some hidden with zero-width, tag or bidi characters. rag-search v8 follows them.",
        "Roll rag-search back to the hardened v7, or pull its kill switch.",
        (Step(120, "start", "injection-campaign"),),
    ),
    Scenario(
        "memory-leak",
        "Memory resurfaces another customer's details",
        "From minute 2, a bad cache key makes support-assistant read another customer's memory and "
        "repeat their email or phone number.",
        "Disable memory on support-assistant; purge the affected customers' memory.",
        (Step(120, "start", "memory-leak"),),
    ),
    Scenario(
        "rogue-agent",
        "An agent that refunds and cancels without approval",
        "From minute 2, billing-bot skips the human approval for refunds and cancellations, and sometimes "
        "cancels subscriptions nobody asked it to touch.",
        "Revoke billing-bot's refund and cancel_subscription permissions.",
        (Step(120, "start", "rogue-agent"),),
    ),
    Scenario(
        "game-day",
        "Game day: one incident after another",
        "Calm for 5 minutes, then: the v42 update (5 min), an injection campaign (12 min, over by 35 min), "
        "the memory leak (20 min) and the rogue agent (28 min). Each stays until fixed.",
        "Each incident's own fix, in any order.",
        (
            Step(300, "deploy", "support-assistant", "v42"),
            Step(720, "start", "injection-campaign"),
            Step(1200, "start", "memory-leak"),
            Step(1680, "start", "rogue-agent"),
            Step(2100, "stop", "injection-campaign"),
        ),
    ),
)
_BY_NAME = {scenario.name: scenario for scenario in _SCENARIOS}


def scenarios() -> list[Scenario]:
    return list(_SCENARIOS)


def scenario_names() -> list[str]:
    return [scenario.name for scenario in _SCENARIOS]


def get_scenario(name: str) -> Scenario:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownScenario(f"unknown scenario {name!r} (choose from {', '.join(_BY_NAME)})") from None
