"""The console's data source on both backends: the queries behind every view, memory included."""

from __future__ import annotations

import orjson

from connectors.jsonl import Chunk
from console.core.detectors import DetectorSet
from console.core.ingest import Ingestor
from console.core.queries import ConversationFilter
from console.tui.data import StoreSource
from tests.tui.sample import HOSTILE_ID, LEAK_ID, OWNER, OWNER_ID, READER, hostile_events, leak_events


def test_every_view_query_on_both_backends(store) -> None:
    events = sorted([*leak_events(), *hostile_events()], key=lambda e: e["ts"])
    Ingestor(store, detectors=DetectorSet(hash_key=b"t")).ingest(
        Chunk("s.jsonl", 1, [orjson.dumps(e) for e in events], len(events), "s")
    )
    source = StoreSource(store)
    assert source.count(ConversationFilter()) == 4
    assert [
        c.conversation_id
        for c in source.conversations(ConversationFilter(flags=("pii_leak",), sort="oldest"))
    ] == [
        LEAK_ID,
        HOSTILE_ID,
    ]
    assert "support-assistant" in source.deployments()
    trail = source.trail(LEAK_ID)
    assert trail is not None and [e.type for e in trail.events][:3] == [
        "conversation.start",
        "message.user",
        "memory.read",
    ]
    assert any(f.category == "pii_leak" for e in trail.events for f in e.findings)
    memory = source.customer_memory(OWNER)
    item = next(h for h in memory.items if h.memory_id == "mem-owner-1")
    assert item.written_in == OWNER_ID and item.findings  # the write's PII, to mask
    assert [(r.conversation_id, r.customer_id) for r in item.reads] == [(LEAK_ID, READER)]
    assert item.reads[0].findings and item.leaked_to == [READER]
    assert source.index(lambda p: None) == len(events)
    assert source.customer_memory(OWNER).items[0].reads  # the same answer through the index
    source.log_operator("oncall", "reveal", f"conversation {LEAK_ID}", "{}")
    assert store.scalar("SELECT count(*) FROM operator_log") == 1
