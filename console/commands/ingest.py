"""``trustops ingest``: audit-event files into the store, once or followed."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from connectors.jsonl import follow_files, read_files
from console.commands.common import add_json, add_store, config_of, open_store, print_json
from console.core.errors import UserError
from console.core.events import DEFAULT_MAX_LINE_BYTES
from console.core.ingest import Ingestor, Reject
from console.core.pipeline_setup import build_ingestor
from console.core.safe_text import visible


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="JSONL (or OTLP/JSON) files to ingest")
    add_store(p)
    p.add_argument("--follow", action="store_true", help="keep tailing the files (Ctrl-C to stop)")
    p.add_argument("--format", choices=("auto", "jsonl", "otlp"), default="auto", help="input format")
    add_json(p)
    p.epilog = (
        "Prints events stored, duplicates skipped and lines rejected; each rejected line goes to stderr "
        "as PATH:LINE: reason. Exit 0 when every line was stored or skipped as a duplicate, 1 when some "
        "lines were rejected (the rest is stored), 2 on a usage or input error."
    )


def run(args: argparse.Namespace) -> int:
    if not args.paths:
        raise UserError("give at least one PATH to ingest")
    if args.format == "otlp":
        raise UserError("--format otlp: OTLP/JSON input is not available yet; use jsonl")
    # One path named twice (or by two spellings) is one file: read it once.
    args.paths = list(dict.fromkeys(str(Path(p).absolute()) for p in args.paths))
    cfg = config_of(args)
    store = open_store(args, cfg)
    rejects: list[Reject] = []

    def report(r: Reject) -> None:
        if args.json:
            rejects.append(r)  # listed in the JSON output
        else:
            sys.stderr.write(visible(str(r), multiline=False) + "\n")

    ingestor: Ingestor = build_ingestor(store, cfg, on_reject=report)
    limit = cfg.max_line_bytes or DEFAULT_MAX_LINE_BYTES
    if args.follow:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            # A failed write stops the following too: a quiet log must not hide it.
            ingestor.run(follow_files(args.paths, ingestor.resume_of, stop, max_line_bytes=limit), stop=stop)
        except KeyboardInterrupt:
            stop.set()
    else:
        ingestor.run(read_files(args.paths, ingestor.resume_of, max_line_bytes=limit))
    stats = ingestor.stats
    if args.json:
        out = stats.as_dict()
        out["rejects"] = [{"path": r.path, "line": r.line, "reason": r.reason} for r in rejects]
        print_json(out)
    else:
        files = len(stats.files) or len(args.paths)
        print(
            f"{files} file(s): {stats.stored:,} events stored, {stats.duplicates:,} duplicates skipped, "
            f"{stats.rejected:,} lines rejected, {stats.findings:,} findings"
        )
    return 1 if stats.rejected else 0
