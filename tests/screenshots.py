"""``make screenshots``: SVG screenshots of the console's main views, from a fixed seed.

Builds the sample store (the demo fleet's offline generator with a fixed scenario, seed and start,
plus the leak and hostile conversations) in a temp dir, drives the console headless with a frozen
clock and writes ``screenshots/<view>-<width>x<height>.svg``.

Usage: python -m tests.screenshots [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from connectors.fleet import generate
from console.core.store import Store
from tests.tui.conftest import console_app, settle
from tests.tui.sample import HOSTILE_ID, LEAK_ID, OWNER, build

ROOT = Path(__file__).resolve().parent.parent

Steps = Callable[[Pilot], Awaitable[None]]


async def _explorer(pilot: Pilot) -> None:
    await settle(pilot)


async def _explorer_flagged(pilot: Pilot) -> None:
    pilot.app.navigator.conversations(_flag("pii_leak"))
    await settle(pilot)


async def _trail(pilot: Pilot) -> None:
    pilot.app.navigator.trail(LEAK_ID)
    await settle(pilot)
    await pilot.press("n")


async def _trail_hostile(pilot: Pilot) -> None:
    pilot.app.navigator.trail(HOSTILE_ID)
    await settle(pilot)


async def _memory(pilot: Pilot) -> None:
    pilot.app.navigator.memory(OWNER)
    await settle(pilot)


async def _reveal_confirm(pilot: Pilot) -> None:
    pilot.app.navigator.trail(LEAK_ID)
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)


def _flag(name: str):
    from console.core.queries import ConversationFilter

    return ConversationFilter(flags=(name,))


VIEWS: list[tuple[str, Steps, tuple[int, int]]] = [
    ("explorer", _explorer, (120, 36)),
    ("explorer", _explorer, (80, 24)),
    ("explorer-pii-leak", _explorer_flagged, (120, 36)),
    ("trail", _trail, (120, 36)),
    ("trail", _trail, (80, 24)),
    ("trail-hostile", _trail_hostile, (120, 36)),
    ("memory", _memory, (120, 36)),
    ("reveal-confirm", _reveal_confirm, (120, 36)),
]


async def _split_by_version(pilot: Pilot) -> None:
    await pilot.press("v", "down", "down", "down", "down")


# The KPI dashboard on the bad update: 30 minutes of the fleet's bad-update scenario, v42 deployed
# at 03:00, the clock frozen at 03:20.
DASHBOARD_VIEWS: list[tuple[str, Steps, tuple[int, int]]] = [
    ("dashboard", settle, (120, 36)),
    ("dashboard", settle, (160, 48)),
    ("dashboard-by-version", _split_by_version, (160, 48)),
]


async def _shoot(make_app, views, out: Path) -> list[Path]:
    written = []
    for name, steps, size in views:
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot)
            await settle(pilot)
            path = out / f"{name}-{size[0]}x{size[1]}.svg"
            app.save_screenshot(path.name, path=str(out))
            written.append(path)
    return written


def _bad_update_store(tmp: Path) -> Store:
    from tests.tui.test_dashboard import START, _write, ingest

    events = generate("bad-update", 1, START, duration_s=30 * 60)
    store = Store.open(f"sqlite:///{tmp / 'bad-update.db'}")
    ingest(store, _write(tmp / "bad-update.jsonl", list(events)))
    return store


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.screenshots")
    ap.add_argument("--out", default=str(ROOT / "screenshots"), help="directory for the SVG files")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tests.tui.test_dashboard import dashboard_app

    with tempfile.TemporaryDirectory(prefix="trustops-shots-") as tmp:
        store = build(f"sqlite:///{Path(tmp) / 'sample.db'}")
        kpis = _bad_update_store(Path(tmp))
        try:
            written = asyncio.run(_shoot(lambda: console_app(store, environment="production"), VIEWS, out))
            written += asyncio.run(_shoot(lambda: dashboard_app(kpis), DASHBOARD_VIEWS, out))
            for path in written:
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            store.close()
            kpis.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
