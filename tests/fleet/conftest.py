"""Fixtures for the demo environment's tests: a real fleet on 127.0.0.1, its audit log, a checker.

Fleets here run at speed 0: simulated time moves only through ``fleet.advance(seconds)``, so a
test drives an hour of traffic in a second or two, deterministically, without sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from connectors.fleet import Fleet

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
TOKEN = "test-control-token-3f9a"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_STR, _BOOL, _INT, _NUM, _OPT_STR, _LIST, _DICT = "str", "bool", "int", "num", "str|null", "list", "dict"
_CONVERSATION_TYPES = {
    "conversation.start": {"customer_id": _STR, "channel": _STR, "memory_enabled": _BOOL},
    "message.user": {"text": _STR},
    "retrieval": {"query": _STR, "documents": _LIST},
    "memory.read": {"items": _LIST},
    "memory.write": {"memory_id": _STR, "text": _STR},
    "model.call": {
        "model": _STR,
        "latency_ms": _NUM,
        "input_tokens": _INT,
        "output_tokens": _INT,
        "status": ("ok", "error", "timeout"),
        "error": _OPT_STR,
    },
    "message.assistant": {"text": _STR},
    "tool.call": {
        "agent_id": _STR,
        "tool": _STR,
        "args": _DICT,
        "risk": ("low", "high"),
        "permission": ("allowed", "denied"),
        "approved_by": _OPT_STR,
        "outcome": ("ok", "error", "blocked"),
    },
    "guardrail": {
        "check": _STR,
        "verdict": ("pass", "flag", "block"),
        "category": _STR,
        "score": _NUM,
        "detail": _STR,
    },
    "feedback": {"kind": ("thumbs_up", "thumbs_down", "complaint", "csat"), "score": _NUM, "text": _STR},
    "escalation": {"reason": _STR},
    "conversation.end": {"resolved": _BOOL},
}
_PLATFORM_TYPES = {
    "deploy": {"deployment": _STR, "from_version": _STR, "to_version": _STR, "actor": _STR},
    "control": {"action": _STR, "target": _STR, "actor": _STR, "detail": _STR},
}
_DOCUMENT = {
    "doc_id": _STR,
    "source": _STR,
    "trust": ("internal", "partner", "public", "user_upload"),
    "text": _STR,
}
_MEMORY_ITEM = {"memory_id": _STR, "text": _STR, "origin_conversation_id": _STR, "origin_customer_id": _STR}
ALL_TYPES = frozenset(_CONVERSATION_TYPES) | frozenset(_PLATFORM_TYPES)


def _fits(value: object, kind: object) -> bool:
    if isinstance(kind, tuple):
        return value in kind
    return {
        _STR: lambda v: isinstance(v, str),
        _BOOL: lambda v: isinstance(v, bool),
        _INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
        _NUM: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        _OPT_STR: lambda v: v is None or isinstance(v, str),
        _LIST: lambda v: isinstance(v, list),
        _DICT: lambda v: isinstance(v, dict),
    }[kind](value)


def _check_fields(obj: dict, spec: dict, where: str) -> list[str]:
    problems = []
    for name, kind in spec.items():
        if name not in obj:
            problems.append(f"{where}: missing {name}")
        elif not _fits(obj[name], kind):
            problems.append(f"{where}: {name}={obj[name]!r} is not {kind}")
    return problems


def spec_problems(event: object) -> list[str]:
    """Everything wrong with one event against SPEC section 3 (empty when it is valid)."""
    if not isinstance(event, dict):
        return ["not an object"]
    problems = _check_fields(event, {"v": _INT, "id": _STR, "ts": _STR, "type": _STR}, "common")
    if problems:
        return problems
    if event["v"] != 1:
        problems.append(f"v={event['v']}")
    if not event["id"]:
        problems.append("empty id")
    if not _RFC3339.match(event["ts"]):
        problems.append(f"ts {event['ts']!r} is not RFC 3339 with a zone")
    else:
        datetime.fromisoformat(event["ts"])
    kind = event["type"]
    if kind in _PLATFORM_TYPES:
        return problems + _check_fields(event, _PLATFORM_TYPES[kind], kind)
    if kind not in _CONVERSATION_TYPES:
        return [*problems, f"unknown type {kind!r}"]
    problems += _check_fields(
        event, {"conversation_id": _STR, "deployment": _STR, "model_version": _STR, "turn": _INT}, kind
    )
    problems += _check_fields(event, _CONVERSATION_TYPES[kind], kind)
    if kind == "retrieval" and isinstance(event.get("documents"), list):
        for i, doc in enumerate(event["documents"]):
            problems += _check_fields(doc, _DOCUMENT, f"documents[{i}]") if isinstance(doc, dict) else ["doc"]
    if kind == "memory.read" and isinstance(event.get("items"), list):
        for i, item in enumerate(event["items"]):
            problems += (
                _check_fields(item, _MEMORY_ITEM, f"items[{i}]") if isinstance(item, dict) else ["item"]
            )
    return problems


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def check_event() -> Callable[[object], list[str]]:
    return spec_problems


def read_audit(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture
def audit() -> Callable[[Path], list[dict]]:
    return read_audit


@pytest.fixture
def make_fleet(tmp_path: Path) -> Iterator[Callable[..., Fleet]]:
    """Start paused fleets (speed 0) with a known token; all stopped at the end of the test."""
    started: list[Fleet] = []

    def make(scenario: str = "calm", seed: int = 1, **kwargs: object) -> Fleet:
        options = {"speed": 0, "token": TOKEN, "start": START, **kwargs}
        fleet = Fleet(scenario, seed, audit_log=tmp_path / f"audit-{len(started)}.jsonl", **options)
        fleet.start()
        started.append(fleet)
        return fleet

    yield make
    for fleet in started:
        fleet.stop()


@pytest.fixture
def fleet(make_fleet: Callable[..., Fleet]) -> Fleet:
    return make_fleet()


@pytest.fixture
def client(fleet: Fleet) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fleet.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c


@pytest.fixture
def connect() -> Iterator[Callable[[Fleet], httpx.Client]]:
    """An authenticated client for any fleet the test made."""
    clients: list[httpx.Client] = []

    def open_client(fleet: Fleet) -> httpx.Client:
        clients.append(
            httpx.Client(base_url=fleet.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        )
        return clients[-1]

    yield open_client
    for c in clients:
        c.close()
