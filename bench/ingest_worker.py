"""One measured ingest in its own process, so its peak RSS is its own. Prints a JSON result.

    python -m bench.ingest_worker MODE FILE STORE_DIR
MODE: floor (orjson parse + bare SQLite insert), ingest (the pipeline, detectors off),
ingest+detectors (the pipeline as `trustops ingest` runs it); with ``@1core`` appended, on the
first CPU alone (the detectors then scan in the pipeline's own process, as on a 1-core machine).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def floor(path: str, store_dir: Path) -> int:
    import sqlite3

    import orjson

    from connectors.jsonl import read_files
    from console.core.db import sqlite_pragmas

    db = sqlite3.connect(store_dir / "floor.db")
    sqlite_pragmas(db)
    db.execute("CREATE TABLE events (id TEXT, body BLOB)")
    n = 0
    for chunk in read_files([path], lambda _p: None):
        rows = []
        for line in chunk.lines:
            obj = orjson.loads(line)
            rows.append((obj["id"], line))
        db.execute("BEGIN")
        db.executemany("INSERT INTO events (id, body) VALUES (?, ?)", rows)
        db.execute("COMMIT")
        n += len(rows)
    return n


def ingest(path: str, store_dir: Path, detectors: bool) -> int:
    from connectors.jsonl import read_files
    from console.core.config import Config
    from console.core.pipeline_setup import build_ingestor
    from console.core.store import Store

    store = Store.open(f"sqlite:///{store_dir / 'store.db'}")
    ing = build_ingestor(store, Config(), detectors=detectors)
    stats = ing.run(read_files([path], ing.resume_of))
    return stats.stored


def main() -> None:
    mode, path, store_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    mode, _, cores = mode.partition("@")
    if cores == "1core":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    t0 = time.perf_counter()
    if mode == "floor":
        n = floor(path, store_dir)
    else:
        n = ingest(path, store_dir, detectors=mode == "ingest+detectors")
    elapsed = time.perf_counter() - t0
    # The detector process's peak too (it has ended): the two peaks added, an upper bound.
    rss_mb = (
        sum(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        / 1024
    )
    cpus = len(os.sched_getaffinity(0))
    print(json.dumps({"events": n, "seconds": elapsed, "rss_mb": rss_mb, "cpus": cpus}))


if __name__ == "__main__":
    main()
