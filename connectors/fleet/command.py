"""`trustops fleet`: run only the demo environment, in the foreground, until Ctrl-C."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from connectors.fleet.config import TOKEN_ENV
from connectors.fleet.scenarios import scenario_names
from connectors.fleet.service import Fleet, FleetError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `trustops fleet`, for the CLI to add to its subparser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    parser.add_argument(
        "--audit-log",
        default="./fleet-audit.jsonl",
        help="JSONL audit log to append to (default ./fleet-audit.jsonl)",
    )
    parser.add_argument(
        "--scenario", default="calm", help=f"one of: {', '.join(scenario_names())} (default calm)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1; 60 = an hour a minute)",
    )
    parser.add_argument(
        "--write-config", metavar="PATH", help="write a trustops config that points at this fleet"
    )
    parser.add_argument(
        "--duration", type=float, help="stop after this many real seconds (default: until Ctrl-C)"
    )


def _usage_error(message: str) -> int:
    print(f"trustops fleet: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    speed = getattr(args, "speed", 1.0)
    duration = getattr(args, "duration", None)
    if not speed > 0 or math.isinf(speed):
        return _usage_error(f"--speed must be a number greater than 0, got {speed}")
    if duration is not None and not duration >= 0:
        return _usage_error(f"--duration must be 0 or more seconds, got {duration}")
    with _interrupts() as stop:
        try:
            fleet = Fleet(
                scenario=getattr(args, "scenario", "calm"),
                seed=getattr(args, "seed", 1),
                speed=speed,
                audit_log=getattr(args, "audit_log", "./fleet-audit.jsonl"),
                host=getattr(args, "host", "127.0.0.1"),
                port=getattr(args, "port", 0),
            )
            fleet.start()
        except FleetError as problem:
            return _usage_error(str(problem))
        try:
            config_path = getattr(args, "write_config", None)
            config = fleet.write_config(config_path) if config_path else None
            _announce(fleet, config)
            stop.wait(duration)
            written = fleet.events_written
        except FleetError as problem:
            return _usage_error(str(problem))
        finally:
            fleet.stop()
    print(f"trustops fleet: stopped; {written} events in {fleet.audit_log}", flush=True)
    return 0


def _announce(fleet: Fleet, config: object) -> None:
    lines = [
        f"trustops fleet: scenario {fleet.scenario}, seed {fleet.seed}, speed {fleet.speed:g}x",
        f"  model endpoint  {fleet.base_url}/v1  (models: {', '.join(fleet.deployments)})",
        *(f"    {name:<15} {fleet.model_url(name)}" for name in fleet.deployments),
        f"  metrics         {fleet.base_url}/metrics",
        f"  control plane   {fleet.base_url}/control",
        f"  audit log       {fleet.audit_log}",
    ]
    if config is not None:
        lines.append(f"  config          {config}")
    if fleet.token_generated:
        lines.append(f"  control token   {fleet.token}")
        lines.append(f"                  (generated for this run; export {TOKEN_ENV} to choose your own)")
    else:
        lines.append(f"  control token   from ${TOKEN_ENV}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


@contextmanager
def _interrupts() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM, so the fleet shuts down in order, with no traceback."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    handler = lambda signum, frame: stop.set()  # noqa: E731
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trustops fleet", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
