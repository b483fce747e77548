"""What every recognizer returns, and the interface a later (model-based) detector plugs into."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol


class Hit(NamedTuple):
    """One recognizer match inside one string.

    ``value`` is the *normalised* value, used only to compute the keyed hash and then dropped:
    it never reaches a :class:`~console.core.findings.Finding`.
    """

    category: str
    type: str
    start: int
    end: int
    value: str
    detail: str = ""


class Origin(NamedTuple):
    """Where a scanned string comes from, which decides the rules that apply to it.

    ``role`` is one of ``user`` (the customer's own words), ``assistant``, ``document``
    (retrieved), ``memory`` (read from or written to memory) and ``other`` (tool args, guardrail
    details, …). ``trust`` is the retrieval trust level for documents.
    """

    role: str
    trust: str | None = None

    @property
    def injection(self) -> str | None:
        """``direct`` or ``indirect`` when injection rules apply to this origin, else None."""
        return INJECTION_KINDS.get(self.role)


# which roles the injection rules read, and as what
INJECTION_KINDS = {"user": "direct", "document": "indirect", "memory": "indirect"}


USER = Origin("user")
ASSISTANT = Origin("assistant")
MEMORY = Origin("memory")
OTHER = Origin("other")


class TextRecognizer(Protocol):
    """A pluggable detector (a model, a vendor API…) behind the same interface as the rules.

    ``find`` returns hits with offsets into ``text``; the :class:`DetectorSet` hashes their
    values, attaches field paths and indirect-origin details, and applies the pii_leak logic.
    """

    def find(self, text: str, origin: Origin) -> Iterable[Hit]: ...
