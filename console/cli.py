"""The ``trustops`` command: argument parsing, dispatch, and the one place errors become exit codes.

Exit codes (SPEC 2): 0 success, 1 the operation failed or a check did not pass, 2 usage or input
error with a one-line reason on stderr. Commands raise ``UserError`` (or a core error type) for
anything the user can fix; nothing the user can cause ends in a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from console.core.errors import UserError
from console.core.safe_text import visible

COMMANDS = {
    # name: (module in console.commands, help)
    "demo": ("demo", "start the demo environment and open the console on it"),
    "fleet": ("fleet", "run only the demo environment in the foreground"),
    "ingest": ("ingest", "ingest audit-event files into the store"),
    "conversations": ("conversations", "list conversations"),
    "show": ("show", "one conversation's audit trail, redacted unless --reveal"),
    "console": ("console", "open the console on a configured environment"),
    "kpi": ("kpi", "the trust-KPI table with SLO states, deploy comparisons and alerts"),
}


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {visible(message, multiline=False)} (see --help)\n")
        raise SystemExit(2)


def build_parser() -> Parser:
    parser = Parser(prog="trustops", description="On-call console for AI trust incidents.")
    parser.add_argument("--version", action="version", version=f"trustops {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _load(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        # Bare `trustops` opens the console when a configuration is found.
        from console.core.config import find_config

        if find_config(None) is None:
            parser.print_help()
            return 2
        argv = ["console"]
    args = parser.parse_args(argv)
    try:
        return int(_load(args._module).run(args) or 0)
    except UserError as exc:
        sys.stderr.write(f"trustops {args.command}: error: {visible(str(exc), multiline=False)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


def _load(module: str):
    return importlib.import_module(f"console.commands.{module}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trustops")
    except PackageNotFoundError:
        return "dev"


__all__ = ["UserError", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
