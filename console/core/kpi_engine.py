"""The KPI engine: windows of buckets per deployment and version, kept current incrementally.

``KpiEngine.refresh()`` (call it from a worker thread) returns an immutable ``KpiSnapshot`` that a
UI can read from any thread: series per KPI and group, tables, deploy markers, deploy comparisons,
alerts. Between refreshes the engine keeps every bucket it has computed. A refresh asks the store
which conversations received events since the last one (a primary-key range on ``events.seq``,
costing in proportion to what arrived), recomputes only the buckets those conversations touch
plus the current one, and drops the buckets that slid out of the window. Nothing rescans the
window unless something in all of it changed.

``kpi_report()`` is the one-shot form the CLI uses (and a bundle viewer can use): a window or an
explicit range, plus the deploy comparisons inside it and the alerts at its end.

``start_first_look()`` computes the dashboard's first numbers (its window alone, a tenth of the
engine's first refresh on a large store) on a thread of their own, so a console can start them
as soon as its store is open and show them in its first frame.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

from console.core.config import Config
from console.core.kpi import (
    ALL,
    KPIS,
    WINDOW_NAMES,
    Agg,
    Group,
    GroupBy,
    KpiValue,
    Range,
    Window,
    custom_range,
    groups_of,
    parse_window,
    rfc3339,
    step_text,
    total,
)
from console.core.kpi_deploys import COMPARE_MAX_MS, DeployComparison, Marker, compare_deploy, load_markers
from console.core.kpi_queries import Key, last_seq, newest_start, query_cells, touched_spans
from console.core.kpi_slo import ALERT_WINDOWS, Alert, SloSet, evaluate_alerts
from console.core.store import Store

MAX_QUERY_RUNS = 4  # dirty bucket runs queried separately before one query spans them all

Clock = Callable[[], int]


# -- clocks ----------------------------------------------------------------------------------------
def wall_clock() -> int:
    return int(time.time() * 1000)


def data_clock(store: Store) -> Clock:
    """ "Now" is the newest conversation's start: for replays and stores of past traffic."""

    def now() -> int:
        return newest_start(store) or wall_clock()

    return now


def auto_clock(store: Store) -> Clock:
    """The wall clock, or the newest conversation's start when that is later (a demo fleet runs
    simulated time faster than real time)."""

    def now() -> int:
        return max(wall_clock(), newest_start(store) or 0)

    return now


def make_clock(store: Store, clock: str | Clock) -> Clock:
    if callable(clock):
        return clock
    choices = {
        "wall": lambda: wall_clock,
        "data": lambda: data_clock(store),
        "auto": lambda: auto_clock(store),
    }
    if clock not in choices:
        raise ValueError(f"clock must be wall, data, auto or a callable, not {clock!r}")
    return choices[clock]()


# -- what a refresh publishes -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Series:
    """One KPI of one group, bucket by bucket (values None where there was nothing to measure)."""

    kpi: str
    group: Group
    step_ms: int
    starts: tuple[int, ...]
    values: tuple[float | None, ...]
    denominators: tuple[int | None, ...]
    states: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "kpi": self.kpi, "group": self.group.label, "step_ms": self.step_ms, "starts": list(self.starts),
            "values": list(self.values), "denominators": list(self.denominators), "states": list(self.states),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: Group
    values: Mapping[str, KpiValue]


@dataclass(frozen=True)
class WindowData:
    """A window's buckets (absolute bucket number → group key → Agg). Read-only once published."""

    range: Range
    cells: Mapping[int, Mapping[Key, Agg]]
    slos: SloSet

    @property
    def starts(self) -> list[int]:
        return self.range.bucket_starts()

    def group_keys(self) -> set[Key]:
        return {k for cell in self.cells.values() for k in cell}

    def groups(self, by: GroupBy) -> list[Group]:
        return groups_of(self.group_keys(), by)

    def total(self, group: Group = ALL) -> Agg:
        return total(self.cells.values(), group)

    def values(self, group: Group = ALL) -> dict[str, KpiValue]:
        """Every KPI of ``group`` over the whole window, with SLO states."""
        return self.total(group).kpis(self.slos)

    def table(self, by: GroupBy = None) -> list[GroupRow]:
        """The overall row, then one row per group of ``by`` (None: the overall row alone)."""
        rows = [GroupRow(ALL, self.values(ALL))]
        if by is not None:
            rows += [GroupRow(g, self.values(g)) for g in self.groups(by)]
        return rows

    def series(self, kpi: str, group: Group = ALL) -> Series:
        if kpi not in KPIS:
            raise KeyError(f"unknown KPI {kpi!r}")
        slo = self.slos[kpi]
        values, dens, states = [], [], []
        for i in range(self.range.first, self.range.last + 1):
            cell = self.cells.get(i, {})
            value, _, den = total([cell], group).value(kpi)
            values.append(value)
            dens.append(den)
            states.append(slo.state(value))
        return Series(
            kpi, group, self.range.step_ms, tuple(self.starts), tuple(values), tuple(dens), tuple(states)
        )


