"""``trustops console``: the console on a configured environment's store."""

from __future__ import annotations

import argparse

from console.commands.common import add_store, config_of, open_store


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_store(p)


def run(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    store = open_store(args, cfg, create=False)
    # Textual loads only when the console opens: the other commands stay fast to start.
    from console.tui.app import TrustopsApp
    from console.tui.data import StoreSource

    try:
        TrustopsApp(StoreSource(store), cfg).run()
    finally:
        store.close()
    return 0
