"""The live trust-KPI dashboard: the console's first screen.

What it shows, top to bottom: a status line (data freshness and the state of every source), the
burn-rate alerts in words, a grid of KPI panes (a plot of the window with deploys marked, then a
row per deployment, or per version with ``v``), and the newest deploy's comparison in words.

How it stays live without ever waiting on the store (Toolong's pattern):

- the first numbers come before the engine's first refresh: the window on screen alone
  (``console.core.kpi_engine.start_first_look``, which the console starts as soon as its store is
  open, before the UI's modules load), so on a large store the first frame already shows them;
  alerts and deploy comparisons follow with the engine's first refresh;
- a timer asks for a refresh every ``refresh_every_s`` (0.5 s); the refresh runs in a thread
  worker (``group="kpi"``), and a tick is skipped while one is still running;
- the worker calls ``KpiEngine.refresh()`` (incremental: milliseconds when little arrived) and
  posts one :class:`KpiRefreshed` message, which ``can_replace`` an older one still queued, so a
  slow UI gets the latest snapshot, never a backlog;
- the UI thread turns the snapshot into pane models (in-memory sums) and applies them inside one
  ``batch_update``; a pane whose model is unchanged is not repainted.

Keys change the view from the snapshot already in memory (all windows are kept current), so a
window key repaints at once. Prometheus, when configured, is polled on its own daemon thread and
reaches the screen the same way (:class:`PromUpdated`).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.events import DescendantFocus, Resize
from textual.message import Message
from textual.widgets import Input
from textual.worker import Worker

from console.core.errors import UserError
from console.core.kpi import ALL, KPIS, WINDOW_NAMES, Group, Range, parse_window
from console.core.kpi_deploys import DeployComparison
from console.core.kpi_engine import (
    DASHBOARD_WINDOW,
    FirstLook,
    Freshness,
    KpiEngine,
    KpiSnapshot,
    WindowData,
    compute_window,
    first_look,
    read_freshness,
    start_first_look,
)
from console.core.kpi_queries import newest_start
from console.core.queries import ConversationFilter
from console.core.store import Store
from console.tui.commands import PaletteEntry
from console.tui.screens.base import ConsoleScreen
from console.tui.untrusted import join, untrusted
from console.tui.widgets.alerts_strip import AlertKey, AlertsStrip, alert_key
from console.tui.widgets.kpi_deploy_line import DeployLine
from console.tui.widgets.kpi_model import KPI_FLAGS, PANES, PaneModel, build_panes, groups_for, prom_views
from console.tui.widgets.kpi_pane import KpiPane
from console.tui.widgets.kpi_status import KpiStatus, SourceState, age_text

if TYPE_CHECKING:  # httpx and the Prometheus client load only when Prometheus is configured
    from connectors.prometheus import PollerState, PromPoller

REFRESH_EVERY_S = 0.25  # "at least twice a second" (SPEC 10), with room for a skipped tick
DEFAULT_WINDOW = DASHBOARD_WINDOW
MIN_PANE_HEIGHT = 9  # 7 lines inside: a 2-line plot, its axis, all traffic and three deployments
IDLE_INGEST_S = 30.0
WINDOW_GROUP = Binding.Group("Window", compact=True)
SPLIT_WORDS = {"deployment": "by deployment", "model_version": "by version"}


class KpiRefreshed(Message):
    """A new snapshot (and the previous-window baselines); only the latest one matters.

    ``partial``: the first look, holding only the window on screen, with no alerts or deploy
    comparisons yet (they need every window; see :func:`first_look`)."""

    def __init__(
        self,
        generation: int,
        snapshot: KpiSnapshot,
        baselines: dict[str, WindowData],
        freshness: Freshness,
        *,
        partial: bool = False,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.snapshot = snapshot
        self.baselines = baselines
        self.freshness = freshness
        self.partial = partial

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, KpiRefreshed)


class FirstLookDone(Message):
    """The first look (see :meth:`DashboardScreen.start_first_look`) is computed, or failed."""

    def __init__(self, future: Future[FirstLook], generation: int) -> None:
        super().__init__()
        self.future = future
        self.generation = generation


class KpiFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, KpiFailed)


class PromUpdated(Message):
    def __init__(self, state: PollerState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PromUpdated)


class PaneFilter(Input):
    """``/``: show only the panes whose KPI matches one of the words (as you type)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dashboard.filter_cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder="panes matching… (e.g. leak tool latency); Enter keeps, Esc cancels",
                         id="pane-filter")  # fmt: skip
        self.display = False
        self.before = ""

    def action_cancel(self) -> None:
        self.value = self.before
        self.display = False
        self.screen.focus_default()


