"""The conversation explorer: virtual list, filters, opening with a filter applied, drill-down."""

from __future__ import annotations

import pytest

from console.core.queries import ConversationFilter, count_conversations
from console.tui.screens.explorer import ExplorerScreen
from console.tui.screens.trail import TrailScreen
from console.tui.widgets.conversation_list import CACHED_PAGES, PAGE_SIZE, ConversationList, column_widths
from tests.tui.conftest import screen_text, settle
from tests.tui.sample import LEAK_ID

pytestmark = pytest.mark.anyio  # Pilot tests run on asyncio (see anyio_backend in conftest)


async def test_list_is_virtual_and_pages_on_demand(make_app, sample_store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        total = count_conversations(sample_store, ConversationFilter())
        assert listing.total == total > PAGE_SIZE
        assert list(listing._pages) == [0]  # only the page on screen was fetched
        assert len(listing.children) == 0  # rows are drawn, not widgets
        await pilot.press("end")
        await settle(pilot)
        assert listing.cursor == total - 1
        assert set(listing._pages) == {0, (total - 1) // PAGE_SIZE, (total - 32) // PAGE_SIZE}
        assert len(listing._pages) <= CACHED_PAGES
        assert f"{total:,} conversations" in screen_text(app)


async def test_opened_with_a_filter_shows_it_and_only_matching_rows(make_app) -> None:
    app = make_app(environment="production")
    app.initial_filter = ConversationFilter(flags=("pii_leak",), deployment="support-assistant")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        assert "─ flag pii_leak · deployment support-assistant ─" in screen_text(app)
        assert listing.total == 2
        rows = [listing.row(i) for i in range(listing.total)]
        assert all("pii_leak" in r.flags and r.deployment == "support-assistant" for r in rows)
        assert "conversations (flag pii_leak · deployment support-assistant)" in screen_text(app)


async def test_dashboard_style_open_refilters_the_explorer(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.navigator.conversations(ConversationFilter(flags=("complaint",)))
        await settle(pilot)
        assert len(app.screen_stack) == 1  # refiltered in place, not stacked
        listing = app.screen.query_one(ConversationList)
        assert listing.total and all("complaint" in listing.row(i).flags for i in range(listing.total))


async def test_filter_line_search_sort_and_clear(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash")
        await pilot.press(*"flag:complaint office")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.filter.flags == ("complaint",) and screen.filter.search == "office"
        listing = screen.query_one(ConversationList)
        assert listing.row(0).conversation_id == LEAK_ID
        await pilot.press("s")
        await settle(pilot)
        assert screen.filter.sort == "oldest"
        await pilot.press("x")
        await settle(pilot)
        assert screen.filter == ConversationFilter(sort="oldest")


async def test_a_bad_filter_is_explained_not_applied(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"flag:nonsense", "enter")
        await settle(pilot)
        assert app.screen.filter == ConversationFilter()
        assert any("unknown 'nonsense'" in n.message for n in app._notifications)


async def test_flag_picker_and_enter_opens_the_trail(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "down", "enter")  # the sixth flag: pii_leak
        await settle(pilot)
        assert isinstance(app.screen, ExplorerScreen) and app.screen.filter.flags == ("pii_leak",)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)


def test_columns_fit_both_terminal_sizes() -> None:
    for width in (77, 117, 200):
        widths = column_widths(width)
        assert sum(widths) + len(widths) - 1 <= width
