"""`make bench`: every benchmark named in the issues, as a figure and a ratio to a same-run baseline.

Usage: python -m bench [--only NAME[,NAME]] [--events N] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from bench.table import Row, render

SUITES = ["bench_ingest", "bench_detectors", "bench_kpi", "bench_explorer", "bench_console"]


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--only", help="comma-separated suite names (e.g. ingest,detectors)")
    ap.add_argument("--events", type=int, default=1_000_000, help="events for the ingest benchmark")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table to FILE")
    args = ap.parse_args()
    wanted = {f"bench_{n.strip()}" for n in args.only.split(",")} if args.only else set(SUITES)
    rows: list[Row] = []
    for name in SUITES:
        if name not in wanted:
            continue
        try:
            mod = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"(skipping {name}: {exc})", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        print(f"running {name}…", file=sys.stderr, flush=True)
        rows.extend(mod.run(events=args.events) if "events" in mod.run.__code__.co_varnames else mod.run())
        print(f"  {name} took {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    table = render(rows)
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(table + "\n")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
