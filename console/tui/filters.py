"""The explorer's filter line: ``flag:pii_leak dep:billing-agent since:1h refund`` ⇄ ConversationFilter.

Keys: ``flag:`` (repeatable), ``dep:``/``deployment:``, ``ver:``/``version:``, ``customer:``,
``since:``/``until:`` (RFC 3339, or a duration back from now: ``15m``, ``2h``, ``1d``),
``sort:`` (newest, oldest, turns, deployment, customer). Every other word is full-text search.
Values with spaces go in quotes.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from datetime import datetime

from textual.content import Content

from console.core.describe import stamp
from console.core.queries import FLAG_CHOICES, SORTS, ConversationFilter
from console.tui.untrusted import join, untrusted

_KEYS = {
    "flag": "flags",
    "dep": "deployment",
    "deployment": "deployment",
    "ver": "model_version",
    "version": "model_version",
    "customer": "customer_id",
    "since": "since_ms",
    "until": "until_ms",
    "sort": "sort",
}
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


class FilterError(ValueError):
    """The filter line does not parse; the message says which word and why."""


def parse_filter(text: str, now_ms: int, base: ConversationFilter | None = None) -> ConversationFilter:
    """A filter from the line; paging and anything the line does not mention come from ``base``."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    f = replace(
        base or ConversationFilter(),
        flags=(),
        deployment=None,
        model_version=None,
        customer_id=None,
        search=None,
        since_ms=None,
        until_ms=None,
        offset=0,
    )
    flags: list[str] = []
    search: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        field = _KEYS.get(key.lower()) if sep else None
        if field is None:
            search.append(word)
            continue
        if not value:
            raise FilterError(f"{key}: needs a value")
        if field == "flags":
            if value not in FLAG_CHOICES:
                raise FilterError(f"flag: unknown {value!r} (one of: {', '.join(FLAG_CHOICES)})")
            flags.append(value)
        elif field == "sort":
            if value not in SORTS:
                raise FilterError(f"sort: unknown {value!r} (one of: {', '.join(SORTS)})")
            f.sort = value
        elif field in ("since_ms", "until_ms"):
            setattr(f, field, parse_time(value, now_ms, key))
        else:
            setattr(f, field, value)
    f.flags = tuple(dict.fromkeys(flags))
    f.search = " ".join(search) or None
    return f


def parse_time(value: str, now_ms: int, key: str = "time") -> int:
    m = _DURATION.match(value)
    if m:
        return now_ms - int(m.group(1)) * _UNIT_MS[m.group(2)]
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(
            f"{key}: {value!r} is neither a duration (15m, 2h, 1d) nor an RFC 3339 time"
        ) from None
    if dt.tzinfo is None:
        raise FilterError(f"{key}: give a time zone ({value}Z)")
    return int(dt.timestamp() * 1000)


def format_filter(f: ConversationFilter) -> str:
    """The filter as a line :func:`parse_filter` reads back (times as RFC 3339)."""
    words = [f"flag:{flag}" for flag in f.flags]
    for key, value in (("dep", f.deployment), ("ver", f.model_version), ("customer", f.customer_id)):
        if value:
            words.append(f"{key}:{_quote(value)}")
    for key, ms in (("since", f.since_ms), ("until", f.until_ms)):
        if ms is not None:
            words.append(f"{key}:{stamp(ms).replace(' ', 'T')}")
    if f.sort != "newest":
        words.append(f"sort:{f.sort}")
    if f.search:
        words.append(f.search)
    return " ".join(words)


def is_filtered(f: ConversationFilter) -> bool:
    return bool(
        f.flags or f.deployment or f.model_version or f.customer_id or f.search or f.since_ms or f.until_ms
    )


def describe_filter(f: ConversationFilter) -> Content:
    """The filter in words for titles: ``flag pii_leak · deployment billing-agent · "refund"``."""
    parts: list[Content | str | tuple[str, str]] = []

    def add(label: str, value: Content) -> None:
        if parts:
            parts.append(" · ")
        parts.extend([(label + " ", "dim"), value])

    for flag in f.flags:
        add("flag", untrusted(flag, style="bold"))
    for label, value in (
        ("deployment", f.deployment),
        ("version", f.model_version),
        ("customer", f.customer_id),
    ):
        if value:
            add(label, untrusted(value, style="bold", max_chars=40))
    if f.since_ms is not None:
        add("since", Content(stamp(f.since_ms)))
    if f.until_ms is not None:
        add("until", Content(stamp(f.until_ms)))
    if f.search:
        add("search", join('"', untrusted(f.search, style="bold", max_chars=40), '"'))
    if f.sort != "newest":
        add("sorted by", Content(f.sort))
    return join(*parts) if parts else Content("all conversations")


def _quote(value: str) -> str:
    return shlex.quote(value) if any(ch.isspace() or ch in "'\"" for ch in value) else value
