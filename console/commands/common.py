"""Options and set-up shared by the commands: config, store, output."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

import orjson

from console.core.config import Config, load_config
from console.core.errors import UserError
from console.core.store import Store


def add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="configuration file (default ./trustops.yaml, then XDG)")


def add_store(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store", metavar="URL", help="sqlite:///PATH or postgresql://… (default: config, $TRUSTOPS_STORE)"
    )
    add_config(p)


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def config_of(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def open_store(args: argparse.Namespace, cfg: Config | None = None, *, create: bool = True) -> Store:
    cfg = cfg or config_of(args)
    return Store.open(getattr(args, "store", None) or cfg.store, create=create)


def print_json(obj: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def parse_time(value: str | None, option: str) -> int | None:
    """An RFC 3339 option value → epoch ms."""
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: not an RFC 3339 time: {value!r}") from None
    if dt.tzinfo is None:
        raise UserError(f"{option}: give a time zone (e.g. {value}Z)")
    return int(dt.timestamp() * 1000)


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {n}")
    return n
