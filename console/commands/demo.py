"""``trustops demo``: the built-in demo environment, ingested live, with the console on it.

The fleet starts with half an hour of history already simulated, so the console has something
to show at once; then traffic continues at ``--speed``. ``--headless --duration S`` runs the
same without a UI and prints a KPI summary.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.fleet import Fleet, scenario_names
from connectors.fleet.config import TOKEN_ENV
from connectors.live_ingest import LiveIngest
from console.core.config import load_config
from console.core.errors import UserError
from console.core.paths import data_dir
from console.core.store import Store

HISTORY_S = 30 * 60
MARKER = ".trustops-demo"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario", default="game-day", help=f"one of: {', '.join(scenario_names())} (default game-day)"
    )
    p.add_argument("--seed", type=int, default=1, metavar="N", help="same seed, same traffic (default 1)")
    p.add_argument(
        "--speed", type=float, default=10.0, metavar="X", help="simulated seconds per second (default 10)"
    )
    p.add_argument(
        "--workdir", metavar="DIR", help="where the audit log, store and config go (default: XDG data dir)"
    )
    p.add_argument("--headless", action="store_true", help="no UI: run, ingest, print a KPI summary")
    p.add_argument(
        "--duration", type=float, metavar="SECONDS", help="with --headless: how long to run (required)"
    )


def run(args: argparse.Namespace) -> int:
    if args.scenario not in scenario_names():
        raise UserError(
            f"--scenario: unknown scenario {args.scenario!r} (one of: {', '.join(scenario_names())})"
        )
    if not args.speed > 0:
        raise UserError(f"--speed must be greater than 0, got {args.speed}")
    if args.headless and (args.duration is None or args.duration < 0):
        raise UserError("--headless needs --duration SECONDS (0 or more)")
    workdir = _fresh_workdir(Path(args.workdir) if args.workdir else data_dir() / "demo")
    audit_log = workdir / "audit.jsonl"
    store_url = f"sqlite:///{workdir / 'store.db'}"
    fleet = Fleet(
        args.scenario,
        args.seed,
        args.speed,
        audit_log,
        start=datetime.now(UTC) - timedelta(seconds=HISTORY_S),
    )
    fleet.start()
    try:
        fleet.advance(HISTORY_S)  # half an hour of history, written at once
        config_path = fleet.write_config(workdir / "trustops.yaml", store_url=store_url)
        # The console and its playbooks find the token where the config says: in the environment.
        os.environ[TOKEN_ENV] = fleet.token
        cfg = load_config(str(config_path))
        store = Store.open(store_url)
        live = LiveIngest(store, cfg, [str(audit_log)]).start()
        try:
            if args.headless:
                return _headless(args, fleet, live, store, workdir)
            from console.commands.console import open_console

            return open_console(cfg, store, live)
        finally:
            live.stop()
    finally:
        fleet.stop()


def _headless(args, fleet: Fleet, live: LiveIngest, store: Store, workdir: Path) -> int:
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    # Stop the traffic, then let the ingest catch up with everything the fleet wrote.
    fleet.stop()
    written = fleet.events_written
    settle = time.monotonic() + 30
    while live.status().stored + live.status().rejected + live.status().duplicates < written:
        if time.monotonic() > settle or live.status().error:
            break
        time.sleep(0.1)
    status = live.status()
    print(f"demo: scenario {args.scenario}, seed {args.seed}, speed {args.speed}x, workdir {workdir}")
    print(
        f"ingested {status.stored:,} events ({status.rejected:,} rejected, {status.duplicates:,} duplicates) "
        f"of {written:,} written by the fleet"
    )
    if status.error:
        print(f"ingest error: {status.error}", file=sys.stderr)
        return 1
    from console.commands.kpi import print_report
    from console.core.kpi_engine import kpi_report

    print_report(kpi_report(store, window="1h", by="model_version"))
    return 0


def _fresh_workdir(path: Path) -> Path:
    """Each demo starts from nothing. Only a directory we made before is ever emptied."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise UserError(f"--workdir {path}: not empty and not a trustops demo directory; choose another")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by trustops demo; emptied at the next demo run\n")
    return path