@dataclass(frozen=True)
class KpiSnapshot:
    """Everything the dashboard shows, as of ``now_ms``; safe to read from any thread."""

    now_ms: int
    windows: Mapping[str, WindowData]
    markers: tuple[Marker, ...]  # deploys and control actions in the largest window, oldest first
    comparisons: tuple[DeployComparison, ...]  # one per deploy in the largest window
    alerts: tuple[Alert, ...]
    slos: SloSet
    changed: bool  # anything differs from the previous snapshot
    refresh_ms: float = 0.0  # how long the refresh took

    def window(self, name: str) -> WindowData:
        return self.windows[name]

    def series(self, window: str, kpi: str, group: Group = ALL) -> Series:
        return self.windows[window].series(kpi, group)

    def table(self, window: str, by: GroupBy = None) -> list[GroupRow]:
        return self.windows[window].table(by)

    def markers_in(self, window: str, kind: str | None = None) -> list[Marker]:
        r = self.windows[window].range
        return [
            m
            for m in self.markers
            if r.since_ms <= m.ts_ms <= r.until_ms and (kind is None or m.kind == kind)
        ]

    def comparisons_in(self, window: str) -> list[DeployComparison]:
        r = self.windows[window].range
        return [c for c in self.comparisons if r.since_ms <= c.deploy.ts_ms <= r.until_ms]