class WindowPrompt(Input):
    """``4``: a custom window (30m, 6h, 7d, 90s…)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dashboard.window_cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder="custom window: 30m, 6h, 7d, 90s…; Enter applies, Esc cancels",
                         id="window-prompt")  # fmt: skip
        self.display = False

    def action_cancel(self) -> None:
        self.display = False
        self.screen.focus_default()


class PaneGrid(VerticalScroll, can_focus=False, inherit_bindings=False):
    """The panes, three to a row; rows share the height, down to a floor, then the grid scrolls.
    No scrolling keys of its own: arrows move between panes (the focused pane scrolls into view)."""

    def on_resize(self, event: Resize) -> None:
        self.screen.lay_out_panes()  # type: ignore[attr-defined]


def freeze_heap() -> None:
    """Move everything alive now out of the collector's sight, once per process.

    With a million-event store open, a full (generation 2) collection walks the console's whole
    long-lived heap, modules, widgets and KPI caches, in 70-90 ms on a shared core, about once a
    second while data streams in; a key press that lands on one waits for it (measured: p95 key
    to screen 150 ms with, 55 ms without). Frozen objects are never collected, which is right
    for what lives as long as the console; what is allocated later is collected as usual.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


_heap_frozen = False


def pane_matches(kpi: str, words: list[str]) -> bool:
    haystack = f"{kpi} {KPIS[kpi].title} {KPI_FLAGS.get(kpi, '')}".lower()
    return not words or any(w in haystack for w in words)


