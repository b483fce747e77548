"""``trustops console``: the console on a configured environment's store."""

from __future__ import annotations

import argparse
import gc

from connectors.live_ingest import LiveIngest
from console.commands.common import add_store, config_of, open_store
from console.core.config import Config
from console.core.store import Store


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_store(p)


def run(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    store = open_store(args, cfg)
    paths = [s.path for s in cfg.sources if s.type == "jsonl" and s.path]
    # The configured audit logs are tailed into the store while the console is open.
    live = LiveIngest(store, cfg, paths).start() if paths else None
    try:
        return open_console(cfg, store, live)
    finally:
        if live is not None:
            live.stop()
        store.close()


def open_console(cfg: Config, store: Store, live: LiveIngest | None = None) -> int:
    # No cyclic garbage collection until the first frame is up (the app turns it back on then:
    # see console.tui.app.collector_back_on): the passes over the heap the imports build would
    # delay it by ~30 ms.
    gc.disable()
    try:
        # The dashboard's first numbers are computed while the UI loads (their queries release
        # the GIL), with the clock the dashboard uses by default: the first frame can hold them.
        from console.core.kpi_engine import auto_clock, start_first_look

        first = start_first_look(store, cfg, auto_clock(store))
        # Textual loads only when the console opens: the other commands stay fast to start.
        from console.tui.app import TrustopsApp
        from console.tui.data import StoreSource

        TrustopsApp(StoreSource(store), cfg, live=live, first_look=first).run()
    finally:
        gc.enable()  # if the app ended before its first frame
    return 0
