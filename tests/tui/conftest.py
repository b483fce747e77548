"""The console under test: a fixed sample store (built once, copied per test), a frozen clock, no
live timers, and a way to wait until every background worker is done instead of sleeping."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.core.config import Config
from console.core.queries import ConversationFilter
from console.core.store import Store
from console.tui.app import TrustopsApp
from console.tui.data import StoreSource
from tests.tui import sample


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    store = sample.build(f"sqlite:///{path}")
    store.close()
    return path


@pytest.fixture
def sample_url(sample_db: Path, tmp_path: Path) -> str:
    """A private copy of the sample store: tests may write to it (operator log, index)."""
    path = tmp_path / "sample.db"
    shutil.copy(sample_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sample_store(sample_url: str):
    store = Store.open(sample_url, create=False)
    yield store
    store.close()


def console_app(store: Store, *, read_only: bool = False, **config) -> TrustopsApp:
    cfg = Config(operator="oncall", **config)
    return TrustopsApp(
        StoreSource(store, read_only=read_only, label="store sample.db"),
        cfg,
        clock=lambda: sample.CLOCK_S,
        index_every_s=None,
        initial_filter=ConversationFilter(),  # the explorer first; test_dashboard*.py open the dashboard
    )


@pytest.fixture
def make_app(sample_store) -> Callable[..., TrustopsApp]:
    return lambda **kw: console_app(sample_store, **kw)


async def settle(pilot: Pilot, rounds: int = 8) -> None:
    """Wait until background work (pages, counts, trails, index) is done and shown."""
    app = pilot.app
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            return


_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H")  # Textual's own colours and cursor moves


def terminal_output(app: TrustopsApp) -> str:
    """What the app would write to the terminal for the whole screen, its own colour and cursor
    sequences removed: anything left that a terminal interprets came from data."""
    raw = app.screen._compositor.render_full_update().render_segments(app.console)
    return _OWN_SEQUENCES.sub("", raw)


def screen_text(app: TrustopsApp) -> str:
    """The screen's characters, line by line (for asserting what is shown)."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in line) for line in update.strips)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
