"""Trust KPIs (SPEC 6): what each one counts, windows and buckets, and values from additive counts.

Everything here is additive by design: a bucket of one deployment and version holds counts
(conversations, conversations with each flag, tool calls, …) and a latency histogram, and any
group, any run of buckets or any window is a plain sum of them. Rates are computed last, from
the summed numerator and denominator, never averaged. See docs/kpis.md.

The live engine (incremental refresh) is in ``kpi_engine``; SLO states and burn-rate alerts in
``kpi_slo``; deploy comparisons in ``kpi_deploys``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from console.core import kpi_latency
from console.core.config import KPI_NAMES
from console.core.errors import UserError

# -- the counts a bucket holds ---------------------------------------------------------------------
FIELDS = (
    "conversations", "complaint", "negative_feedback", "escalation", "injection", "pii_leak", "secret",
    "guardrail_block", "resolved", "ended", "tool_calls", "tool_unauthorized", "assistant_messages",
    "ungrounded", "model_calls", "model_errors",
)  # fmt: skip
FIELD_INDEX = {name: i for i, name in enumerate(FIELDS)}
FLAG_FIELDS = (
    "complaint",
    "negative_feedback",
    "escalation",
    "injection",
    "pii_leak",
    "secret",
    "guardrail_block",
)

Kind = Literal["count", "rate", "quantile"]


@dataclass(frozen=True, slots=True)
class KpiDef:
    """One KPI: ``value = numerator / denominator`` for rates, a count, or a latency quantile."""

    name: str
    kind: Kind
    numerator: str | None
    denominator: str | None
    higher_is_better: bool
    short: str  # column header
    title: str

    @property
    def per(self) -> str:
        """What the denominator counts, in words."""
        return _PER.get(self.denominator or "", "conversations")


_PER = {
    "conversations": "conversations",
    "tool_calls": "tool calls",
    "assistant_messages": "assistant messages",
    "model_calls": "model calls",
    "ended": "ended conversations",
}

KPIS: dict[str, KpiDef] = {
    d.name: d
    for d in (
        KpiDef("conversations", "count", "conversations", None, True, "conv", "conversations started"),
        KpiDef("complaint_rate", "rate", "complaint", "conversations", False, "complaint", "complaints"),
        KpiDef(
            "negative_feedback_rate", "rate", "negative_feedback", "conversations", False, "negative",
            "negative feedback",
        ),
        KpiDef("escalation_rate", "rate", "escalation", "conversations", False, "escalated", "escalations"),
        KpiDef("injection_rate", "rate", "injection", "conversations", False, "injection", "injections"),
        KpiDef("pii_leak_rate", "rate", "pii_leak", "conversations", False, "pii_leak", "PII leaks"),
        KpiDef("secret_leaks", "count", "secret", "conversations", False, "secrets", "secret leaks"),
        KpiDef(
            "unauthorized_tool_rate", "rate", "tool_unauthorized", "tool_calls", False, "unauth_tool",
            "unauthorized tool calls",
        ),
        KpiDef(
            "guardrail_block_rate", "rate", "guardrail_block", "conversations", False, "blocked",
            "guardrail blocks",
        ),
        KpiDef(
            "ungrounded_rate", "rate", "ungrounded", "assistant_messages", False, "ungrounded",
            "ungrounded answers",
        ),
        KpiDef("error_rate", "rate", "model_errors", "model_calls", False, "errors", "model errors"),
        KpiDef("latency_p95_ms", "quantile", None, "model_calls", False, "p95_ms", "p95 model latency"),
        KpiDef("resolution_rate", "rate", "resolved", "ended", True, "resolved", "resolved"),
    )
}  # fmt: skip
assert tuple(KPIS) == KPI_NAMES, "kpi.KPIS and config.KPI_NAMES must list the same KPIs in order"
LATENCY_QUANTILE = 0.95


# -- values ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class KpiValue:
    """A KPI over some span: value (None when there is nothing to divide by), its parts, SLO state.

    ``state`` is ``ok``, ``warn``, ``breach``, ``no_data`` (nothing to measure) or ``none`` (no SLO).
    For latency, ``numerator`` is None and ``denominator`` counts the model calls measured.
    """

    kpi: str
    value: float | None
    numerator: int | None
    denominator: int | None
    state: str = "none"

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "state": self.state,
        }

    def text(self) -> str:
        return format_value(self.kpi, self.value)


def format_value(kpi: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    kind = KPIS[kpi].kind
    if kind == "rate":
        pct = value * 100
        return f"{pct:.1f}%" if pct >= 0.1 or pct == 0 else f"{pct:.2f}%"
    if kind == "quantile":
        return f"{value:,.0f} ms"
    return f"{int(value):,}"


@dataclass(slots=True)
class Agg:
    """Additive counts (``FIELDS``) and a latency histogram for one group over some span.

    Published aggregates are never mutated: sums build new objects.
    """

    counts: list[int] = field(default_factory=lambda: [0] * len(FIELDS))
    latency: dict[int, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        return self.counts[FIELD_INDEX[name]]

    @staticmethod
    def sum(aggs: Iterable[Agg]) -> Agg:
        counts = [0] * len(FIELDS)
        hists = []
        for a in aggs:
            c = a.counts
            for i in range(len(counts)):
                counts[i] += c[i]
            if a.latency:
                hists.append(a.latency)
        return Agg(counts, kpi_latency.merge(hists))

    def value(self, kpi: str) -> tuple[float | None, int | None, int | None]:
        """(value, numerator, denominator) of one KPI."""
        d = KPIS[kpi]
        if d.kind == "quantile":
            n = sum(self.latency.values())
            return kpi_latency.quantile(self.latency, LATENCY_QUANTILE), None, n
        num = self.counts[FIELD_INDEX[d.numerator]]  # type: ignore[index]
        if d.kind == "count":
            den = self.counts[FIELD_INDEX[d.denominator]] if d.denominator else None
            return float(num), num, den
        den = self.counts[FIELD_INDEX[d.denominator]]  # type: ignore[index]
        return (num / den if den else None), num, den

    def kpis(self, slos=None) -> dict[str, KpiValue]:
        """Every KPI, with its SLO state when ``slos`` (a ``kpi_slo.SloSet``) is given."""
        out = {}
        for name in KPIS:
            value, num, den = self.value(name)
            state = slos.state(name, value) if slos is not None else "none"
            out[name] = KpiValue(name, value, num, den, state)
        return out


# -- groups ----------------------------------------------------------------------------------------
GroupBy = Literal["deployment", "model_version"] | None
GROUP_BYS = ("deployment", "model_version")


@dataclass(frozen=True, slots=True, order=True)
class Group:
    """A slice of traffic: everything, one deployment, or one version of one deployment.

    Versions are always taken within their deployment: two deployments that both run "v1" are
    different models.
    """

    deployment: str | None = None
    model_version: str | None = None

    @property
    def label(self) -> str:
        if self.deployment is None:
            return "all" if self.model_version is None else f"*/{self.model_version}"
        return self.deployment if self.model_version is None else f"{self.deployment}/{self.model_version}"

    def matches(self, key: tuple[str | None, str | None]) -> bool:
        return (self.deployment is None or key[0] == self.deployment) and (
            self.model_version is None or key[1] == self.model_version
        )

    def as_dict(self) -> dict:
        return {"deployment": self.deployment, "model_version": self.model_version}


ALL = Group()


def groups_of(keys: Iterable[tuple[str | None, str | None]], by: GroupBy) -> list[Group]:
    """The groups of one grouping present among (deployment, model_version) keys, sorted."""
    if by is None:
        return [ALL]
    if by == "deployment":
        return sorted({Group(k[0]) for k in keys}, key=_group_sort)
    if by == "model_version":
        return sorted({Group(k[0], k[1]) for k in keys}, key=_group_sort)
    raise ValueError(f"unknown grouping {by!r} (one of: {', '.join(GROUP_BYS)})")


def _group_sort(g: Group) -> tuple[str, str]:
    return (g.deployment or "", g.model_version or "")


def total(cells: Iterable[Mapping[tuple, Agg]], group: Group) -> Agg:
    return Agg.sum(a for cell in cells for k, a in cell.items() if group.matches(k))


# -- windows and buckets ---------------------------------------------------------------------------
SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Bucket sizes a window may use: the smallest that gives at most MAX_BUCKETS buckets wins, so
# 5m → 10 s (30 buckets), 1h → 1 min (60), 24h → 15 min (96). All are multiples of the latency
# roll-up's 10 s slot, so latency buckets line up exactly.
STEPS_MS = (
    10 * SECOND,
    30 * SECOND,
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
)
MAX_BUCKETS = 100
MAX_SPAN_MS = 366 * DAY
_UNITS = {"s": SECOND, "m": MINUTE, "h": HOUR, "d": DAY}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
WINDOW_NAMES = ("5m", "1h", "24h")


def step_for(span_ms: int) -> int:
    for step in STEPS_MS:
        if span_ms <= step * MAX_BUCKETS:
            return step
    return STEPS_MS[-1]


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window: the last ``span_ms`` before "now", in buckets of ``step_ms``."""

    name: str
    span_ms: int
    step_ms: int

    @property
    def buckets(self) -> int:
        return -(-self.span_ms // self.step_ms)

    def range_at(self, now_ms: int) -> Range:
        """The window ending at ``now_ms``: whole, epoch-aligned buckets; the last one ends at now.

        With ``now_ms`` on a bucket boundary the window is exactly [now - span, now); otherwise it
        starts at the boundary of its first bucket and so is up to one bucket shorter.
        """
        last = -(-now_ms // self.step_ms) - 1
        first = last - self.buckets + 1
        return Range(first * self.step_ms, now_ms, self.step_ms, self.name)


def parse_duration(text: str, option: str = "--window") -> int:
    m = _DURATION.match(text or "")
    if not m:
        raise UserError(f"{option}: not a duration: {text!r} (e.g. 5m, 1h, 24h, 7d)")
    ms = int(m.group(1)) * _UNITS[m.group(2)]
    if ms < 10 * SECOND:
        raise UserError(f"{option}: {text!r} is shorter than the 10 s resolution")
    if ms > MAX_SPAN_MS:
        raise UserError(f"{option}: {text!r} is longer than a year")
    return ms


def parse_window(text: str) -> Window:
    """'5m', '1h', '24h', '90s', '7d', … → a Window with its bucket size."""
    span = parse_duration(text)
    return Window(text.strip(), span, step_for(span))


@dataclass(frozen=True, slots=True)
class Range:
    """A concrete span [since_ms, until_ms) cut into epoch-aligned buckets of ``step_ms``.

    The first and last buckets may be cut by ``since``/``until``; values count only what falls
    inside the range.
    """

    since_ms: int
    until_ms: int
    step_ms: int
    name: str = "custom"

    @property
    def first(self) -> int:
        return self.since_ms // self.step_ms

    @property
    def last(self) -> int:
        return max(self.first, -(-self.until_ms // self.step_ms) - 1)

    def bucket_starts(self) -> list[int]:
        return [i * self.step_ms for i in range(self.first, self.last + 1)]

    def clip(self, first: int, last: int) -> tuple[int, int]:
        """[since, until) of buckets first..last, cut to the range."""
        return max(first * self.step_ms, self.since_ms), min((last + 1) * self.step_ms, self.until_ms)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "since_ms": self.since_ms,
            "until_ms": self.until_ms,
            "step_ms": self.step_ms,
        }


def custom_range(since_ms: int, until_ms: int) -> Range:
    if until_ms <= since_ms:
        raise UserError("--until must be after --since")
    if until_ms - since_ms > MAX_SPAN_MS:
        raise UserError("--since/--until: a range longer than a year")
    return Range(since_ms, until_ms, step_for(until_ms - since_ms))


def rfc3339(ts_ms: int) -> str:
    """Epoch ms → RFC 3339 in UTC, to the millisecond when it has any (for JSON output)."""
    dt = datetime.fromtimestamp(ts_ms / 1000, UTC)
    return dt.isoformat(timespec="milliseconds" if ts_ms % 1000 else "seconds").replace("+00:00", "Z")


def step_text(step_ms: int) -> str:
    for unit, ms in (("d", DAY), ("h", HOUR), ("min", MINUTE), ("s", SECOND)):
        if step_ms % ms == 0:
            return f"{step_ms // ms} {unit}"
    return f"{step_ms} ms"
