"""``trustops conversations``: list conversations, filtered like the console's explorer."""

from __future__ import annotations

import argparse

from console.commands.common import add_json, add_store, open_store, parse_time, positive_int, print_json
from console.core.describe import stamp
from console.core.errors import UserError
from console.core.queries import FLAG_CHOICES, ConversationFilter, list_conversations
from console.core.safe_text import visible
from console.core.search import SearchIndex


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_store(p)
    p.add_argument(
        "--flag", action="append", default=[], metavar="CATEGORY", help=f"one of: {', '.join(FLAG_CHOICES)}"
    )
    p.add_argument("--search", metavar="TEXT", help="conversations whose events contain TEXT")
    p.add_argument("--deployment", metavar="D")
    p.add_argument("--model-version", metavar="V")
    p.add_argument("--customer", metavar="ID")
    p.add_argument("--since", metavar="T", help="RFC 3339")
    p.add_argument("--until", metavar="T", help="RFC 3339")
    p.add_argument("--limit", type=positive_int, default=50, metavar="N")
    add_json(p)


def run(args: argparse.Namespace) -> int:
    for flag in args.flag:
        if flag not in FLAG_CHOICES:
            raise UserError(f"--flag: unknown category {flag!r} (one of: {', '.join(FLAG_CHOICES)})")
    f = ConversationFilter(
        flags=tuple(args.flag),
        deployment=args.deployment,
        model_version=args.model_version,
        customer_id=args.customer,
        search=args.search,
        since_ms=parse_time(args.since, "--since"),
        until_ms=parse_time(args.until, "--until"),
        limit=args.limit,
    )
    store = open_store(args, create=False)
    if args.search:
        SearchIndex(store).catch_up()  # index what arrived since the last catch-up, then search
    rows = list_conversations(store, f)
    if args.json:
        print_json([r.as_dict() for r in rows])
        return 0
    if not rows:
        print(f"no conversations match ({f.describe()})")
        return 0
    header = (
        "started",
        "conversation",
        "deployment",
        "version",
        "customer",
        "turns",
        "flags",
        "feedback",
        "resolved",
    )
    table = [header]
    for r in rows:
        resolved = "-" if r.resolved is None else ("yes" if r.resolved else "no")
        table.append(
            (
                stamp(r.started_ms),
                r.conversation_id,
                r.deployment or "-",
                r.model_version or "-",
                r.customer_id or "-",
                str(r.turns),
                ",".join(r.flags) or "-",
                r.feedback or "-",
                resolved,
            )
        )
    cells = [[visible(c, multiline=False) for c in row] for row in table]
    widths = [min(max(len(row[i]) for row in cells), 48) for i in range(len(header))]
    for row in cells:
        print("  ".join(c[:w].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0
