"""The live KPI dashboard: the bad update is visible, keys change the view, Enter drills down,
the panes follow the store while it grows, Prometheus trouble is shown and never blocks.

The store is the demo fleet's bad-update scenario (support-assistant v41 → v42 at 03:00, then
complaints rise), ingested by the real pipeline; the clock is frozen at 03:20.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

import console.tui.app as app_module
import console.tui.screens.dashboard as dashboard_module
from connectors.fleet import generate
from connectors.jsonl import read_files
from console.core.config import Config
from console.core.kpi import ALL, Group
from console.core.kpi_engine import KpiEngine, start_first_look
from console.core.kpi_queries import newest_start
from console.core.pipeline_setup import build_ingestor
from console.core.store import Store
from console.tui.app import TrustopsApp
from console.tui.data import StoreSource
from console.tui.screens.dashboard import DashboardScreen, KpiRefreshed, PaneFilter
from console.tui.screens.explorer import ExplorerScreen
from console.tui.widgets.kpi_model import KPI_FLAGS, PANES, delta
from console.tui.widgets.kpi_pane import KpiPane
from console.tui.widgets.plot import PlotData, PlotMarker, axis, bars, columns
from tests.conftest import free_port
from tests.tui import sample
from tests.tui.conftest import screen_text, settle, terminal_output

pytestmark = pytest.mark.anyio

START = datetime(2026, 11, 30, 2, 50, tzinfo=UTC)
NOW = START + timedelta(minutes=30)
CLOCK_S = NOW.timestamp()
LATER_MINUTES = 3  # what the live test appends


class DashboardApp(TrustopsApp):
    """The console with the dashboard as its first screen (as ``home_screen`` will return it)."""

    CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")

    def __init__(self, *args, refresh_every_s: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refresh_every_s = refresh_every_s

    def get_default_screen(self) -> DashboardScreen:
        return DashboardScreen(refresh_every_s=self.refresh_every_s, first_look=self.first_look)


def dashboard_app(
    store: Store, *, refresh_every_s: float | None = None, clock_s: float = CLOCK_S, first_look=None, **config
) -> DashboardApp:
    cfg = Config(operator="oncall", **{"environment": "production", **config})
    return DashboardApp(StoreSource(store, label="store bad-update.db"), cfg, clock=lambda: clock_s,
                        index_every_s=None, index_on_start=False, refresh_every_s=refresh_every_s,
                        first_look=first_look)  # fmt: skip


def _write(path: Path, events: list[dict]) -> Path:
    with open(path, "wb") as fh:
        for e in events:
            fh.write(orjson.dumps(e) + b"\n")
    return path


def ingest(store: Store, path: Path) -> None:
    ingestor = build_ingestor(store, Config())
    for chunk in read_files([str(path)], ingestor.resume_of):
        ingestor.ingest(chunk)


@pytest.fixture(scope="session")
def bad_update_files(tmp_path_factory) -> tuple[Path, Path]:
    """The bad update's first 30 minutes, and the minutes after (for the live test)."""
    d = tmp_path_factory.mktemp("bad-update")
    events = list(generate("bad-update", 1, START, duration_s=(30 + LATER_MINUTES) * 60))
    cut = NOW.strftime("%Y-%m-%dT%H:%M:%S")  # "…03:20:00.4Z" sorts after it: a clean cut at 03:20
    head = [e for e in events if e["ts"] < cut]
    tail = [e for e in events if e["ts"] >= cut]
    return _write(d / "head.jsonl", head), _write(d / "tail.jsonl", tail)


