"""The audit trail and the memory view: drill-down, reveal (confirmed and logged), raw JSON, copy,
and a ``[@click=app.quit]`` in a model answer that stays text."""

from __future__ import annotations

import orjson
import pytest
from textual.widgets import OptionList

from console.core.queries import ConversationFilter
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.explorer import ExplorerScreen
from console.tui.screens.memory import MemoryScreen
from console.tui.screens.raw_event import RawEventScreen
from console.tui.screens.trail import TrailScreen
from tests.tui.conftest import screen_text, settle
from tests.tui.sample import HOSTILE_ID, LEAK_ID, OWNER, OWNER_ID

pytestmark = pytest.mark.anyio  # Pilot tests run on asyncio (see anyio_backend in conftest)

EMAIL = "owner.one@example.com"
MASKED_EMAIL = "o***@e***.com"  # the default policy's mask


def _select(app, event_type: str) -> int:
    screen = app.screen
    index = next(i for i, e in enumerate(screen.trail.events) if e.type == event_type)
    screen.query_one("#events", OptionList).highlighted = index
    return index


async def test_drill_down_explorer_trail_memory_origin_and_back(make_app) -> None:
    app = make_app()
    app.initial_filter = ConversationFilter(flags=("pii_leak",), search="parcel")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        trail = app.screen
        assert isinstance(trail, TrailScreen) and trail.conversation_id == LEAK_ID
        _select(app, "memory.read")
        await pilot.pause()
        assert [c.plain for c in app.navigator.crumbs()][-2:] == [LEAK_ID, "memory read 03:01:01.000"]
        await pilot.press("o")  # follow the item to the conversation it was written in
        await settle(pilot)
        origin = app.screen
        assert isinstance(origin, TrailScreen) and origin.conversation_id == OWNER_ID
        assert origin.selected.type == "memory.write"  # lands on the write of that item
        await pilot.press("m")
        await settle(pilot)
        memory = app.screen
        assert isinstance(memory, MemoryScreen) and memory.customer_id == OWNER
        shown = screen_text(app)
        assert "ANOTHER CUSTOMER cus_reader0002" in shown and EMAIL not in shown
        for expected in (TrailScreen, TrailScreen, ExplorerScreen):
            await pilot.press("escape")
            await settle(pilot)
            assert type(app.screen) is expected
        assert app.screen.filter.flags == ("pii_leak",)


async def test_reveal_asks_first_and_logs_ids_not_values(make_app, sample_store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.navigator.trail(LEAK_ID)
        await settle(pilot)
        assert EMAIL not in screen_text(app) and MASKED_EMAIL in screen_text(app)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused.id == "no"  # the safe answer has the focus
        await pilot.press("enter")  # a stray Enter keeps the values hidden
        await settle(pilot)
        assert not app.screen.revealed
        assert sample_store.scalar("SELECT count(*) FROM operator_log") == 0
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.revealed and EMAIL in screen_text(app)
        rows = sample_store.query("SELECT operator, action, target, detail FROM operator_log")
        assert len(rows) == 1
        operator, action, target, detail = rows[0]
        assert (operator, action, target) == ("oncall", "reveal", f"conversation {LEAK_ID}")
        assert EMAIL not in detail and "415" not in detail
        logged = orjson.loads(detail)["findings"]
        assert {(f["category"], f["type"]) for f in logged} >= {("pii", "email"), ("pii", "phone")}
        await pilot.press("v")  # hiding again needs no confirmation
        await settle(pilot)
        assert not app.screen.revealed and EMAIL not in screen_text(app)


async def test_raw_json_is_redacted_unless_revealed_and_copy_id(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.navigator.trail(LEAK_ID)
        await settle(pilot)
        index = _select(app, "message.assistant")
        event_id = app.screen.trail.events[index].id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RawEventScreen)
        text = screen_text(app)
        assert '"type": "message.assistant"' in text and MASKED_EMAIL in text and EMAIL not in text
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == event_id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)


async def test_click_markup_in_a_model_answer_is_text_and_inert(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.navigator.trail(HOSTILE_ID)
        await settle(pilot)
        _select(app, "message.assistant")
        await pilot.press("n", "N")  # move about, then click where the "link" is drawn
        await settle(pilot)
        lines = screen_text(app).splitlines()
        y = next(i for i, line in enumerate(lines) if "Sure! [@click=app.quit]click me[/]" in line)
        x = lines[y].index("[@click=app.quit]") + 3
        for _ in range(2):
            await pilot.click(offset=(x, y))
            await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, TrailScreen | RawEventScreen)


async def test_memory_view_purge_is_reserved_for_playbooks(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.navigator.memory(OWNER)
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert any("playbooks not available yet" in n.message for n in app._notifications)
        await pilot.press("enter")  # an item read in two places: pick one
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen) and app.screen.conversation_id == LEAK_ID


async def test_unknown_conversation_is_said_not_crashed(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("colon", *"t nope", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        assert "no conversation nope in the store" in screen_text(app)
