"""What each event adds to its conversation's row: flags, counters, outcome."""

from __future__ import annotations

from collections.abc import Sequence

from console.core.events import Event
from console.core.findings import Finding
from console.core.flags import FLAG_BITS
from console.core.kpi_latency import add_latency
from console.core.store import Batch, ConversationDelta

_FINDING_FLAGS = {
    c: FLAG_BITS[c] for c in ("injection", "pii", "pii_leak", "secret", "unauthorized_tool", "ungrounded")
}
_COMPLAINT = FLAG_BITS["complaint"] | FLAG_BITS["negative_feedback"]


def add_event(delta: ConversationDelta, e: Event) -> None:
    """What the event itself adds (its findings are added by :func:`add_findings`)."""
    d = e.msg
    t = e.type
    delta.events += 1
    if e.ts_ms < delta.started_ms:
        delta.started_ms = e.ts_ms
    if e.ts_ms > delta.last_ms:
        delta.last_ms = e.ts_ms
    if e.turn is not None and e.turn > delta.turns:
        delta.turns = e.turn
    if delta.deployment is None:
        delta.deployment = e.deployment
    if t == "conversation.start":
        delta.customer_id = d.customer_id
        delta.channel = d.channel
        delta.model_version = e.model_version
    elif t == "model.call":
        delta.model_calls += 1
        if d.status != "ok":
            delta.model_errors += 1
            delta.flags |= FLAG_BITS["error"]
    elif t == "message.assistant":
        delta.assistant_messages += 1
    elif t == "tool.call":
        delta.tool_calls += 1
    elif t == "feedback":
        kind = d.kind
        delta.feedback = kind
        if kind == "complaint":
            delta.flags |= _COMPLAINT
        elif kind == "thumbs_down":
            delta.flags |= FLAG_BITS["negative_feedback"]
    elif t == "escalation":
        delta.flags |= FLAG_BITS["escalation"]
    elif t == "guardrail":
        if d.verdict == "block":
            delta.flags |= FLAG_BITS["guardrail_block"]
    elif t == "conversation.end":
        delta.resolved = d.resolved
    if delta.model_version is None:
        delta.model_version = e.model_version


def add_findings(delta: ConversationDelta, e: Event, findings: Sequence[Finding]) -> None:
    """What an event's findings add: flags, and the unauthorized and ungrounded counts (only
    these: Store.add_finding_params rewrites only them)."""
    categories = {f.category for f in findings}
    for category in categories:
        delta.flags |= _FINDING_FLAGS.get(category, 0)
    if e.type == "tool.call" and "unauthorized_tool" in categories:
        delta.tool_unauthorized += 1
    elif e.type == "guardrail" and "ungrounded" in categories:
        delta.ungrounded += 1


def roll_up(batch: Batch, events: Sequence[Event], only: set[str] | None = None) -> None:
    """Add the events (those with ids in ``only``, when given) to the batch's conversation and
    latency roll-ups."""
    conversations = batch.conversations
    latency = batch.latency
    for ev in events:
        cid = ev.conversation_id
        if cid is None or (only is not None and ev.id not in only):
            continue
        delta = conversations.get(cid)
        if delta is None:
            delta = conversations[cid] = ConversationDelta(cid, ev.ts_ms, ev.ts_ms)
        add_event(delta, ev)
        if ev.type == "model.call":
            add_latency(latency, ev)


def roll_up_findings(
    batch: Batch, events: Sequence[Event], found: dict[int, list[Finding]], only: set[str] | None = None
) -> set[str]:
    """Add the findings (of events with ids in ``only``, when given) to the batch, and what they
    add to the conversations (already rolled up by :func:`roll_up`); the ids of those."""
    changed: set[str] = set()
    for i, findings in found.items():
        ev = events[i]
        if only is not None and ev.id not in only:
            continue
        batch.findings.append((ev, findings))
        if (cid := ev.conversation_id) is not None:
            add_findings(batch.conversations[cid], ev, findings)
            changed.add(cid)
    return changed
