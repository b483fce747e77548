"""Redaction of PII and secrets, by a per-type policy: mask, hash, remove or keep.

Used at display by default (revealing is an explicit, logged operator action), at export always,
and at ingest when configured. The policy comes from the ``redaction:`` section of the config::

    redaction:
      default: mask        # any type not listed below
      pii: mask            # every PII type not listed by name
      secret: remove       # every secret type not listed by name
      email: hash
      ipv4: keep
      at_ingest: false     # when (the config reads it), not how: ignored here

A type's own entry wins over its category's, which wins over ``default``; with none of them the
built-in choice is mask for PII and remove for secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from console.core.findings import Finding, locate

ACTIONS = ("mask", "hash", "remove", "keep")
CATEGORIES = ("pii", "secret")
_BUILT_IN = {"pii": "mask", "secret": "remove"}
_STRENGTH = {"keep": 0, "mask": 1, "hash": 2, "remove": 3}  # overlapping spans take the strongest


def _types() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The PII and the secret types. The detectors load when first needed, not with this module:
    the config and the console import it, and a console that shows nothing redacted yet (its
    dashboard) never needs them."""
    from console.core.detectors import PII_TYPES, SECRET_TYPES

    return PII_TYPES, SECRET_TYPES


class RedactionPolicyError(ValueError):
    """A bad ``redaction:`` entry; ``key`` names it (``redaction.<key>``)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"redaction.{key}: {message}" if key else f"redaction: {message}")


@dataclass(frozen=True, slots=True)
class RedactionPolicy:
    """What to do with each PII and secret type. Build it with :meth:`from_mapping`."""

    actions: Mapping[str, str] = field(default_factory=dict)  # type or category -> action
    default: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object] | None) -> RedactionPolicy:
        """Validate the ``redaction:`` mapping; unknown keys and actions raise :class:`RedactionPolicyError`."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise RedactionPolicyError("", f"expected a mapping of type to action, got {type(data).__name__}")
        known: set[str] = set()
        actions: dict[str, str] = {}
        default = None
        for key, value in data.items():
            name = str(key).strip().lower()
            if name == "at_ingest":
                continue  # when to redact, read by the config; this policy says how
            if name != "default" and not known:
                pii_types, secret_types = _types()
                known = {*pii_types, *secret_types, *CATEGORIES}
            if name != "default" and name not in known:
                raise RedactionPolicyError(
                    str(key),
                    f"unknown type (known: default, {', '.join(CATEGORIES)}, {', '.join(sorted(known - set(CATEGORIES)))})",
                )
            action = str(value).strip().lower() if isinstance(value, str) else None
            if action not in ACTIONS:
                raise RedactionPolicyError(
                    str(key), f"{value!r} is not an action (use one of: {', '.join(ACTIONS)})"
                )
            if name == "default":
                default = action
            else:
                actions[name] = action
        return cls(actions, default)

    def action(self, type_: str) -> str:
        own = self.actions.get(type_)
        if own is not None:
            return own
        pii_types, secret_types = _types()
        category = "pii" if type_ in pii_types else "secret" if type_ in secret_types else None
        if category is not None and category in self.actions:
            return self.actions[category]
        if self.default is not None:
            return self.default
        return _BUILT_IN.get(category or "", "mask")

    def effective(self) -> dict[str, str]:
        """The action for every PII and secret type (what a bundle manifest records)."""
        pii_types, secret_types = _types()
        return {t: self.action(t) for t in (*pii_types, *secret_types)}


DEFAULT_POLICY = RedactionPolicy()


def redact(text: str, spans: Iterable[tuple[int, int, str]], policy: RedactionPolicy, hash_key: bytes) -> str:
    """``text`` with each (start, end, type) span replaced as the policy says.

    Overlapping spans are merged and the merged span gets the strongest action among them
    (remove > hash > mask > keep). Spans outside the text are clipped; empty ones ignored.
    """
    n = len(text)
    cleaned = sorted((max(0, s), min(n, e), t) for s, e, t in spans if min(n, e) > max(0, s))
    if not cleaned:
        return text
    merged: list[list] = []  # [start, end, type, action]
    for s, e, t in cleaned:
        a = policy.action(t)
        if merged and s < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], e)
            if _STRENGTH[a] > _STRENGTH[last[3]]:
                last[2], last[3] = t, a
        else:
            merged.append([s, e, t, a])
    out: list[str] = []
    pos = 0
    for s, e, t, a in merged:
        out.append(text[pos:s])
        raw = text[s:e]
        out.append(raw if a == "keep" else _replacement(raw, t, a, hash_key))
        pos = e
    out.append(text[pos:])
    return "".join(out)