class DashboardScreen(ConsoleScreen):
    DEFAULT_CSS = """
    DashboardScreen #kpi-grid-scroll {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    DashboardScreen #kpi-grid {
        grid-size: 3;
        grid-gutter: 0 1;
        height: auto;
    }
    DashboardScreen Footer.-compact FooterLabel {
        margin: 0 1 0 0;  /* "1234 Window" then a gap before the next key */
    }
    DashboardScreen #pane-filter, DashboardScreen #window-prompt {
        dock: bottom;
        height: 3;
        border: tall $accent;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "window('5m')", "5m", id="dashboard.window_5m", group=WINDOW_GROUP),
        Binding("2", "window('1h')", "1h", id="dashboard.window_1h", group=WINDOW_GROUP),
        Binding("3", "window('24h')", "24h", id="dashboard.window_24h", group=WINDOW_GROUP),
        Binding("4", "custom_window", "custom", id="dashboard.window_custom", group=WINDOW_GROUP),
        Binding("v", "toggle_split", "Split", id="dashboard.split"),
        Binding("p", "toggle_prometheus", "Prometheus", id="dashboard.prometheus"),
        Binding("slash", "filter_panes", "Filter", id="dashboard.filter"),
        Binding("up", "move(0, -1)", "Row or pane above", show=False, id="dashboard.up"),
        Binding("down", "move(0, 1)", "Row or pane below", show=False, id="dashboard.down"),
        Binding("left", "move(-1, 0)", "Pane to the left", show=False, id="dashboard.left"),
        Binding("right", "move(1, 0)", "Pane to the right", show=False, id="dashboard.right"),
    ]

    def __init__(
        self,
        *,
        window: str = DEFAULT_WINDOW,
        split: str = "deployment",
        refresh_every_s: float | None = REFRESH_EVERY_S,
        clock: Callable[[], int] | None = None,
        first_look: Future[FirstLook] | None = None,
    ) -> None:
        """``clock`` (epoch ms) is "now" for the KPIs; by default the app's clock, or the newest
        conversation's start when that is later (a demo runs simulated time ahead of the wall).
        ``first_look``: the first numbers, already being computed (``start_first_look``, started
        by the console before its UI loaded, with the same clock); by default started on mount."""
        super().__init__()
        self._first = first_look
        self._awaiting_first = False
        self._quick_done = 0  # the engine generation whose first look is on screen
        self._unshown = True  # something to show that _show has not shown
        self.window = window
        self.split = split
        self.selected: Group = ALL
        self.use_prometheus = False
        self.pane_words: list[str] = []
        self._refresh_every_s = refresh_every_s
        self._clock = clock
        self._engine: KpiEngine | None = None
        self._generation = 0
        self._busy = False
        self._again = False
        self._snapshot: KpiSnapshot | None = None
        self._partial = False
        self._kpi_clock: Callable[[], int] = lambda: 0
        self._baselines: dict[str, WindowData] = {}
        self._baseline_keys: dict[str, tuple[int, int]] = {}
        self._baseline_lock = threading.Lock()
        self._freshness: Freshness | None = None
        self._store_error = ""
        self._first_seen: dict[AlertKey, int] = {}
        self._poller: PromPoller | None = None
        self._prom_state: PollerState | None = None
        self._focused_kpi = PANES[0]
        self._columns = 3
        self.refreshes = 0  # new snapshots applied (for tests and the benchmark)
        self._models_source: tuple | None = None  # what the kept pane models were built from
        self._models_kept: dict[tuple, dict[str, PaneModel]] = {}  # by (window, split, selected)

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield KpiStatus(id="kpi-status")
        yield AlertsStrip(id="alerts")
        with PaneGrid(id="kpi-grid-scroll"), Grid(id="kpi-grid"):
            for kpi in PANES:
                yield KpiPane(kpi, id=f"pane-{kpi}")
        yield DeployLine(id="deploy-line")
        yield PaneFilter()
        yield WindowPrompt()

    @property
    def panes(self) -> list[KpiPane]:
        return list(self.query(KpiPane))

    def visible_panes(self) -> list[KpiPane]:
        return [p for p in self.panes if p.display]

    def lay_out_panes(self) -> None:
        """Columns by width (3, or fewer on a narrow terminal). Rows share the height when they all
        fit at ``MIN_PANE_HEIGHT``; otherwise as many as fit share it and the grid scrolls."""
        scroll = self.query_one(PaneGrid)
        grid = self.query_one("#kpi-grid", Grid)
        width, height = scroll.size
        if not width or not height:
            return
        columns = 3 if width >= 96 else 2 if width >= 60 else 1
        rows = -(-max(1, len(self.visible_panes())) // columns)
        fit = max(1, height // MIN_PANE_HEIGHT)
        self._columns = columns
        grid.styles.grid_size_columns = columns
        if rows <= fit:
            grid.styles.grid_rows = "1fr"
            grid.styles.height = height
        else:
            row_height = height // fit
            grid.styles.grid_rows = str(row_height)
            grid.styles.height = row_height * rows

    def crumbs(self) -> list[Content]:
        parts: list = ["KPIs (last ", (self.window, "bold"), f", {SPLIT_WORDS[self.split]}"]
        if self.use_prometheus:
            parts.append(", plots from Prometheus")
        if self.pane_words:
            parts += [", panes matching ", untrusted(" ".join(self.pane_words), max_chars=60)]
        parts.append(")")
        return [join(*parts)]

    def focus_default(self) -> None:
        pane = self._pane(self._focused_kpi)
        visible = self.visible_panes()
        if pane is not None and pane.display:
            self.set_focus(pane)
        elif visible:
            self.set_focus(visible[0])

    def _pane(self, kpi: str) -> KpiPane | None:
        found = self.query(f"#pane-{kpi}")
        return found.first(KpiPane) if found else None

    # -- life cycle --------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._engine = self._new_engine()
        self._start_prometheus()
        self.start_first_look()
        if self._refresh_every_s:
            self.set_interval(self._refresh_every_s, self._tick)
        self.focus_default()
        if self._snapshot is None:
            self._show_status()

    def on_unmount(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            # stop() joins the poller thread, which may sit in an HTTP call: never on the UI thread.
            threading.Thread(target=poller.stop, name="prometheus-stop", daemon=True).start()

    def on_screen_resume(self) -> None:
        if self._unshown:  # what arrived while another screen was on top (or nothing shown yet)
            self._show()

    def _store(self) -> Store:
        store = getattr(self.app.source, "store", None)
        if store is None:
            raise UserError("this data source has no store to compute KPIs from")
        return store

    def _new_engine(self, extra: str | None = None) -> KpiEngine:
        store = self._store()
        clock = self._clock
        if clock is None:
            app = self.app

            def clock() -> int:
                return max(app.now_ms(), newest_start(store) or 0)

        windows = (*WINDOW_NAMES, extra) if extra and extra not in WINDOW_NAMES else WINDOW_NAMES
        self._generation += 1
        self._kpi_clock = clock
        return KpiEngine.from_config(store, self.app.config, windows=windows, clock=clock)

    def _start_prometheus(self) -> None:
        cfg = self.app.config
        if not cfg.prometheus_url or not cfg.prometheus_queries:
            return
        from connectors.prometheus import PromPoller

        self._poller = PromPoller.from_config(cfg, on_update=lambda s: self.post_message(PromUpdated(s)))
        if self._poller is not None:
            self._poller.start()

    # -- refreshing (worker thread) -----------------------------------------------------------------
    def start_first_look(self) -> None:
        """The first numbers, before the engine's first refresh (which computes every window, the
        alerts and the deploy comparisons: about ten times the work on a large store).

        They come from the look the console started before its UI loaded, or else one started
        now, on a plain thread (a worker's thread would start only after the screen's first
        layout and paint). Ready by now, they are in the first frame. The engine's first refresh
        starts once they are on screen, so the two never compete for the interpreter while the
        frame is drawn.
        """
        future, self._first = self._first, None
        if future is None:
            future = start_first_look(self._store(), self.app.config, self._kpi_clock, self.window)
        self._awaiting_first = True
        generation = self._generation
        if future.done():
            self._first_look_done(future, generation)
        else:
            future.add_done_callback(lambda f: self.post_message(FirstLookDone(f, generation)))

    def on_first_look_done(self, message: FirstLookDone) -> None:
        self._first_look_done(message.future, message.generation)

    def _first_look_done(self, future: Future[FirstLook], generation: int) -> None:
        self._awaiting_first = False
        try:
            look = future.result()
        except Exception:  # the refresh that follows tries again, and reports what still fails
            self.refresh_kpis()
            return
        if generation == self._generation and self.window in look.snapshot.windows:
            self._quick_done = generation
            self.on_kpi_refreshed(KpiRefreshed(generation, look.snapshot, {}, look.freshness, partial=True))
        self.call_after_refresh(self.refresh_kpis)

    def _tick(self) -> None:
        # A refresh still running: this tick is skipped, the next one catches up.
        if not self._busy and not self._awaiting_first:
            self.refresh_kpis()

    def refresh_kpis(self) -> None:
        """Refresh now, or as soon as the running refresh ends (never two at once, so the
        exclusive worker never has to cancel one)."""
        assert self._engine is not None
        if self._busy:
            self._again = True
            return
        self._busy = True
        quick = self._quick_done != self._generation
        self._refresh(self._engine, self._generation, self._kpi_clock, self.window, quick)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "kpi" or not event.worker.is_finished:
            return
        self._busy = False
        if self._again:
            self._again = False
            self.refresh_kpis()

    @work(thread=True, exclusive=True, group="kpi", exit_on_error=False)
    def _refresh(
        self, engine: KpiEngine, generation: int, clock: Callable[[], int], window: str, quick: bool
    ) -> None:
        """``quick``: no first look of this engine is on screen yet; one is shown before the
        engine's first refresh (a custom window's new engine)."""
        try:
            now = clock()
            freshness = read_freshness(engine.store)
            if quick and engine.snapshot is None and window in engine.window_names:
                look = first_look(engine.store, window, engine.slos, now)
                self.post_message(KpiRefreshed(generation, look, {}, freshness, partial=True))
            snapshot = engine.refresh(now)
            baselines = dict(self._baselines)
            self.post_message(KpiRefreshed(generation, snapshot, baselines, freshness))
            updated = self._update_baselines(engine.store, snapshot, baselines)
            if updated is not baselines:
                self.post_message(KpiRefreshed(generation, snapshot, updated, freshness))
        except Exception as exc:  # the store went away, a bug: shown in the status line, never a crash
            self.post_message(KpiFailed(f"{type(exc).__name__}: {exc}"))

    def _update_baselines(
        self, store: Store, snapshot: KpiSnapshot, baselines: dict[str, WindowData]
    ) -> dict[str, WindowData]:
        """The previous equal window of each window, recomputed only when its range moved (every
        bucket: 10 s for 5m, 1 min for 1h, 15 min for 24h)."""
        with self._baseline_lock:
            updated = baselines
            for name, data in snapshot.windows.items():
                r = data.range
                span = parse_window(name).span_ms
                key = (r.since_ms - span, r.since_ms)
                if self._baseline_keys.get(name) == key and name in baselines:
                    continue
                previous = compute_window(
                    store, Range(key[0], key[1], r.step_ms, f"before {name}"), snapshot.slos
                )
                if updated is baselines:
                    updated = dict(baselines)
                updated[name] = previous
                self._baseline_keys[name] = key
            return updated

    # -- applying (UI thread) -----------------------------------------------------------------------
    def on_kpi_refreshed(self, message: KpiRefreshed) -> None:
        if message.generation != self._generation:
            return  # from an engine replaced since (a new custom window)
        old = self._snapshot
        if old is not None and message.snapshot.now_ms < old.now_ms:
            return  # two refreshes crossed (a forced one beside the timer's): keep the newer
        if message.snapshot is not old:
            self.refreshes += 1
        if not message.partial and not _heap_frozen:
            self.call_after_refresh(freeze_heap)  # once the first full snapshot is on screen
        self._snapshot = message.snapshot
        self._partial = message.partial
        self._baselines = message.baselines
        self._freshness = message.freshness
        if self._store_error:
            self._store_error = ""
        seen = {alert_key(a) for a in message.snapshot.alerts}
        self._first_seen = {k: v for k, v in self._first_seen.items() if k in seen}
        for key in seen:
            self._first_seen.setdefault(key, message.snapshot.now_ms)
        if self.is_current:
            self._show()
        else:
            self._unshown = True

    def on_kpi_failed(self, message: KpiFailed) -> None:
        if not self._store_error:
            self.app.tell(f"KPI refresh failed: {message.reason}", severity="error", title="Store")
        self._store_error = message.reason
        self._show_status()

    def on_prom_updated(self, message: PromUpdated) -> None:
        self._prom_state = message.state
        if self.is_current:
            self._show()
        else:
            self._unshown = True

    def _show(self) -> None:
        self._unshown = False
        snap = self._snapshot
        if snap is None:
            self._show_status()
            return
        if self.window not in snap.windows:
            self._show_status(f"computing the {self.window} window…")
            return
        data = snap.window(self.window)
        groups = groups_for(data, self.split)
        if self.selected not in groups:
            self.selected = ALL
        models = self._models(snap)
        with self.app.batch_update():
            for pane in self.panes:
                pane.show(
                    models[pane.kpi], self.selected, use_prometheus=self.use_prometheus, view=self.window
                )
            alerts = self.query_one(AlertsStrip)
            if self._partial:
                alerts.wait("checking burn-rate alerts over 5m, 1h and 24h…")
            else:
                alerts.show(snap.alerts, self._first_seen, 3 if self.size.height < 44 else 4)
            self._show_deploy_line()
            self._show_status()

    def _models(self, snap: KpiSnapshot) -> dict[str, PaneModel]:
        """The panes' models for the view on screen, kept while the data they come from stays
        the same: a window key back to a window seen since the last refresh builds nothing."""
        source = (snap, self._baselines, self._prom_state)
        if self._models_source is None or any(
            a is not b for a, b in zip(source, self._models_source, strict=True)
        ):
            self._models_source, self._models_kept = source, {}
        view = (self.window, self.split, self.selected)
        models = self._models_kept.get(view)
        if models is None:
            prom = prom_views(self._prom_state, snap.slos, self.selected) if self._prom_state else None
            models = build_panes(
                snap, self.window, self.split, self.selected, self._baselines.get(self.window), prom=prom
            )
            self._models_kept[view] = models
        return models

    def _show_deploy_line(self) -> None:
        snap = self._snapshot
        if snap is None or self.window not in snap.windows:
            return
        if self._partial:
            self.query_one(DeployLine).wait("comparing before and after each deploy…")
            return
        self.query_one(DeployLine).show(self._deploy(snap), self._focused_kpi, self.window, self.selected)

    def _deploy(self, snap: KpiSnapshot) -> DeployComparison | None:
        """The newest deploy in the window of the selected row's deployment (any, for all traffic)."""
        dep = self.selected.deployment
        found = [c for c in snap.comparisons_in(self.window) if dep is None or c.deploy.deployment == dep]
        return found[-1] if found else None

    def _show_status(self, note: str = "") -> None:
        snap = self._snapshot
        self.query_one(KpiStatus).show(snap.now_ms if snap else None, self._freshness, self._sources(), note)

    def _sources(self) -> list[SourceState]:
        store = (
            SourceState("store", "unreachable", self._store_error)
            if self._store_error
            else SourceState("store", "ok")
        )
        return [store, self._live_source(), self._prom_source()]

    def _live_source(self) -> SourceState:
        live = self.app.live
        if live is None:
            return SourceState("live ingest", "off")
        status = live.status()
        if status.error:
            return SourceState("live ingest", "error", status.error)
        if not status.running:
            return SourceState("live ingest", "stopped")
        if status.last_chunk_at is None:
            return SourceState("live ingest", "idle", "nothing stored yet")
        age = time.time() - status.last_chunk_at
        if age > IDLE_INGEST_S:
            return SourceState("live ingest", "idle", f"nothing new for {age_text(age * 1000)}")
        return SourceState("live ingest", "ok", f"last batch {age_text(age * 1000)} ago")

    def _prom_source(self) -> SourceState:
        if self._poller is None:
            return SourceState("prometheus", "off")
        state = self._prom_state
        if state is None:
            return SourceState("prometheus", "stale", "first poll running")
        reasons = state.reasons()
        detail = ""
        if reasons:
            kpi, reason = next(iter(reasons.items()))
            more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
            detail = f"{kpi}: {reason}{more}"
        return SourceState("prometheus", state.state, detail)

    # -- keys --------------------------------------------------------------------------------------
    def available(self, action: str) -> bool | None:
        if action == "toggle_prometheus":
            return self._poller is not None
        return True

    def action_window(self, name: str) -> None:
        self.use_window(name)

    def use_window(self, name: str) -> None:
        if name not in WINDOW_NAMES and (self._engine is None or name not in self._engine.window_names):
            self._engine = self._new_engine(name)
            self._snapshot = None
            self.refresh_kpis()
        self.window = name
        self.refresh_crumbs()
        self._show()

    def action_custom_window(self) -> None:
        prompt = self.query_one(WindowPrompt)
        prompt.value = self.window if self.window not in WINDOW_NAMES else ""
        prompt.display = True
        self.set_focus(prompt)

    def action_toggle_split(self) -> None:
        old = self.selected
        self.split = "model_version" if self.split == "deployment" else "deployment"
        if self._snapshot is not None and self.window in self._snapshot.windows and old != ALL:
            groups = groups_for(self._snapshot.window(self.window), self.split)
            same = [g for g in groups if g.deployment == old.deployment]
            self.selected = same[-1] if same else ALL
        self.refresh_crumbs()
        self._show()

    def action_toggle_prometheus(self) -> None:
        self.use_prometheus = not self.use_prometheus
        self.refresh_crumbs()
        self._show()

    def action_filter_panes(self) -> None:
        line = self.query_one(PaneFilter)
        line.before = line.value = " ".join(self.pane_words)
        line.display = True
        self.set_focus(line)
        line.action_end()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, PaneFilter):
            event.stop()
            self.filter_panes(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, PaneFilter):
            event.stop()
            event.input.display = False
            self.focus_default()
        elif isinstance(event.input, WindowPrompt):
            event.stop()
            try:
                name = parse_window(event.value).name
            except UserError as exc:
                self.app.tell(str(exc), severity="warning", title="Window")
                return
            event.input.display = False
            self.use_window(name)
            self.focus_default()

    def filter_panes(self, text: str) -> None:
        self.pane_words = text.lower().split()
        for pane in self.panes:
            pane.display = pane_matches(pane.kpi, self.pane_words)
        self.lay_out_panes()
        self.refresh_crumbs()
        if not self.visible_panes():
            self._show_status(f"no pane matches {text!r}")

    def action_move(self, dx: int, dy: int) -> None:
        panes = self.visible_panes()
        focused = self.focused
        if not panes or not isinstance(focused, KpiPane) or focused not in panes:
            self.focus_default()
            return
        index = panes.index(focused)
        if dx:
            target = index + dx
            if 0 <= target < len(panes):
                self.set_focus(panes[target])
            return
        groups = focused.row_groups
        row = groups.index(self.selected) if self.selected in groups else 0
        if 0 <= row + dy < len(groups):
            self.selected = groups[row + dy]
        else:
            target = index + dy * self._columns
            if not 0 <= target < len(panes):
                return
            self.set_focus(panes[target])
            self.selected = groups[0] if dy > 0 else groups[-1]
        self._show()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, KpiPane):
            self._focused_kpi = event.widget.kpi
            self._show_deploy_line()

    def on_kpi_pane_drill(self, message: KpiPane.Drill) -> None:
        self.app.navigator.conversations(self.drill_filter(message.kpi))

    def drill_filter(self, kpi: str) -> ConversationFilter:
        """The conversations behind a pane's number: its flag, the selected row's deployment (and
        version), active since the window began."""
        flag = KPI_FLAGS.get(kpi)
        since = None
        if self._snapshot is not None and self.window in self._snapshot.windows:
            since = self._snapshot.window(self.window).range.since_ms
        return ConversationFilter(
            flags=(flag,) if flag else (),
            deployment=self.selected.deployment,
            model_version=self.selected.model_version,
            since_ms=since,
        )

    def palette_entries(self) -> list[PaletteEntry]:
        entries = [
            PaletteEntry(
                "window", Content(f"last {name}"), lambda name=name: self.use_window(name), "KPI window"
            )
            for name in WINDOW_NAMES
        ]
        entries += [
            PaletteEntry("window", Content("custom…"), self.action_custom_window, "30m, 6h, 7d…"),
            PaletteEntry("split", Content("by version" if self.split == "deployment" else "by deployment"),
                         self.action_toggle_split, "rows of every pane"),
            PaletteEntry("panes", Content("filter…"), self.action_filter_panes, "show only some KPIs"),
        ]  # fmt: skip
        return entries
