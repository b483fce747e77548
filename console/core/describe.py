"""One-line descriptions of events, shared by the CLI and the console.

Returns plain strings built from untrusted values: callers pass them through
``safe_text.visible`` (CLI) or the console's ``untrusted`` (TUI) before showing them.
"""

from __future__ import annotations

from datetime import UTC, datetime


def clock(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]


def stamp(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def summary(e: dict) -> str:
    """What happened, in a few words plus the event's main text."""
    t = e.get("type")
    g = e.get
    if t == "conversation.start":
        mem = "memory on" if g("memory_enabled") else "memory off"
        return f"customer {g('customer_id')} via {g('channel') or '?'} ({mem})"
    if t in ("message.user", "message.assistant"):
        return str(g("text", ""))
    if t == "retrieval":
        docs = g("documents") or []
        srcs = ", ".join(f"{d.get('doc_id')}[{d.get('trust')}]" for d in docs[:4] if isinstance(d, dict))
        more = f" +{len(docs) - 4}" if len(docs) > 4 else ""
        return f"{len(docs)} document(s) for {g('query')!r}: {srcs}{more}"
    if t == "memory.read":
        items = g("items") or []
        origins = {i.get("origin_customer_id") for i in items if isinstance(i, dict)}
        return f"{len(items)} item(s) from customer(s) {', '.join(sorted(str(o) for o in origins))}"
    if t == "memory.write":
        return f"{g('memory_id')}: {g('text')}"
    if t == "model.call":
        err = f" error: {g('error')}" if g("error") else ""
        return (
            f"{g('model')} {g('status')} {g('latency_ms')} ms, "
            f"{g('input_tokens', '?')}→{g('output_tokens', '?')} tokens{err}"
        )
    if t == "tool.call":
        approver = g("approved_by") or "no approver"
        return (
            f"{g('agent_id')}.{g('tool')}({_args(g('args'))}) risk={g('risk')} "
            f"permission={g('permission')} {approver} → {g('outcome')}"
        )
    if t == "guardrail":
        return f"{g('check')}: {g('verdict')} ({g('category') or '-'}, score {g('score')}) {g('detail') or ''}".rstrip()
    if t == "feedback":
        text = f": {g('text')}" if g("text") else ""
        return f"{g('kind')} (score {g('score')}){text}"
    if t == "escalation":
        return f"to a human: {g('reason')}"
    if t == "conversation.end":
        return "resolved" if g("resolved") else "not resolved"
    if t == "deploy":
        return f"{g('deployment')}: {g('from_version')} → {g('to_version')} by {g('actor')}"
    if t == "control":
        return f"{g('action')} {g('target')} by {g('actor')}: {g('detail') or ''}".rstrip(": ")
    return ""


def _args(args: object) -> str:
    if not isinstance(args, dict):
        return ""
    return ", ".join(f"{k}={v!r}" for k, v in list(args.items())[:6])
