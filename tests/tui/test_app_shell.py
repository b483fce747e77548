"""The app shell: keymap, read-only in one place, command mode, palette, help, errors as notices."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from console.tui.app import WRITE_ACTIONS, TrustopsApp, binding_ids
from console.tui.commands import COMMANDS
from console.tui.data import ReadOnlySource, StoreSource
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.explorer import ExplorerScreen
from console.tui.screens.help import HelpScreen
from console.tui.screens.memory import MemoryScreen
from console.tui.screens.trail import TrailScreen
from console.tui.widgets.command_line import CommandLine
from console.tui.widgets.top_bar import environment_colour
from tests.tui.conftest import screen_text, settle
from tests.tui.sample import LEAK_ID, OWNER

pytestmark = pytest.mark.anyio  # Pilot tests run on asyncio (see anyio_backend in conftest)


async def test_keymap_from_config_remaps_a_binding_by_id(make_app) -> None:
    app = make_app(keymap={"explorer.flag": "F", "no.such.binding": "z"})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, ExplorerScreen)  # f no longer picks a flag
        await pilot.press("F")
        await pilot.pause()
        assert type(app.screen).__name__ == "PickScreen"
        assert any("no.such.binding" in n.message for n in app._notifications)


def test_every_binding_has_an_id_to_remap() -> None:
    ids = binding_ids()
    assert {"explorer.flag", "trail.reveal", "memory.purge", "app.help", "app.command", "app.back"} <= ids


async def test_read_only_is_decided_once_for_every_view(make_app) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        for open_view, cls in ((lambda: app.navigator.trail(LEAK_ID), TrailScreen),
                               (lambda: app.navigator.memory(OWNER), MemoryScreen)):  # fmt: skip
            open_view()
            await settle(pilot)
            assert isinstance(app.screen, cls)
            for action in WRITE_ACTIONS:
                assert app.screen.check_action(action, ()) is False
            await pilot.press("v", "p")
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmScreen)
            assert "Reveal" not in screen_text(app).splitlines()[-1]  # not offered in the footer
        await _command(pilot, "playbook purge-memory")
        assert any("read-only" in n.message for n in app._notifications)


def test_a_read_only_source_refuses_writes_itself(sample_store) -> None:
    source = StoreSource(sample_store, read_only=True)
    try:
        source.log_operator("oncall", "reveal", "x", "{}")
    except ReadOnlySource:
        pass
    else:
        raise AssertionError("a read-only source wrote to the operator log")


async def _command(pilot, line: str) -> None:
    """``:`` then the line as pasted (typing is tested elsewhere), then Enter."""
    await pilot.press("colon")
    pilot.app.screen.query_one(CommandLine).value = line
    await pilot.press("enter")
    await settle(pilot)


async def test_command_mode_aliases(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await _command(pilot, f"t {LEAK_ID}")
        assert isinstance(app.screen, TrailScreen) and app.screen.conversation_id == LEAK_ID
        await _command(pilot, f"mem {OWNER}")
        assert isinstance(app.screen, MemoryScreen)
        await _command(pilot, "c flag:complaint dep:support-assistant")
        assert isinstance(app.screen, ExplorerScreen)
        assert (
            app.screen.filter.flags == ("complaint",) and app.screen.filter.deployment == "support-assistant"
        )
        await _command(pilot, "frobnicate")
        assert any("unknown command :frobnicate" in n.message for n in app._notifications)
        await pilot.press("colon", "q", "enter")
        await pilot.pause()
        assert not app.is_running


def test_command_names_and_aliases_are_unique() -> None:
    words = [w for c in COMMANDS for w in (c.name, *c.aliases)]
    assert len(words) == len(set(words))


async def test_palette_offers_namespaced_commands_for_the_view(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.navigator.trail(LEAK_ID)
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"reveal")
        await settle(pilot)
        await pilot.pause(0.3)
        assert "trail: reveal or hide redacted values" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)


async def test_help_lists_the_keys_in_force(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.navigator.trail(LEAK_ID)
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Raw JSON" in text and "Reveal" in text and "Command" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TrailScreen)


class _Broken(StoreSource):
    def trail(self, conversation_id: str):
        raise RuntimeError("disk on fire \x1b]52;c;SGk=\x07 [@click=app.quit]x[/]")


async def test_errors_in_workers_are_notices_not_crashes(sample_store) -> None:
    app = TrustopsApp(_Broken(sample_store), index_every_s=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.navigator.trail(LEAK_ID)
        await settle(pilot)
        assert app.is_running
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "disk on fire" in errors[-1].message
        assert "\x1b" not in errors[-1].message and not errors[-1].markup


def test_production_is_red_whatever_the_config_says() -> None:
    assert environment_colour("production", "#00ff00", True) == environment_colour("prod", None, True)
    assert environment_colour("staging", None, False) != environment_colour("production", None, True)
