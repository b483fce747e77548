"""The hostile corpus through every view and through ``trustops show`` / ``conversations``:
nothing a terminal would interpret reaches it, markup shows as written, ids stay inert."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from console.cli import main
from console.core.queries import ConversationFilter
from tests.hostile import HOSTILE, forbidden_in
from tests.tui.conftest import screen_text, settle, terminal_output
from tests.tui.sample import HOSTILE_ID, HOSTILE_IDS_ID, OWNER

pytestmark = pytest.mark.anyio


def assert_inert(app, where: str) -> None:
    out = terminal_output(app)
    assert "\x1b" not in out, f"{where}: an escape sequence from data reached the terminal"
    assert not forbidden_in(out.replace("\n", "")), f"{where}: {forbidden_in(out)}"


async def test_every_view_of_the_hostile_conversations(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert_inert(app, "explorer")
        assert "[@click=app.qui" in screen_text(app)  # a hostile customer id, shown literally
        for conversation_id in (HOSTILE_ID, HOSTILE_IDS_ID):
            app.navigator.trail(conversation_id)
            await settle(pilot)
            assert_inert(app, f"trail {conversation_id!r}")
            events = app.screen.query_one("#events", OptionList)
            for i in range(len(app.screen.trail.events)):
                events.highlighted = i
                events.scroll_to_highlight()
                await pilot.pause()
                assert_inert(app, f"trail event {i}")
                await pilot.press("j")
                await pilot.pause()
                assert_inert(app, f"raw JSON of event {i}")
                await pilot.press("c")  # copy the (hostile) id: the notice shows it escaped
                await pilot.pause()
                assert_inert(app, f"copy notice of event {i}")
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("question_mark")
            await settle(pilot)
            assert_inert(app, "help")
            await pilot.press("escape", "escape")
            await settle(pilot)
        for customer in (OWNER, "cus_hostile", HOSTILE["markup_click"] + "\u202e"):
            app.navigator.memory(customer)
            await settle(pilot)
            assert_inert(app, f"memory of {customer!r}")
            await pilot.press("escape")
            await settle(pilot)
        app.navigator.conversations(
            ConversationFilter(search=HOSTILE["osc52_clipboard"], deployment=HOSTILE["bidi"])
        )
        await settle(pilot)
        assert_inert(app, "explorer filtered by hostile values")
        await pilot.press("d")  # the deployment picker lists a hostile deployment name
        await settle(pilot)
        assert_inert(app, "deployment picker")
        await pilot.press("escape", "ctrl+p")
        await settle(pilot)
        await pilot.press(*"deployment")
        await settle(pilot)
        await pilot.pause(0.3)
        assert_inert(app, "command palette")


async def test_narrow_terminal_too(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert_inert(app, "explorer 80x24")
        app.navigator.trail(HOSTILE_ID)
        await settle(pilot)
        assert_inert(app, "trail 80x24")


@pytest.mark.parametrize(
    "argv",
    [
        ["show", HOSTILE_ID],
        ["show", HOSTILE_ID, "--json"],
        ["show", HOSTILE_IDS_ID],
        ["show", HOSTILE_IDS_ID, "--json"],
        ["conversations"],
        ["conversations", "--json"],
        ["conversations", "--search", "click me"],
        ["conversations", "--search", "click me", "--json"],
    ],
    ids=lambda a: " ".join(a).replace(HOSTILE_IDS_ID, "hostile-ids"),
)
def test_cli_output_is_inert(argv, sample_url, capsysbinary) -> None:
    assert main([*argv, "--store", sample_url]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out
    assert "\x1b" not in out and not forbidden_in(out.replace("\n", "")), forbidden_in(out)
    if argv[0] == "show" and "--json" not in argv and argv[1] == HOSTILE_ID:
        assert "[@click=app.quit]click me[/]" in out and "\\x1b]52;c;" in out
