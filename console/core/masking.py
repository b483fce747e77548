"""Redaction at display: the console hides detected PII and secrets unless the operator revealed them.

What a hidden value looks like is the configured policy's business (``console.core.redaction``:
mask, hash, remove or keep, per type). This module only cuts a string at its findings so views can
draw each finding inline: :meth:`Masking.pieces` gives plain runs and finding runs (hidden or
revealed), :meth:`Masking.event` a copy of an event with every hidden value replaced, for the
raw-JSON view.

Findings locate a value by field path (``text``, ``documents.2.text``, ``items.0.text``,
``args.note``) and character offsets. Only ``pii`` and ``secret`` findings hide anything;
``pii_leak`` findings repeat a ``pii`` finding's span and are drawn, not hidden, like injections.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import orjson

from console.core.config import Config
from console.core.keys import hash_key
from console.core.queries import StoredFinding
from console.core.redaction import CATEGORIES, RedactionPolicy, redact, redact_event


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    finding: StoredFinding | None = None  # set on the part of the string a finding covers
    hidden: bool = False  # True when ``text`` stands in for the value


def reveal_detail(findings: list[StoredFinding]) -> str:
    """The operator-log detail of a reveal, the same from the console and the CLI: which findings
    were shown, by event, field, span and type, never the values."""
    listed = [
        {
            "event_id": f.event_id,
            "category": f.category,
            "type": f.type,
            "field": f.field,
            "span": [f.start, f.end],
        }
        for f in findings
    ]
    return orjson.dumps({"findings": listed}).decode()


def field_findings(findings: list[StoredFinding], path: str) -> list[StoredFinding]:
    return [f for f in findings if f.field == path]


class Masking:
    """The display redaction of one console: a policy, and the key its ``hash`` action needs."""

    def __init__(self, policy: RedactionPolicy | None = None) -> None:
        self.policy = policy or RedactionPolicy()

    @classmethod
    def from_config(cls, config: Config) -> Masking:
        return cls(RedactionPolicy.from_mapping(config.redaction))

    @cached_property
    def _key(self) -> bytes:
        return hash_key()  # only read (or created) when a value is shown hashed

    def hides(self, finding: StoredFinding) -> bool:
        """Does this finding hide its span when not revealed?"""
        return (
            finding.category in CATEGORIES
            and 0 <= finding.start < finding.end
            and self.policy.action(finding.type) != "keep"
        )

    def _stand_in(self, finding: StoredFinding, raw: str) -> str:
        key = self._key if self.policy.action(finding.type) == "hash" else b"-"
        return redact(raw, [(0, len(raw), finding.type)], self.policy, key)

    def pieces(self, text: str, findings: list[StoredFinding], *, reveal: bool) -> list[Piece]:
        """``text`` cut at its findings' spans; where spans overlap, the first (a hiding one
        before a marking one at the same place) wins."""
        spans = sorted(
            (f for f in findings if 0 <= f.start < f.end <= len(text)),
            key=lambda f: (f.start, not self.hides(f), -f.end),
        )
        out: list[Piece] = []
        pos = 0
        for f in spans:
            if f.start < pos:
                continue
            if f.start > pos:
                out.append(Piece(text[pos : f.start]))
            raw = text[f.start : f.end]
            hide = self.hides(f) and not reveal
            out.append(Piece(self._stand_in(f, raw) if hide else raw, f, hide))
            pos = f.end
        if pos < len(text) or not out:
            out.append(Piece(text[pos:]))
        return out

    def event(self, data: dict, findings: list[StoredFinding], *, reveal: bool) -> dict:
        """A copy of ``data`` with every hidden value replaced (``data`` itself if revealed)."""
        hiding = [f for f in findings if self.hides(f)]
        if reveal or not hiding:
            return data
        needs_key = any(self.policy.action(f.type) == "hash" for f in hiding)
        return redact_event(data, hiding, self.policy, self._key if needs_key else b"-")  # type: ignore[arg-type]
