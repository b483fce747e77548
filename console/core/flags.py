"""Conversation flag bits: a conversation "has" a flag once any of its events carries it.

Stored as one integer column (``conversations.flags``), so filters and KPIs test bits instead of
joining findings.
"""

from __future__ import annotations

FLAG_BITS: dict[str, int] = {
    "complaint": 1 << 0,
    "negative_feedback": 1 << 1,
    "escalation": 1 << 2,
    "injection": 1 << 3,
    "pii": 1 << 4,
    "pii_leak": 1 << 5,
    "secret": 1 << 6,
    "unauthorized_tool": 1 << 7,
    "guardrail_block": 1 << 8,
    "ungrounded": 1 << 9,
    "error": 1 << 10,
}


def flag_names(bits: int) -> list[str]:
    return [name for name, bit in FLAG_BITS.items() if bits & bit]