@pytest.fixture(scope="session")
def bad_update_db(bad_update_files, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bad-update-db") / "store.db"
    store = Store.open(f"sqlite:///{path}")
    ingest(store, bad_update_files[0])
    store.close()
    return path


@pytest.fixture
def bad_update_store(bad_update_db: Path, tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copy(bad_update_db, path)
    store = Store.open(f"sqlite:///{path}", create=False)
    yield store
    store.close()


def pane(app, kpi: str) -> KpiPane:
    return app.screen.query_one(f"#pane-{kpi}", KpiPane)


def row(app, kpi: str, label: str):
    return next(r for r in pane(app, kpi).model.rows if r.group.label == label)


# -- what it shows ---------------------------------------------------------------------------------
async def test_the_bad_update_is_visible(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        complaints = pane(app, "complaint_rate")
        assert complaints.model.state == "breach" and complaints.has_class("-breach")
        assert row(app, "complaint_rate", "support-assistant").state == "breach"
        assert row(app, "complaint_rate", "billing-agent").state == "ok"
        assert [m.label for m in complaints.model.plot.markers] == ["v42"]
        text = screen_text(app)
        assert "complaint_rate  BREACH" in text and "v42" in text
        assert "complaint_rate on support-assistant rose from" in text  # the deploy comparison
        assert "PAGE" in text  # the burn-rate alert strip
        assert "store ok" in text and "live ingest off" in text and "prometheus off" in text
        assert "last event 03:19:59Z" in text
        assert [p.kpi for p in app.screen.query(KpiPane)] == list(PANES)
        assert app.screen.crumbs()[0].plain == "KPIs (last 1h, by deployment)"


async def test_the_first_look_is_on_the_first_frame_and_the_engine_agrees(
    bad_update_store, monkeypatch
) -> None:
    """The console starts computing the dashboard's first look before its UI loads (as
    ``open_console`` does): ready when the screen mounts, its numbers are on the first frame, before
    the engine's first refresh (held back here) has run, and they are the engine's numbers."""
    store = bad_update_store
    first = start_first_look(store, Config(), lambda: max(int(CLOCK_S * 1000), newest_start(store) or 0))
    first.result(timeout=30)
    release = threading.Event()
    refresh = KpiEngine.refresh

    def held(engine: KpiEngine, now_ms: int | None = None):
        release.wait(30)
        return refresh(engine, now_ms)

    monkeypatch.setattr(KpiEngine, "refresh", held)
    app = dashboard_app(store, first_look=first)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.refreshes == 1
        assert row(app, "complaint_rate", "support-assistant").state == "breach"
        text = screen_text(app)
        assert "last event 03:19:59Z" in text and "checking burn-rate alerts" in text
        shown = {p.kpi: [(r.group, r.value) for r in p.model.rows] for p in screen.panes}
        release.set()
        await settle(pilot)
        assert screen.refreshes > 1 and "PAGE" in screen_text(app)
        assert {p.kpi: [(r.group, r.value) for r in p.model.rows] for p in screen.panes} == shown


async def test_window_keys_change_the_window(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        for key, window, first_tick in (
            ("1", "5m", "03:15:00"),
            ("3", "24h", "Sun 03:30"),
            ("2", "1h", "02:20"),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert screen.window == window
            assert f"last {window}," in screen.crumbs()[0].plain
            assert first_tick in screen_text(app)
        await pilot.press("4")
        assert app.focused is not None and app.focused.id == "window-prompt"
        await pilot.press(*"30m", "enter")
        await settle(pilot)
        assert screen.window == "30m"
        assert pane(app, "complaint_rate").model.plot.since_ms == int(
            (NOW - timedelta(minutes=30)).timestamp() * 1000
        )
        await pilot.press("4", *"soon", "enter")
        await pilot.pause()
        assert screen.window == "30m"
        assert any("not a duration" in n.message for n in app._notifications)


async def test_v_splits_by_version_and_back(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        labels = lambda: [r.group.label for r in pane(app, "complaint_rate").model.rows]  # noqa: E731
        assert labels() == ["all", "billing-agent", "rag-search", "support-assistant"]
        await pilot.press("v")
        await pilot.pause()
        assert "support-assistant/v42" in labels() and "support-assistant/v41" in labels()
        assert row(app, "complaint_rate", "support-assistant/v42").state == "breach"
        assert "by version" in app.screen.crumbs()[0].plain
        await pilot.press("v")
        await pilot.pause()
        assert labels() == ["all", "billing-agent", "rag-search", "support-assistant"]


async def test_arrows_move_between_panes_and_rows(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.focused is pane(app, "complaint_rate")
        await pilot.press("right")
        assert app.focused is pane(app, "negative_feedback_rate")
        await pilot.press("down", "down", "down")
        assert app.screen.selected == Group("support-assistant")
        assert pane(app, "negative_feedback_rate").model.plot.markers  # its plot: support-assistant's
        await pilot.press("down")  # past the last row: the pane below, first row
        assert app.focused is pane(app, "injection_rate") and app.screen.selected == ALL
        await pilot.press("up")
        assert app.focused is pane(app, "negative_feedback_rate")
        assert app.screen.selected == Group("support-assistant")
        await pilot.press("tab")
        assert app.focused is pane(app, "escalation_rate")


async def test_enter_opens_the_explorer_on_the_pane_flag_and_deployment(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplorerScreen)
        f = app.screen.filter
        assert f.flags == ("complaint",) and f.deployment == "support-assistant" and f.model_version is None
        assert f.since_ms == int((NOW - timedelta(hours=1)).timestamp() * 1000)
        assert app.screen.crumbs()  # the explorer's crumb follows the dashboard's
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("v", "down", "down", "down", "down", "right", "right", "down")  # ungrounded, v42
        screen = app.screen
        assert screen.drill_filter("ungrounded_rate").model_version == "v42"


def test_every_flagged_pane_drills_into_a_flag_the_explorer_knows() -> None:
    from console.core.queries import FLAG_CHOICES

    assert set(KPI_FLAGS.values()) <= set(FLAG_CHOICES)
    assert KPI_FLAGS["complaint_rate"] == "complaint" and "latency_p95_ms" not in KPI_FLAGS


async def test_slash_filters_panes_as_you_type_and_escape_restores(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"leak")
        await pilot.pause()
        visible = [p.kpi for p in app.screen.visible_panes()]
        assert visible == ["pii_leak_rate", "secret_leaks"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is pane(app, "pii_leak_rate")
        assert "panes matching leak" in app.screen.crumbs()[0].plain
        await pilot.press("slash", "backspace", "backspace", "backspace", "backspace", *"zzz", "escape")
        await pilot.pause()
        assert not app.screen.query_one(PaneFilter).display
        assert [p.kpi for p in app.screen.visible_panes()] == ["pii_leak_rate", "secret_leaks"]


# -- live ------------------------------------------------------------------------------------------
async def test_panes_follow_the_store_while_it_grows(bad_update_store, bad_update_files) -> None:
    app = dashboard_app(bad_update_store, refresh_every_s=0.1)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        before = row(app, "conversations", "all").value.value
        refreshes = screen.refreshes
        # Another thread appends three minutes of traffic while the dashboard runs on its timer.
        await asyncio.to_thread(ingest, bad_update_store, bad_update_files[1])
        for _ in range(100):  # at most 5 s; a refresh comes every 0.1 s
            await pilot.pause(0.05)
            if row(app, "conversations", "all").value.value != before:
                break
        assert row(app, "conversations", "all").value.value > before
        assert screen.refreshes > refreshes
        assert "last event 03:2" in screen_text(app) and "last event 03:19:59Z" not in screen_text(app)


async def test_a_refresh_that_changes_nothing_repaints_nothing(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        paints = {p.kpi: p.paints for p in app.screen.query(KpiPane)}
        refreshes = app.screen.refreshes
        app.screen.refresh_kpis()
        await settle(pilot)
        assert app.screen.refreshes > refreshes
        assert {p.kpi: p.paints for p in app.screen.query(KpiPane)} == paints


def test_a_newer_snapshot_message_replaces_a_queued_one() -> None:
    a = KpiRefreshed(1, None, {}, None)  # type: ignore[arg-type]
    b = KpiRefreshed(1, None, {}, None)  # type: ignore[arg-type]
    assert b.can_replace(a)


async def test_a_failing_store_is_shown_not_raised(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)

        def broken(now_ms=None):
            raise RuntimeError("database is locked")

        app.screen._engine.refresh = broken
        app.screen.refresh_kpis()
        await settle(pilot)
        text = screen_text(app)
        assert "store unreachable: RuntimeError: database is locked" in text
        assert "complaint_rate  BREACH" in text  # the last good snapshot stays on screen


async def test_prometheus_unreachable_is_a_state_and_never_blocks(bad_update_store) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = dashboard_app(bad_update_store, prometheus_url=url,
                        prometheus_queries={"complaint_rate": "sum(rate(fleet_complaints_total[5m]))"})  # fmt: skip
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert pane(app, "complaint_rate").model is not None  # the store's panes did not wait
        for _ in range(100):  # the poller retries twice with backoff (~1 s) before saying so
            await pilot.pause(0.05)
            if "prometheus unreachable" in screen_text(app):
                break
        text = screen_text(app)
        print(text)
        assert "prometheus unreachable: complaint_rate:" in text
        assert "prometheus UNREACHABLE" in text  # in the complaint pane itself
        assert app.screen.check_action("toggle_prometheus", ()) is True
        await pilot.press("p")
        assert "plots from Prometheus" in app.screen.crumbs()[0].plain


async def test_hostile_deployment_names_stay_inert(sample_store) -> None:
    app = dashboard_app(sample_store, environment="staging", clock_s=sample.CLOCK_S)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3", "v")
        await pilot.pause()
        out = terminal_output(app)
        assert "\x1b" not in out
        assert "[bold red on white blink]URG" in screen_text(app)  # a deployment named in markup, as written


# -- pieces ----------------------------------------------------------------------------------------
def _plot(values, states=None, **kw) -> PlotData:
    states = states or ["ok"] * len(values)
    return PlotData(tuple(values), tuple(states), (10,) * len(values), 0, 60_000, "rate", **kw)


def test_columns_merge_buckets_by_weight_and_stretch_few() -> None:
    data = PlotData(
        (0.1, 0.3, None, 0.5), ("ok", "breach", "no_data", "ok"), (10, 30, None, 10), 0, 4, "rate"
    )
    assert columns(data, 2) == [(pytest.approx(0.25), "breach"), (0.5, "ok")]
    assert [v for v, _ in columns(data, 8)] == [0.1, 0.1, 0.3, 0.3, None, None, 0.5, 0.5]


def test_bars_draw_states_threshold_and_the_deploy_mark() -> None:
    data = _plot([0.01, 0.01, 0.08, 0.08], ["ok", "ok", "breach", "breach"], threshold=0.05,
                 markers=(PlotMarker(30_000, "v42"),))  # fmt: skip
    top, bottom = (line.plain for line in bars(data, 4, 2))
    assert top[2] == "┃" and bottom[2] == "┃"  # the deploy, through every line
    assert top[3] == "█" and bottom[0] == "▂"
    assert "╌" in top  # the breach level
    assert axis(data, 30).plain.split() == ["00:00:00", "v42", "00:01:00"]


def test_deltas_say_which_way_is_worse() -> None:
    assert delta("complaint_rate", 0.08, 0.02) == ("▲ +6.0 pts", 1)
    assert delta("resolution_rate", 0.70, 0.80) == ("▼ -10.0 pts", 1)
    assert delta("latency_p95_ms", 900.0, 1200.0, compact=True) == ("▼300ms", -1)
    assert delta("conversations", 120.0, 100.0)[1] == 0
    assert delta("complaint_rate", 0.02, None) == ("", 0)


async def test_the_dashboard_is_the_console_s_first_screen(bad_update_store) -> None:
    cfg = Config(operator="oncall")
    app = TrustopsApp(StoreSource(bad_update_store), cfg, clock=lambda: CLOCK_S, index_on_start=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        app.screen.refresh_kpis()  # its timer is off in tests; wait for one refresh
        await settle(pilot)
        assert pane(app, "complaint_rate").model.state == "breach"


async def test_a_prometheus_series_shows_beside_the_store_and_can_be_plotted(
    bad_update_store, monkeypatch
) -> None:
    from connectors.prometheus import PollerState, PromPoller, PromResult
    from connectors.prometheus import Series as PromSeries
    from console.tui.screens.dashboard import PromUpdated

    monkeypatch.setattr(PromPoller, "start", lambda self: None)  # no network: the state is posted below
    app = dashboard_app(
        bad_update_store, prometheus_url="http://127.0.0.1:9", prometheus_queries={"complaint_rate": "q"}
    )
    t0 = CLOCK_S - 600
    series = PromSeries(
        {"deployment": "support-assistant"}, tuple((t0 + 60 * i, 0.02 + 0.01 * i) for i in range(7))
    )
    state = PollerState({"complaint_rate": PromResult("q", "ok", series=(series,))}, CLOCK_S, 1)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.screen.post_message(PromUpdated(state))
        await pilot.press("down", "down", "down")  # support-assistant: the series' deployment
        await settle(pilot)
        complaints = pane(app, "complaint_rate")
        assert (
            complaints.model.prom.value == pytest.approx(0.08)
            and complaints.model.prom.value_state == "breach"
        )
        assert "prometheus" in screen_text(app) and "8.0% BREACH" in screen_text(app)
        await pilot.press("p")
        assert complaints.use_prometheus
        lines = "\n".join(line.plain for line in complaints.lines)
        assert "03:10" in lines and "03:16" in lines  # the series' own time axis
        assert "prometheus ok" in screen_text(app)


async def test_a_window_shown_before_comes_back_from_what_was_drawn(bad_update_store) -> None:
    """A window key puts back the pane's drawing of that window: the lines it showed, and the
    strips already rendered for them (nothing has changed since), not a fresh rendering."""
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        complaints = pane(app, "complaint_rate")
        one_hour = [line.plain for line in complaints.lines]
        strips = dict(complaints._drawing.strips)
        assert strips, "the 1h window was painted"
        await pilot.press("3")
        await settle(pilot)
        assert [line.plain for line in complaints.lines] != one_hour
        assert "Sun 03:30" in screen_text(app)
        paints = complaints.paints
        await pilot.press("2")
        await settle(pilot)
        assert [line.plain for line in complaints.lines] == one_hour
        assert "02:20" in screen_text(app) and "Sun 03:30" not in screen_text(app)
        assert complaints.paints == paints + len(one_hour), "every line is painted again on screen"
        assert all(complaints._drawing.strips[y] is strip for y, strip in strips.items())


async def test_a_kept_window_renders_again_only_the_lines_that_changed(bad_update_store) -> None:
    app = dashboard_app(bad_update_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        complaints = pane(app, "complaint_rate")
        strips = dict(complaints._drawing.strips)
        model = complaints.model
        await pilot.press("3")
        await settle(pilot)
        # The 1h window's numbers move while the 24h one is on screen: one row's value changes.
        row = model.rows[0]
        moved = replace(row, value=replace(row.value, value=(row.value.value or 0) + 0.5))
        complaints.show(replace(model, rows=(moved, *model.rows[1:])), complaints.selected, view="1h")
        await settle(pilot)
        changed = [y for y, strip in strips.items() if complaints._drawing.strips.get(y) is not strip]
        assert len(changed) == 1, changed
        assert complaints.lines[changed[0]].plain.lstrip("▸ ").startswith("all")


async def test_a_window_key_back_builds_no_pane_models_again(bad_update_store, monkeypatch) -> None:
    """The panes' models of a window are kept until the data changes: going back to a window
    seen since the last refresh costs no rebuilding; a refresh with new data does rebuild."""
    built: list[str] = []
    real = dashboard_module.build_panes

    def counting(snap, window, *args, **kwargs):
        built.append(window)
        return real(snap, window, *args, **kwargs)

    monkeypatch.setattr(dashboard_module, "build_panes", counting)
    app = dashboard_app(bad_update_store)  # no timed refresh: the data stays as it is
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for key in "3213":
            await pilot.press(key)
            await pilot.pause()
        assert app.screen.window == "24h"
        assert built.count("24h") == 1 and built.count("5m") == 1, built
        snapshot = app.screen._snapshot
        app.screen.post_message(KpiRefreshed(app.screen._generation, snapshot, {}, None))
        await settle(pilot)
        assert built.count("24h") == 2, "other baselines: built again"
