"""Snapshots of the KPI dashboard on the bad update (frozen data and clock, no live timer), at
two terminal sizes, and split by version with the bad version selected.

Update after an intended change with ``pytest tests/tui/test_dashboard_snapshots.py
--snapshot-update``, and look at the report before accepting it.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import settle
from tests.tui.test_dashboard import (  # noqa: F401 - fixtures
    bad_update_db,
    bad_update_files,
    bad_update_store,
    dashboard_app,
)

SIZES = [(120, 36), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard(snap_compare, bad_update_store, size) -> None:  # noqa: F811
    assert snap_compare(dashboard_app(bad_update_store), terminal_size=size, run_before=settle)


def test_dashboard_by_version_on_the_bad_version(snap_compare, bad_update_store) -> None:  # noqa: F811
    async def split_and_select(pilot) -> None:
        await settle(pilot)
        await pilot.press("v", "down", "down", "down", "down", "1")
        await settle(pilot)

    app = dashboard_app(bad_update_store, environment="staging")
    assert snap_compare(app, terminal_size=(160, 48), run_before=split_and_select)
