"""The reference control-plane API of SPEC section 7, applied to the simulated platform.

Every request needs ``Authorization: Bearer <token>``. A change is applied at once, under the
owner's lock, and written to the audit log as a ``control`` event (and a rollback also as a
``deploy`` event). A POST may carry an ``Idempotency-Key``: the first successful response is kept
and a retry with the same key gets it back without applying anything again.

Bodies may also carry ``actor`` (who asked, default ``control-api``) and ``reason`` (kept in the
control event's detail). Unknown fields are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

import orjson

from connectors.fleet.platform import Agent, Deployment
from connectors.fleet.replies import Reply, error, json_reply
from connectors.fleet.simulation import Simulation

DEFAULT_ACTOR = "control-api"
_IDEMPOTENCY_KEYS_KEPT = 10_000


class Runtime(Protocol):
    """What the control plane needs from whoever runs the simulation."""

    def now(self) -> AbstractContextManager[Simulation]:
        """Lock the simulation, brought up to the present."""

    def emit(self, event: dict) -> None:
        """Record an event (audit log, metrics); called with the simulation locked."""


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: str  # name of the ControlPlane method
    mutates: bool


def _route(method: str, pattern: str, handler: str) -> _Route:
    return _Route(method, re.compile(f"^/control{pattern}$"), handler, method == "POST")


_ROUTES = (
    _route("GET", "/deployments", "_list_deployments"),
    _route("GET", "/deployments/(?P<name>[^/]+)", "_get_deployment"),
    _route("POST", "/deployments/(?P<name>[^/]+)/rollback", "_rollback"),
    _route("POST", "/deployments/(?P<name>[^/]+)/memory", "_memory"),
    _route("POST", "/deployments/(?P<name>[^/]+)/kill", "_kill"),
    _route("GET", "/agents", "_list_agents"),
    _route("GET", "/agents/(?P<agent_id>[^/]+)", "_get_agent"),
    _route("POST", "/agents/(?P<agent_id>[^/]+)/revoke", "_revoke"),
    _route("POST", "/agents/(?P<agent_id>[^/]+)/grant", "_grant"),
    _route("POST", "/memory/purge", "_purge"),
)


def _field(body: dict, name: str, kind: type, required: bool = True) -> object:
    if name not in body or body[name] is None:
        if required:
            raise BadRequest(400, f"{name}: required")
        return None
    value = body[name]
    # bool is an int in Python; a JSON true is not a valid count, and 1 is not a valid flag.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadRequest(400, f"{name}: must be {_KIND_NAMES[kind]}, got {type(value).__name__}")
    if kind is str and not value.strip():
        raise BadRequest(400, f"{name}: must not be empty")
    return value


_KIND_NAMES = {str: "a string", bool: "true or false", list: "a list of strings"}


class ControlPlane:
    def __init__(self, token: str, runtime: Runtime) -> None:
        self._token = token.encode()
        self._runtime = runtime
        self._replies: OrderedDict[str, tuple[bytes, Reply]] = OrderedDict()

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        denied = self._authenticate(headers.get("Authorization"))
        if denied is not None:
            return denied
        route, params, allowed = self._match(path.split("?", 1)[0], method)
        if route is None:
            if allowed:
                return error(405, f"method {method} not allowed here", {"Allow": ", ".join(allowed)})
            return error(404, f"no such endpoint: {path}")
        key = headers.get("Idempotency-Key") if route.mutates else None
        fingerprint = hashlib.sha256(f"{method} {path}\n".encode() + body).digest()
        with self._runtime.now() as simulation:
            if key:
                kept = self._replies.get(key)
                if kept is not None:
                    if kept[0] != fingerprint:
                        return error(422, "Idempotency-Key was already used for a different request")
                    return Reply(kept[1].status, kept[1].body, headers={"Idempotent-Replayed": "true"})
            try:
                payload = self._json(body) if route.mutates else {}
                handler: Callable[..., object] = getattr(self, route.handler)
                reply = json_reply(200, handler(simulation, payload, **params))
            except BadRequest as problem:
                return error(problem.status, str(problem))
            if key:
                self._replies[key] = (fingerprint, reply)
                if len(self._replies) > _IDEMPOTENCY_KEYS_KEPT:
                    self._replies.popitem(last=False)
            return reply

    def _authenticate(self, header: str | None) -> Reply | None:
        challenge = {"WWW-Authenticate": 'Bearer realm="trustops-fleet"'}
        if not header or not header.startswith("Bearer "):
            return error(401, "missing bearer token (Authorization: Bearer <token>)", challenge)
        if not hmac.compare_digest(header[7:].strip().encode(), self._token):
            return error(401, "invalid bearer token", challenge)
        return None

    @staticmethod
    def _match(path: str, method: str) -> tuple[_Route | None, dict[str, str], list[str]]:
        allowed = []
        for route in _ROUTES:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}, []
            allowed.append(route.method)
        return None, {}, allowed

    @staticmethod
    def _json(body: bytes) -> dict:
        if not body.strip():
            raise BadRequest(400, "body: required, a JSON object")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as problem:
            raise BadRequest(400, f"body: invalid JSON ({problem})") from None
        if not isinstance(payload, dict):
            raise BadRequest(400, "body: must be a JSON object")
        _field(payload, "actor", str, required=False)
        _field(payload, "reason", str, required=False)
        return payload

    # ------------------------------------------------------------ audit

    def _record(self, simulation: Simulation, body: dict, action: str, target: str, detail: str) -> None:
        if body.get("reason"):
            detail += f" (reason: {body['reason']})"
        event = simulation.event(
            "control", action=action, target=target, actor=self._actor(body), detail=detail
        )
        self._runtime.emit(event)

    @staticmethod
    def _actor(body: dict) -> str:
        return body.get("actor") or DEFAULT_ACTOR

    # ------------------------------------------------------------ deployments

    @staticmethod
    def _deployment(simulation: Simulation, name: str) -> Deployment:
        deployment = simulation.platform.deployments.get(name)
        if deployment is None:
            raise BadRequest(404, f"unknown deployment {name!r}")
        return deployment

    def _list_deployments(self, simulation: Simulation, body: dict) -> dict:
        return {"deployments": [d.view() for d in simulation.platform.deployments.values()]}

    def _get_deployment(self, simulation: Simulation, body: dict, name: str) -> dict:
        return {"deployment": self._deployment(simulation, name).view()}

    def _rollback(self, simulation: Simulation, body: dict, name: str) -> dict:
        deployment = self._deployment(simulation, name)
        to_version = _field(body, "to_version", str)
        if to_version not in deployment.versions:
            known = ", ".join(deployment.versions)
            raise BadRequest(400, f"to_version: unknown version {to_version!r} of {name} (known: {known})")
        from_version = deployment.version
        changed = from_version != to_version
        if changed:
            self._runtime.emit(simulation.deploy(name, to_version, self._actor(body)))
        detail = f"{from_version} -> {to_version}" if changed else f"already on {to_version}"
        self._record(simulation, body, "rollback", name, detail)
        return {
            "deployment": deployment.view(),
            "from_version": from_version,
            "to_version": to_version,
            "changed": changed,
        }

    def _memory(self, simulation: Simulation, body: dict, name: str) -> dict:
        deployment = self._deployment(simulation, name)
        enabled = _field(body, "enabled", bool)
        if not deployment.memory_supported:
            raise BadRequest(409, f"enabled: {name} has no memory feature")
        changed = deployment.memory_enabled != enabled
        deployment.memory_enabled = enabled
        action = "enable_memory" if enabled else "disable_memory"
        self._record(simulation, body, action, name, f"memory {'on' if enabled else 'off'}")
        return {"deployment": deployment.view(), "changed": changed}

    def _kill(self, simulation: Simulation, body: dict, name: str) -> dict:
        deployment = self._deployment(simulation, name)
        enabled = _field(body, "enabled", bool)
        changed = deployment.killed != enabled
        deployment.killed = enabled
        if enabled:
            self._record(simulation, body, "kill_switch_on", name, "new turns routed to humans")
        else:
            self._record(simulation, body, "kill_switch_off", name, "traffic back on the model")
        return {"deployment": deployment.view(), "changed": changed}

    # ------------------------------------------------------------ agents

    @staticmethod
    def _agent(simulation: Simulation, agent_id: str) -> Agent:
        agent = simulation.platform.agents.get(agent_id)
        if agent is None:
            raise BadRequest(404, f"unknown agent {agent_id!r}")
        return agent

    @staticmethod
    def _permissions(body: dict, agent: Agent) -> list[str]:
        permissions = _field(body, "permissions", list)
        if not permissions or not all(isinstance(p, str) for p in permissions):
            raise BadRequest(400, "permissions: must be a non-empty list of strings")
        unknown = [p for p in permissions if p not in agent.tools]
        if unknown:
            known = ", ".join(agent.tools)
            raise BadRequest(
                400, f"permissions: unknown {unknown[0]!r} for {agent.agent_id} (known: {known})"
            )
        return list(dict.fromkeys(permissions))

    def _list_agents(self, simulation: Simulation, body: dict) -> dict:
        return {"agents": [a.view() for a in simulation.platform.agents.values()]}

    def _get_agent(self, simulation: Simulation, body: dict, agent_id: str) -> dict:
        return {"agent": self._agent(simulation, agent_id).view()}

    def _revoke(self, simulation: Simulation, body: dict, agent_id: str) -> dict:
        agent = self._agent(simulation, agent_id)
        permissions = self._permissions(body, agent)
        changed = [p for p in permissions if p in agent.permissions]
        agent.permissions.difference_update(permissions)
        self._record(simulation, body, "revoke_permissions", agent_id, "revoked " + ", ".join(permissions))
        return {"agent": agent.view(), "changed": changed}

    def _grant(self, simulation: Simulation, body: dict, agent_id: str) -> dict:
        agent = self._agent(simulation, agent_id)
        permissions = self._permissions(body, agent)
        changed = [p for p in permissions if p not in agent.permissions]
        agent.permissions.update(permissions)
        self._record(simulation, body, "grant_permissions", agent_id, "granted " + ", ".join(permissions))
        return {"agent": agent.view(), "changed": changed}

    # ------------------------------------------------------------ memory

    def _purge(self, simulation: Simulation, body: dict) -> dict:
        customer_id = _field(body, "customer_id", str)
        purged = simulation.platform.memory.purge(customer_id)
        self._record(simulation, body, "purge_memory", customer_id, f"purged {purged} memory items")
        return {"customer_id": customer_id, "purged": purged}
