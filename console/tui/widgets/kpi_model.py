"""What each KPI pane shows, computed from a ``KpiSnapshot``: plain data, no widgets.

The dashboard calls :func:`build_panes` on the UI thread after each refresh and after each key
that changes the view (window, split, selected row). It reads only the snapshot's in-memory
buckets, never the store, so it costs a few milliseconds and never waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.core.kpi import ALL, KPIS, Agg, Group, KpiValue, total
from console.core.kpi_engine import KpiSnapshot, WindowData
from console.core.kpi_slo import BREACH, NO_DATA, NONE, OK, WARN, SloSet
from console.tui.widgets.plot import PlotData, PlotMarker

if TYPE_CHECKING:  # httpx and the Prometheus client load only when Prometheus is configured
    from connectors.prometheus import PollerState
    from connectors.prometheus import Series as PromSeries

# The panes, in the order an on-call engineer reads them at 3 a.m.: what customers feel, then
# what endangers them, then the quality of the answers, then context.
PANES: tuple[str, ...] = (
    "complaint_rate", "negative_feedback_rate", "escalation_rate",
    "pii_leak_rate", "injection_rate", "unauthorized_tool_rate",
    "ungrounded_rate", "error_rate", "latency_p95_ms",
    "secret_leaks", "guardrail_block_rate", "conversations",
)  # fmt: skip

# Enter on a pane opens the conversations carrying the KPI's flag (KPIs without one: all of them).
KPI_FLAGS: dict[str, str] = {
    "complaint_rate": "complaint",
    "negative_feedback_rate": "negative_feedback",
    "escalation_rate": "escalation",
    "injection_rate": "injection",
    "pii_leak_rate": "pii_leak",
    "secret_leaks": "secret",
    "unauthorized_tool_rate": "unauthorized_tool",
    "guardrail_block_rate": "guardrail_block",
    "ungrounded_rate": "ungrounded",
    "error_rate": "error",
}

STATE_WORDS = {OK: "OK", WARN: "WARN", BREACH: "BREACH", NO_DATA: "NO DATA", NONE: ""}
_RANK = {BREACH: 4, WARN: 3, OK: 2, NONE: 1, NO_DATA: 0}


def worst_state(states: Iterable[str]) -> str:
    return max(states, key=lambda s: _RANK.get(s, 0), default=NO_DATA)


@dataclass(frozen=True, slots=True)
class Row:
    """One group's value over the window, and the same KPI over the previous equal window."""

    group: Group
    value: KpiValue
    baseline: KpiValue | None

    @property
    def state(self) -> str:
        return self.value.state


@dataclass(frozen=True, slots=True)
class PromView:
    """Prometheus' answer for the pane's KPI and the selected group (strings are untrusted)."""

    state: str  # ok | stale | unreachable | bad_query
    reason: str
    value: float | None
    value_state: str  # the SLO state of ``value``
    points: tuple[tuple[float, float], ...]  # (unix seconds, value)
    point_states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PaneModel:
    kpi: str
    rows: tuple[Row, ...]
    plot: PlotData
    state: str  # the worst state among the rows
    baseline_name: str  # "previous 1h"
    prom: PromView | None = None


def delta(kpi: str, value: float | None, baseline: float | None, *, compact: bool = False) -> tuple[str, int]:
    """The change from ``baseline`` in words, and whether it is worse (1), better (-1) or neither (0)."""
    if value is None or baseline is None:
        return "", 0
    d = KPIS[kpi]
    diff = value - baseline
    if d.kind == "rate":
        amount, unit = diff * 100, "pt" if compact else " pts"
        shown = f"{abs(amount):.1f}"
    elif d.kind == "quantile":
        amount, unit = diff, "ms" if compact else " ms"
        shown = f"{abs(amount):,.0f}"
    else:
        amount, unit = diff, ""
        shown = f"{abs(amount):,.0f}"
    if float(shown.replace(",", "")) == 0:
        return ("=" if compact else "= same"), 0
    arrow = "▲" if amount > 0 else "▼"
    sign = "" if compact else ("+" if amount > 0 else "-")
    gap = "" if compact else " "
    # A change in traffic is neither better nor worse.
    direction = 0 if kpi == "conversations" else (-1 if (amount > 0) == d.higher_is_better else 1)
    return f"{arrow}{gap}{sign}{shown}{unit}", direction


