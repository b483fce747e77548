"""``trustops show``: one conversation's audit trail as text or JSON, redacted unless --reveal."""

from __future__ import annotations

import argparse

from console.commands.common import add_json, add_store, config_of, open_store, print_json
from console.core.describe import clock, stamp, summary
from console.core.errors import UserError
from console.core.masking import Masking, reveal_detail
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
    masking = Masking.from_config(cfg)
    if args.reveal:
        revealed = [f for e in trail.events for f in e.findings if masking.hides(f)]
        if revealed:
            # Who saw which values, never the values themselves.
            store.log_operator(
                cfg.operator_name(), "reveal", f"conversation {args.conversation_id}", reveal_detail(revealed)
            )
    events = [(e, masking.event(e.data, e.findings, reveal=args.reveal)) for e in trail.events]
    if args.json:
        print_json(
            {
                "conversation": trail.conversation.as_dict(),
                "redacted": not args.reveal,
                "events": [{**data, "findings": [f.as_dict() for f in e.findings]} for e, data in events],
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
    for e, data in events:
        turn = data.get("turn")
        t = f"t{turn}" if turn is not None else "  "
        text = visible(summary(data), multiline=False)
        print(f"{clock(e.ts_ms)}  {t:>3}  {e.type:<18} {text}")
        for f in e.findings:
            print(f"{'':33}⚑ {f.category}:{f.type} {visible(f.detail, multiline=False)}".rstrip())
    return 0
