"""A small, fixed store for the console's tests and screenshots: the demo fleet's offline
generator (fixed scenario, seed and start), ingested with the real detectors, plus two
conversations made of hostile strings and one memory leak between two known customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from connectors.fleet import generate
from connectors.jsonl import Chunk
from console.core.detectors import DetectorSet
from console.core.ingest import Ingestor
from console.core.search import SearchIndex
from console.core.store import Store
from tests.hostile import HOSTILE, everything

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
CLOCK_S = (START + timedelta(hours=1)).timestamp()  # the frozen "now" of the tests
HOSTILE_ID = "conv-hostile"
HOSTILE_IDS_ID = "conv-\x1b[31mids\u202e"  # a conversation whose ids themselves are hostile
LEAK_ID = "conv-leak-reader"
OWNER_ID = "conv-leak-owner"
OWNER = "cus_owner0001"
READER = "cus_reader0002"


def _ts(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _conversation(
    cid: str, customer: str, deployment: str, version: str, t0: float, events: list[dict]
) -> list[dict]:
    out = []
    base = {"v": 1, "conversation_id": cid, "deployment": deployment, "model_version": version}
    start = {
        "type": "conversation.start",
        "turn": 0,
        "customer_id": customer,
        "channel": "web",
        "memory_enabled": True,
    }
    for i, e in enumerate([start, *events]):
        out.append({**base, "id": e.pop("_id", f"{cid}-{i:03d}"), "ts": _ts(t0 + i * 0.5), **e})
    return out


def hostile_events() -> list[dict]:
    h = HOSTILE
    all_ = everything()
    events = [
        {"type": "message.user", "turn": 1, "text": all_ + " my email is jo.hostile@example.com"},
        {"type": "retrieval", "turn": 1, "query": h["markup_click"], "documents": [
            {"doc_id": h["markup_link"], "source": h["osc8_link"], "trust": "public", "text": all_},
            {"doc_id": "kb-ok", "source": "kb/ok.md", "trust": "internal", "text": h["bidi"] + h["tags"]},
        ]},
        {"type": "memory.read", "turn": 1, "items": [
            {"memory_id": h["markup_close"], "text": h["ansi_csi"], "origin_conversation_id": OWNER_ID,
             "origin_customer_id": OWNER},
        ]},
        {"type": "model.call", "turn": 1, "model": h["markup_style"], "latency_ms": 900, "input_tokens": 10,
         "output_tokens": 20, "status": "error", "error": h["osc52_clipboard"]},
        {"type": "message.assistant", "turn": 1, "text": "Sure! " + h["markup_click"] + " " + all_},
        {"type": "tool.call", "turn": 1, "agent_id": h["bidi"], "tool": h["markup_link"],
         "args": {h["markup_close"]: h["c1_controls"], "note": h["long_line"]}, "risk": "high",
         "permission": "denied", "approved_by": None, "outcome": "blocked"},
        {"type": "guardrail", "turn": 1, "check": h["zero_width"], "verdict": "block", "category": "injection",
         "score": 0.99, "detail": h["c0_controls"]},
        {"type": "feedback", "turn": 1, "kind": "complaint", "score": 1, "text": h["newlines_tabs"]},
        {"type": "escalation", "turn": 1, "reason": h["osc_title"] + h["wide_and_emoji"]},
        {"type": "memory.write", "turn": 1, "memory_id": "mem-hostile", "text": h["markup_variable"]},
        {"type": "conversation.end", "turn": 1, "resolved": False, "x_unknown_field": h["markup_click"]},
    ]  # fmt: skip
    out = _conversation(HOSTILE_ID, "cus_hostile", "support-assistant", "v42", 1500, events)
    ids = [
        {"_id": "evt-\x1b]52;c;SGk=\x07", "type": "message.user", "turn": 1, "text": "ids are hostile too"},
        {"type": "conversation.end", "turn": 1, "resolved": True},
    ]
    out += _conversation(
        HOSTILE_IDS_ID, h["markup_click"] + "\u202e", h["markup_style"], h["c1_controls"], 1510, ids
    )
    return out


def leak_events() -> list[dict]:
    """OWNER tells the assistant something; memory later reads it back to READER."""
    owner = _conversation(OWNER_ID, OWNER, "support-assistant", "v41", 30, [
        {"type": "message.user", "turn": 1, "text": "Ship to my office, call me on +1 415 555 0134."},
        {"type": "memory.write", "turn": 1, "memory_id": "mem-owner-1",
         "text": "Prefers delivery to the office; phone +1 415 555 0134, email owner.one@example.com"},
        {"type": "conversation.end", "turn": 1, "resolved": True},
    ])  # fmt: skip
    reader = _conversation(LEAK_ID, READER, "support-assistant", "v41", 60, [
        {"type": "message.user", "turn": 1, "text": "Where is my parcel?"},
        {"type": "memory.read", "turn": 1, "items": [
            {"memory_id": "mem-owner-1", "text": "Prefers delivery to the office; phone +1 415 555 0134, "
             "email owner.one@example.com", "origin_conversation_id": OWNER_ID, "origin_customer_id": OWNER},
        ]},
        {"type": "model.call", "turn": 1, "model": "acme-assist", "latency_ms": 420, "input_tokens": 200,
         "output_tokens": 40, "status": "ok", "error": None},
        {"type": "message.assistant", "turn": 1,
         "text": "I will send it to your office. I can also reach you at owner.one@example.com."},
        {"type": "feedback", "turn": 1, "kind": "complaint", "score": 1, "text": "That is not my email!"},
        {"type": "conversation.end", "turn": 1, "resolved": False},
    ])  # fmt: skip
    return owner + reader


def build(
    url: str, *, seed: int = 7, seconds: float = 90, scenario: str = "game-day", index: bool = True
) -> Store:
    """A store at ``url`` holding the fleet's events, the leak and the hostile conversations."""
    store = Store.open(url)
    fleet = list(generate(scenario, seed, START, duration_s=seconds))
    events = sorted([*fleet, *leak_events(), *hostile_events()], key=lambda e: e["ts"])
    lines: list[bytes | None] = [orjson.dumps(e) for e in events]
    ingestor = Ingestor(store, detectors=DetectorSet(hash_key=b"trustops-tests"))
    for i in range(0, len(lines), 2000):
        part = lines[i : i + 2000]
        ingestor.ingest(Chunk("sample.jsonl", i + 1, part, i + len(part), "sample"))
    if index:
        SearchIndex(store).catch_up()
    return store
