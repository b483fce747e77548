"""Snapshots of the main views (frozen data and clock, two terminal sizes, the hostile trail).

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and
look at the report before accepting it.
"""

from __future__ import annotations

import pytest

from console.core.queries import ConversationFilter
from tests.tui.conftest import settle
from tests.tui.sample import HOSTILE_ID, LEAK_ID, OWNER

SIZES = [(120, 36), (80, 24)]


def _after(open_view):
    async def run_before(pilot) -> None:
        await settle(pilot)
        open_view(pilot.app)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_explorer(snap_compare, make_app, size) -> None:
    assert snap_compare(
        make_app(environment="production"), terminal_size=size, run_before=_after(lambda app: None)
    )


def test_explorer_opened_on_a_flag(snap_compare, make_app) -> None:
    view = _after(lambda app: app.navigator.conversations(ConversationFilter(flags=("pii_leak",))))
    assert snap_compare(make_app(environment="staging"), terminal_size=(120, 36), run_before=view)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trail(snap_compare, make_app, size) -> None:
    view = _after(lambda app: app.navigator.trail(LEAK_ID))
    assert snap_compare(make_app(environment="production"), terminal_size=size, run_before=view, press=["n"])


def test_trail_of_hostile_strings(snap_compare, make_app) -> None:
    view = _after(lambda app: app.navigator.trail(HOSTILE_ID))
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=view, press=["down", "down"])


def test_memory_view(snap_compare, make_app) -> None:
    view = _after(lambda app: app.navigator.memory(OWNER))
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=view)
