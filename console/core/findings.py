"""Findings: what the detectors report about an event, never the raw value they found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

CATEGORIES = ("pii", "pii_leak", "secret", "injection", "unauthorized_tool", "ungrounded")


class Finding(NamedTuple):
    """One detector hit inside one event (a named tuple: cheap to make and to pass between
    processes, immutable).

    ``field`` names the string inside the event where the value sits, as a dotted path
    (``text``, ``documents.2.text``, ``items.0.text``, ``args.note``); ``start``/``end`` are
    character offsets into that string (``-1`` when the finding is about the event as a whole).
    ``value_hash`` is a keyed hash of the normalised value: comparable across events, useless
    without the key. The raw value is never kept.
    """

    category: str
    type: str
    field: str = ""
    start: int = -1
    end: int = -1
    value_hash: str | None = None
    detail: str = ""


@dataclass(slots=True)
class ConversationContext:
    """What the detectors need to remember about one conversation between events.

    The ingest pipeline owns its lifecycle (cache, reload after a restart from the store);
    the detectors read and update it.
    """

    conversation_id: str
    customer_id: str | None = None
    supplied: set[str] = field(default_factory=set)  # value hashes of PII the customer gave


def supplied_by_customer(owner: object, customer: object) -> bool:
    """Whether PII in a memory item about ``owner`` counts as given by the conversation's
    ``customer`` (theirs to hear back): the item is theirs, or the customer is not known yet."""
    return owner is not None and (customer is None or str(owner) == str(customer))


def locate(root: object, path: str) -> tuple[dict | list, str | int] | None:
    """The container and key a dotted ``Finding.field`` path names (dict keys may hold dots)."""
    parts = path.split(".")
    node = root
    i = 0
    while i < len(parts):
        last = None
        if isinstance(node, list):
            if not (parts[i].isascii() and parts[i].isdigit()) or int(parts[i]) >= len(node):
                return None
            key: str | int = int(parts[i])
            i += 1
        elif isinstance(node, dict):
            # the longest run of parts that is a key (a tool arg named "a.b" is one key)
            for j in range(len(parts), i, -1):
                candidate = ".".join(parts[i:j])
                if candidate in node:
                    last = candidate
                    i = j
                    break
            if last is None:
                return None
            key = last
        else:
            return None
        if i == len(parts):
            return node, key
        node = node[key]  # type: ignore[index]
    return None
