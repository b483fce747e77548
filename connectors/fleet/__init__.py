"""The built-in demo environment: a simulated AI customer-experience platform ("fleet").

Offline, ``generate`` yields a deterministic stream of SPEC section 3 audit events. Live,
``Fleet`` serves the same simulation on 127.0.0.1: an OpenAI-compatible model endpoint,
Prometheus ``/metrics``, the reference control plane of SPEC section 7, and a JSONL audit log.
See README.md beside this file.
"""

from connectors.fleet.scenarios import Scenario, UnknownScenario, get_scenario, scenario_names, scenarios
from connectors.fleet.service import Fleet, FleetError
from connectors.fleet.simulation import Simulation, generate

__all__ = [
    "Fleet",
    "FleetError",
    "Scenario",
    "Simulation",
    "UnknownScenario",
    "generate",
    "get_scenario",
    "scenario_names",
    "scenarios",
]