def redact_event(event: dict, findings: list[Finding], policy: RedactionPolicy, hash_key: bytes) -> dict:
    """A copy of ``event`` with the PII and secrets its findings locate redacted in place.

    Only findings with a span into a string field are applied (``pii_leak`` findings repeat a
    ``pii`` finding's span and are skipped; injections are left visible on purpose).
    """
    by_field: dict[str, list[tuple[int, int, str]]] = {}
    for f in findings:
        if f.category in CATEGORIES and f.field and f.start >= 0 and f.end > f.start:
            by_field.setdefault(f.field, []).append((f.start, f.end, f.type))
    copy = _copy(event)
    for path, spans in by_field.items():
        slot = locate(copy, path)
        if slot is None:
            continue
        container, key = slot
        value = container[key]
        if isinstance(value, str):
            container[key] = redact(value, spans, policy, hash_key)
    return copy


# -- replacements --------------------------------------------------------------------------------
def _replacement(raw: str, type_: str, action: str, hash_key: bytes) -> str:
    if action == "remove":
        return f"[{type_} removed]" if type_ in _types()[0] else "[secret removed]"
    if action == "hash":
        from console.core.detectors import normalise, value_hash

        return f"[{type_}:{value_hash(hash_key, type_, normalise(type_, raw))[:12]}]"
    return _MASKS.get(type_, _mask_secret)(raw)


def _mask_email(raw: str) -> str:
    local, _, domain = raw.partition("@")
    first, _, rest = domain.partition(".")
    tld = rest.rpartition(".")[2] if rest else ""
    return f"{local[:1]}***@{first[:1]}***" + (f".{tld}" if tld else "")


def _mask_digits(raw: str, keep_last: int) -> str:
    """Every digit but the last ``keep_last`` becomes '*'; separators stay."""
    total = sum(ch.isdigit() for ch in raw)
    out = []
    seen = 0
    for ch in raw:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > total - keep_last else "*")
        else:
            out.append(ch)
    return "".join(out)


def _mask_card(raw: str) -> str:
    digits = [ch for ch in raw if ch.isdigit()]
    return "**** **** **** " + "".join(digits[-4:])


def _mask_iban(raw: str) -> str:
    chars = [i for i, ch in enumerate(raw) if ch.isalnum()]
    keep = set(chars[:2] + chars[-4:])
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(raw))


def _mask_ipv4(raw: str) -> str:
    parts = raw.split(".")
    return ".".join(parts[:2] + ["*"] * (len(parts) - 2))


def _mask_ipv6(raw: str) -> str:
    parts = [p for p in raw.split(":") if p]
    return ":".join(parts[:2]) + ":*"


_SECRET_PREFIX = re.compile(r"^(?:[A-Za-z]{2,12}[_\-.](?:[A-Za-z0-9]{2,6}[_\-])?|AKIA|ASIA|AIza|eyJ)")


def _mask_secret(raw: str) -> str:
    """Keep only the format's public prefix (``ghp_``, ``sk_live_``, ``AKIA``) so the kind is visible."""
    if raw.startswith("-----BEGIN"):
        return "[private key masked]"
    m = _SECRET_PREFIX.match(raw)
    return (m.group(0) if m else "") + "****"


_MASKS = {
    "email": _mask_email,
    "phone": lambda raw: _mask_digits(raw, 2),
    "card": _mask_card,
    "ssn": lambda raw: "***-**-" + "".join(ch for ch in raw if ch.isdigit())[-4:],
    "iban": _mask_iban,
    "ipv4": _mask_ipv4,
    "ipv6": _mask_ipv6,
}


# -- event paths ---------------------------------------------------------------------------------
def _copy(value: object) -> object:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
