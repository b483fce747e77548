"""``trustops show``: one conversation's audit trail as text or JSON, redacted unless --reveal."""

from __future__ import annotations

import argparse

from console.commands.common import add_json, add_store, config_of, open_store, print_json
from console.core.describe import clock, stamp, summary
from console.core.errors import UserError
from console.core.queries import conversation_trail
from console.core.safe_text import visible


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
        print_json(
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
            f"conversation {c.conversation_id}  {c.deployment} {c.model_version}  customer {c.customer_id}"
        )
    )
    print(visible(f"started {stamp(c.started_ms)}  turns {c.turns}  flags: {flags}"))
    print()
    for e in trail.events:
        turn = e.data.get("turn")
        t = f"t{turn}" if turn is not None else "  "
        text = visible(summary(e.data), multiline=False)
        print(f"{clock(e.ts_ms)}  {t:>3}  {e.type:<18} {text}")
        for f in e.findings:
            print(f"{'':33}⚑ {f.category}:{f.type} {visible(f.detail, multiline=False)}".rstrip())
    return 0
