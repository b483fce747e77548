"""``trustops show``: one conversation's audit trail as text or JSON, redacted unless --reveal."""

from __future__ import annotations

import argparse
import re
import sys

import orjson

from console.commands.common import add_json, add_store, config_of, open_store
from console.core.describe import clock, stamp, summary
from console.core.errors import UserError
from console.core.queries import conversation_trail
from console.core.safe_text import visible

# What orjson leaves raw but a terminal acts on or hides: C1 controls, bidi and zero-width
# characters, line/paragraph separators, tag characters. Escaped as \\uXXXX the JSON means the same.
_TERMINAL_UNSAFE = re.compile(
    "[\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]"
)


def _json_escape(m: re.Match) -> str:
    return "".join(f"\\u{unit:04x}" for unit in _utf16(m.group()))


def _utf16(ch: str) -> list[int]:
    cp = ord(ch)
    if cp < 0x10000:
        return [cp]
    cp -= 0x10000
    return [0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)]


def print_terminal_json(obj: object) -> None:
    """JSON on stdout, exact for a machine and inert on a terminal (untrusted strings inside)."""
    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    sys.stdout.write(_TERMINAL_UNSAFE.sub(_json_escape, text) + "\n")
    sys.stdout.flush()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("conversation_id", metavar="CONVERSATION_ID")
    add_store(p)
    p.add_argument("--reveal", action="store_true", help="show detected PII and secrets unredacted (logged)")
    add_json(p)


def run(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    store = open_store(args, cfg, create=False)
    trail = conversation_trail(store, args.conversation_id)
    if trail is None:
        raise UserError(f"no conversation {args.conversation_id!r} in the store")
    if args.json:
        print_terminal_json(
            {
                "conversation": trail.conversation.as_dict(),
                "events": [{**e.data, "findings": [f.as_dict() for f in e.findings]} for e in trail.events],
            }
        )
        return 0
    c = trail.conversation
    flags = ", ".join(c.flags) or "none"
    print(
        visible(
            f"conversation {c.conversation_id}  {c.deployment} {c.model_version}  customer {c.customer_id}",
            multiline=False,
        )
    )
    print(visible(f"started {stamp(c.started_ms)}  turns {c.turns}  flags: {flags}", multiline=False))
    print()
    for e in trail.events:
        turn = e.data.get("turn")
        t = f"t{turn}" if turn is not None else "  "
        text = visible(summary(e.data), multiline=False)
        print(f"{clock(e.ts_ms)}  {t:>3}  {e.type:<18} {text}")
        for f in e.findings:
            print(f"{'':33}⚑ {f.category}:{f.type} {visible(f.detail, multiline=False)}".rstrip())
    return 0
