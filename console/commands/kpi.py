"""``trustops kpi``: the KPI table with SLO states, deploy comparisons in words, and active alerts."""

from __future__ import annotations

import argparse
import sys

from console.commands.common import add_json, add_store, config_of, open_store, parse_time, print_json
from console.core.describe import stamp
from console.core.errors import UserError
from console.core.kpi import GROUP_BYS, KPIS, parse_window, step_text
from console.core.kpi_deploys import BETTER, CHANGED, INSUFFICIENT, NO_CHANGE, WORSE
from console.core.kpi_engine import KpiReport, kpi_report
from console.core.kpi_slo import BREACH, WARN, SloSet
from console.core.safe_text import visible

_MARK = {WARN: "!", BREACH: "!!"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_store(p)
    p.add_argument(
        "--window", metavar="SPAN", help="the last SPAN before now: 5m, 1h (default), 24h, 90s, 7d, …"
    )
    p.add_argument("--since", metavar="T", help="start of an explicit range (RFC 3339)")
    p.add_argument("--until", metavar="T", help="end of the range (RFC 3339; default now)")
    p.add_argument("--by", choices=GROUP_BYS, help="one row per deployment or per model version")
    add_json(p)
    p.epilog = (
        "Values at or beyond an SLO threshold are marked ! (warn) or !! (breach); thresholds come from "
        "the config's slos section over built-in defaults (docs/kpis.md). Conversation KPIs count each "
        "conversation in the window where it started."
    )


def run(args: argparse.Namespace) -> int:
    if args.window is not None and args.since is not None:
        raise UserError("give --window or --since, not both")
    window = args.window or "1h"
    parse_window(window)  # a bad --window is an input error before the store is opened
    since = parse_time(args.since, "--since")
    until = parse_time(args.until, "--until")
    if since is not None and until is not None and until <= since:
        raise UserError("--until must be after --since")
    cfg = config_of(args)
    slos = SloSet.from_config(cfg.slos)
    store = open_store(args, cfg, create=False)
    try:
        report = kpi_report(store, window=window, since_ms=since, until_ms=until, by=args.by, slos=slos)
    finally:
        store.close()
    if args.json:
        print_json(report.as_dict())
    else:
        print_report(report)
    return 0


def print_report(report: KpiReport) -> None:
    r = report.data.range
    span = f"last {r.name}" if r.name != "custom" else "range"
    print(f"KPIs, {span}: {stamp(r.since_ms)} → {stamp(r.until_ms)} ({step_text(r.step_ms)} buckets)")
    _print_table(report)
    if report.rows[0].values["conversations"].value == 0:
        sys.stderr.write("no conversations started in this window (try --window 24h or --since/--until)\n")
    print()
    _print_deploys(report)
    print()
    _print_alerts(report)


def _print_table(report: KpiReport) -> None:
    header = ["group", *(d.short for d in KPIS.values())]
    table = [header]
    for row in report.rows:
        table.append([row.group.label, *(v.text() + _MARK.get(v.state, "") for v in row.values.values())])
    cells = [[visible(c, multiline=False) for c in row] for row in table]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    widths[0] = min(widths[0], 40)
    for row in cells:
        first = row[0][: widths[0]].ljust(widths[0])
        print("  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]).rstrip())
    print("! at or beyond the warn level, !! at or beyond breach")


def _print_deploys(report: KpiReport) -> None:
    if not report.comparisons:
        print("deploys: none in this window")
        return
    print("deploys:")
    for comp in report.comparisons:
        print(f"  {visible(comp.summary, multiline=False)}")
        for verdict in (WORSE, BETTER, CHANGED):
            for c in comp.by_verdict(verdict):
                print(f"    {verdict}: {visible(c.text, multiline=False)}")
        quiet = comp.by_verdict(NO_CHANGE)
        if quiet:
            print(f"    no significant change: {', '.join(c.kpi for c in quiet)}")
        small = comp.by_verdict(INSUFFICIENT)
        if small:
            print(f"    too little data to tell: {', '.join(c.kpi for c in small)}")


def _print_alerts(report: KpiReport) -> None:
    if not report.alerts:
        print(f"alerts: none at {stamp(report.data.range.until_ms)}")
        return
    print(f"alerts at {stamp(report.data.range.until_ms)}:")
    for a in report.alerts:
        print(f"  {visible(a.text, multiline=False)}")
