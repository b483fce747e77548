"""Options and set-up shared by the commands: config, store, output."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime

import orjson

from console.core.config import Config, load_config
from console.core.errors import UserError
from console.core.safe_text import visible
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
    return Store.open(getattr(args, "store", None) or cfg.store, create=create, notice=say)


def say(message: str) -> None:
    """A line for the person at the terminal, on stderr (stdout stays the command's output)."""
    print(f"trustops: {visible(message, multiline=False)}", file=sys.stderr, flush=True)


# What orjson leaves raw but a terminal acts on or hides: C1 controls, bidi and zero-width
# characters, line/paragraph separators, tag characters. Escaped as \uXXXX the JSON means the same.
_TERMINAL_UNSAFE = re.compile(
    "[\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]"
)


def print_json(obj: object) -> None:
    """JSON on stdout, exact for a machine and inert on a terminal (untrusted strings inside)."""
    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    sys.stdout.write(_TERMINAL_UNSAFE.sub(_json_escape, text) + "\n")
    sys.stdout.flush()


def _json_escape(m: re.Match) -> str:
    cp = ord(m.group())
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


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