def groups_for(data: WindowData, split: str) -> list[Group]:
    """The rows of every pane: all traffic, then each deployment (or each version)."""
    return [ALL, *data.groups(split)]  # type: ignore[arg-type]


def _bucket_aggs(data: WindowData, group: Group) -> list[Agg]:
    return [total([data.cells.get(i, {})], group) for i in range(data.range.first, data.range.last + 1)]


def plot_data(
    snap: KpiSnapshot, window: str, kpi: str, group: Group, aggs: list[Agg] | None = None
) -> PlotData:
    """The window of one KPI for one group, bucket by bucket, with the group's deploys."""
    data = snap.window(window)
    aggs = aggs if aggs is not None else _bucket_aggs(data, group)
    slo = data.slos[kpi]
    # A count's SLO is over the whole window: one bucket holding a secret is not "warn".
    per_bucket = KPIS[kpi].kind != "count"
    values, weights, states = [], [], []
    for agg in aggs:
        v, _, den = agg.value(kpi)
        values.append(v)
        weights.append(den)
        states.append(slo.state(v) if per_bucket else NONE)
    markers = tuple(
        PlotMarker(m.ts_ms, m.to_version or "?")
        for m in snap.markers_in(window, kind="deploy")
        if group.deployment is None or m.deployment == group.deployment
    )
    r = data.range
    threshold = slo.breach if per_bucket else None
    return PlotData(
        tuple(values),
        tuple(states),
        tuple(weights),
        r.since_ms,
        r.until_ms,
        KPIS[kpi].kind,
        threshold,
        markers,
    )


def build_panes(
    snap: KpiSnapshot,
    window: str,
    split: str,
    selected: Group,
    baseline: WindowData | None,
    *,
    kpis: Iterable[str] = PANES,
    prom: Mapping[str, PromView] | None = None,
) -> dict[str, PaneModel]:
    """Every pane's rows, plot (of the ``selected`` group) and state, for one window and split."""
    data = snap.window(window)
    groups = groups_for(data, split)
    if selected not in groups:
        selected = ALL
    values = {g: data.values(g) for g in groups}
    before = {g: baseline.values(g) for g in groups} if baseline is not None else {}
    aggs = _bucket_aggs(data, selected)
    name = f"previous {window}" if window[0].isdigit() else "previous window"
    panes = {}
    for kpi in kpis:
        rows = tuple(Row(g, values[g][kpi], before[g][kpi] if before else None) for g in groups)
        panes[kpi] = PaneModel(
            kpi,
            rows,
            plot_data(snap, window, kpi, selected, aggs),
            worst_state(r.state for r in rows),
            name,
            (prom or {}).get(kpi),
        )
    return panes


def prom_views(state: PollerState, slos: SloSet, group: Group) -> dict[str, PromView]:
    """Prometheus' series for ``group``, per KPI with a configured query."""
    views = {}
    for kpi, result in state.results.items():
        if kpi not in KPIS:
            continue
        series = _series_for(result.series, group)
        points = series.points if series is not None else ()
        value = points[-1][1] if points else None
        views[kpi] = PromView(
            result.state,
            result.reason,
            value,
            slos.state(kpi, value),
            points,
            tuple(slos.state(kpi, v) for _, v in points),
        )
    return views


def _series_for(series: tuple[PromSeries, ...], group: Group) -> PromSeries | None:
    """The series labelled with the group's deployment (and version, when the series carry one);
    for all traffic, the only series there is (a query summed by deployment has no total)."""
    if group.deployment is None:
        return series[0] if len(series) == 1 else None
    for s in series:
        labels = s.labels
        if labels.get("deployment") != group.deployment:
            continue
        version = labels.get("model_version", labels.get("version"))
        if group.model_version is None or version is None or version == group.model_version:
            return s
    return None


def prom_plot(view: PromView, kpi: str, store_plot: PlotData) -> PlotData | None:
    """Prometheus' series on its own time axis, with the breach line and the deploys that fall on it."""
    if len(view.points) < 2:
        return None
    since, until = int(view.points[0][0] * 1000), int(view.points[-1][0] * 1000)
    return PlotData(
        tuple(v for _, v in view.points), view.point_states, (None,) * len(view.points), since, until,
        KPIS[kpi].kind, store_plot.threshold, tuple(m for m in store_plot.markers if since <= m.ts_ms <= until),
    )  # fmt: skip