# -- the live engine -------------------------------------------------------------------------------
class _WindowCache:
    def __init__(self, window: Window) -> None:
        self.window = window
        self.range: Range | None = None
        self.cells: dict[int, Mapping[Key, Agg]] = {}

    def update(self, store: Store, now_ms: int, spans: list[tuple[int, int]] | None) -> bool:
        """Bring the buckets up to ``now_ms``; ``spans`` is what changed (None: everything)."""
        rng = self.window.range_at(now_ms)
        old = self.range
        step, first, last = rng.step_ms, rng.first, rng.last
        if spans is None or old is None:
            cells: dict[int, Mapping[Key, Agg]] = {}
            need = set(range(first, last + 1))
        else:
            cells = {i: c for i, c in self.cells.items() if first <= i <= last}
            need = {i for i in range(first, last + 1) if i not in cells}
            if rng.until_ms != old.until_ms:
                # The bucket that held "now" was partial; so is the one holding it now.
                need.update(range(max(min(old.last, last), first), last + 1))
            for lo, hi in spans:
                need.update(range(max(lo // step, first), min(hi // step, last) + 1))
        if not need and rng == old:
            return False
        for a, b in _runs(need):
            cells.update(query_cells(store, rng, a, b))
        self.range, self.cells = rng, cells
        return True

    def data(self, slos: SloSet) -> WindowData:
        assert self.range is not None
        return WindowData(self.range, dict(self.cells), slos)


def _runs(indices: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for i in sorted(indices):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    if len(runs) > MAX_QUERY_RUNS:
        return [(runs[0][0], runs[-1][1])]
    return [(a, b) for a, b in runs]


class KpiEngine:
    """Live KPIs over sliding windows; ``refresh()`` from one worker thread at a time.

    ``windows`` are window names ("5m", "1h", "24h", "30m", "7d", …); 5m, 1h and 24h are always
    kept too, because the burn-rate alerts need them. ``clock``: "auto" (default: wall clock, or
    the data's time when a demo runs ahead of it), "wall", "data", or a callable returning epoch ms.
    """

    def __init__(
        self,
        store: Store,
        *,
        windows: Iterable[str] = WINDOW_NAMES,
        slos: SloSet | None = None,
        clock: str | Clock = "auto",
        compare_max_ms: int = COMPARE_MAX_MS,
    ) -> None:
        self.store = store
        self.slos = slos or SloSet.defaults()
        self.compare_max_ms = compare_max_ms
        self._clock = make_clock(store, clock)
        names = list(dict.fromkeys([*windows, *ALERT_WINDOWS]))
        self._caches = {name: _WindowCache(parse_window(name)) for name in names}
        self._seq: int | None = None
        self._now: int | None = None
        self._compared: dict[str, DeployComparison] = {}
        self._markers: tuple[Marker, ...] = ()
        self._lock = threading.Lock()
        self.snapshot: KpiSnapshot | None = None

    @classmethod
    def from_config(cls, store: Store, cfg: Config, **kwargs) -> KpiEngine:
        """An engine with the configuration's SLOs (``slos``) over the defaults."""
        return cls(store, slos=SloSet.from_config(cfg.slos), **kwargs)

    @property
    def window_names(self) -> list[str]:
        return list(self._caches)

    def refresh(self, now_ms: int | None = None) -> KpiSnapshot:
        """Bring every window up to ``now_ms`` (default: the clock) and publish a new snapshot."""
        with self._lock:
            t0 = time.perf_counter()
            now = int(now_ms if now_ms is not None else self._clock())
            top = last_seq(self.store)  # read first: whatever commits later is seen next time
            if self._seq is None:
                spans: list[tuple[int, int]] | None = None
            elif top != self._seq:
                spans = touched_spans(self.store, self._seq, top) if top > self._seq else None
            else:
                spans = []
            changed = False
            for cache in self._caches.values():
                changed |= cache.update(self.store, now, spans)
            if spans is None or top != self._seq or self.snapshot is None:
                self._markers = tuple(self._load_markers(now))
                changed = True
            comparisons = self._compare(now, spans)
            windows = {name: c.data(self.slos) for name, c in self._caches.items()}
            alerts = alerts_for(windows, self.slos)
            self._seq, self._now = top, now
            snap = KpiSnapshot(
                now,
                windows,
                self._markers,
                comparisons,
                tuple(alerts),
                self.slos,
                changed,
                (time.perf_counter() - t0) * 1000,
            )
            self.snapshot = snap
            return snap

    def _widest(self, now: int) -> Range:
        return max(
            (c.window.range_at(now) for c in self._caches.values()), key=lambda r: r.until_ms - r.since_ms
        )

    def _load_markers(self, now: int) -> list[Marker]:
        widest = self._widest(now)
        # Neighbouring deploys outside the window still bound the comparison windows.
        return load_markers(self.store, widest.since_ms - self.compare_max_ms, now + self.compare_max_ms + 1)

    def _compare(self, now: int, spans: list[tuple[int, int]] | None) -> tuple[DeployComparison, ...]:
        widest = self._widest(now)
        out = []
        compared: dict[str, DeployComparison] = {}
        for m in self._markers:
            if m.kind != "deploy" or not widest.since_ms <= m.ts_ms <= now:
                continue
            cached = self._compared.get(m.id)
            fresh = cached is not None and (cached.complete or now == self._now)
            if not fresh or _touches(spans, cached.before[0], cached.after[1]):
                cached = compare_deploy(self.store, m, self._markers, now, self.compare_max_ms)
            compared[m.id] = cached
            out.append(cached)
        self._compared = compared
        return tuple(out)


def _touches(spans: list[tuple[int, int]] | None, since: int, until: int) -> bool:
    if spans is None:
        return True
    return any(lo < until and hi >= since for lo, hi in spans)


def alerts_for(windows: Mapping[str, WindowData], slos: SloSet) -> list[Alert]:
    """Burn-rate alerts, overall and per deployment, from the 5m, 1h and 24h windows."""
    present = [w for name, w in windows.items() if name in ALERT_WINDOWS]
    deployments = sorted({k[0] for w in present for k in w.group_keys() if k[0] is not None})
    groups = [ALL, *(Group(d) for d in deployments)]
    values = {name: {g: windows[name].values(g) for g in groups} for name in ALERT_WINDOWS if name in windows}
    return evaluate_alerts(values, slos)


# -- one-shot ----------------------------------------------------------------------------------------
def compute_window(store: Store, rng: Range, slos: SloSet) -> WindowData:
    return WindowData(rng, query_cells(store, rng, rng.first, rng.last), slos)


@dataclass(frozen=True)
class KpiReport:
    """The KPI table of one window or range, its deploys compared, and the alerts at its end."""

    data: WindowData
    by: GroupBy
    now_ms: int
    comparisons: tuple[DeployComparison, ...]
    markers: tuple[Marker, ...]
    alerts: tuple[Alert, ...]
    rows: list[GroupRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        r = self.data.range
        return {
            "schema": "trustops.kpi/1",
            "window": {
                "name": r.name, "since": rfc3339(r.since_ms), "until": rfc3339(r.until_ms), "since_ms": r.since_ms,
                "until_ms": r.until_ms, "step_ms": r.step_ms, "step": step_text(r.step_ms),
                "buckets": r.last - r.first + 1,
            },
            "by": self.by,
            "slos": self.data.slos.as_dict(),
            "groups": {
                row.group.label: {k: v.as_dict() for k, v in row.values.items()} for row in self.rows
            },
            "deploys": [c.as_dict() for c in self.comparisons],
            "alerts": [a.as_dict() for a in self.alerts],
        }  # fmt: skip


def kpi_report(
    store: Store,
    *,
    window: str = "1h",
    since_ms: int | None = None,
    until_ms: int | None = None,
    by: GroupBy = None,
    slos: SloSet | None = None,
    now_ms: int | None = None,
    compare_max_ms: int = COMPARE_MAX_MS,
) -> KpiReport:
    """KPIs of the last ``window`` before now, or of [since, until) when given (either alone: the
    window ending at ``until``, or from ``since`` to now). Alerts are evaluated at the range's end."""
    slos = slos or SloSet.defaults()
    now = int(now_ms if now_ms is not None else auto_clock(store)())
    if since_ms is not None:
        rng = custom_range(since_ms, until_ms if until_ms is not None else now)
    else:
        rng = parse_window(window).range_at(until_ms if until_ms is not None else now)
    end = rng.until_ms
    alert_windows = {
        name: compute_window(store, parse_window(name).range_at(end), slos) for name in ALERT_WINDOWS
    }
    same = [w for w in alert_windows.values() if w.range == rng]
    data = same[0] if same else compute_window(store, rng, slos)
    latest = max(now, end)
    markers = load_markers(store, rng.since_ms - compare_max_ms, latest + compare_max_ms + 1)
    comparisons = tuple(
        compare_deploy(store, m, markers, latest, compare_max_ms)
        for m in markers
        if m.kind == "deploy" and rng.since_ms <= m.ts_ms < rng.until_ms
    )
    in_range = tuple(m for m in markers if rng.since_ms <= m.ts_ms < rng.until_ms)
    return KpiReport(
        data,
        by,
        now,
        comparisons,
        in_range,
        tuple(alerts_for(alert_windows, slos)),
        data.table(by),
    )


# -- the dashboard's first look ---------------------------------------------------------------------
DASHBOARD_WINDOW = "1h"  # the window the dashboard opens on


@dataclass(frozen=True, slots=True)
class Freshness:
    """What the store holds: the newest stored event's time, and how many events there are."""

    last_event_ms: int | None
    events: int


def read_freshness(store: Store) -> Freshness:
    """By primary key (no scan)."""
    seq = last_seq(store)
    ts = store.scalar("SELECT ts_ms FROM events WHERE seq = ?", [seq]) if seq else None
    return Freshness(None if ts is None else int(ts), seq)


def first_look(store: Store, window: str, slos: SloSet, now_ms: int) -> KpiSnapshot:
    """One window alone, computed in one query, with its deploy markers and no alerts or deploy
    comparisons (they need every window): on a store of a million events about a tenth of the
    engine's first refresh (which also builds 24 h for the alerts), so an operator sees the
    numbers while the rest is computed."""
    data = compute_window(store, parse_window(window).range_at(now_ms), slos)
    markers = tuple(load_markers(store, data.range.since_ms, now_ms + 1))
    return KpiSnapshot(now_ms, {window: data}, markers, (), (), slos, True)


@dataclass(frozen=True, slots=True)
class FirstLook:
    """The dashboard's first numbers: ``window`` alone (see :func:`first_look`) and the store's
    freshness, both as of ``snapshot.now_ms``."""

    window: str
    snapshot: KpiSnapshot
    freshness: Freshness


def start_first_look(
    store: Store, cfg: Config, clock: Clock, window: str = DASHBOARD_WINDOW
) -> Future[FirstLook]:
    """Compute the dashboard's first look on a thread of its own, starting now.

    The console starts it as soon as the store is open, before the UI's modules load: the queries
    (which release the GIL) then run while the interpreter imports Textual and lays out the
    screen, and the first frame can hold the numbers. A failure is the future's exception.
    """
    future: Future[FirstLook] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            now = int(clock())
            slos = SloSet.from_config(cfg.slos)
            look = FirstLook(window, first_look(store, window, slos, now), read_freshness(store))
        except BaseException as exc:  # handed to whoever waits: the dashboard reports it
            future.set_exception(exc)
        else:
            future.set_result(look)

    threading.Thread(target=run, name="kpi-first-look", daemon=True).start()
    return future
