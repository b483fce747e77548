"""Where a one-core ingest's time goes: each stage's CPU, the store's writes apart, and the floor.

    python -m bench.one_core [--events N]

Pinned to one CPU, as SPEC 10's ingest target is. Every chunk is prepared stage by stage (read,
parsed and validated, rolled up, its insert parameters built, screened and scanned by the
detectors, its findings added), each stage timed; then the prepared chunks are written, timed
alone (the store's share: SQLite's work and the little Python around it); then freed. The floor
(orjson + a bare insert, `make bench`'s baseline) runs in the same process first. A diagnostic,
not a benchmark with a target: it holds every prepared chunk in memory at once.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.ingest_worker import floor
from bench.workload import events_file


def stages(path: Path, store_dir: Path) -> Counter[str]:
    """CPU seconds of each stage of ingesting ``path``, the detectors on."""
    from connectors.jsonl import read_files
    from console.core.config import Config
    from console.core.ingest import _Prepared
    from console.core.pipeline_setup import build_ingestor
    from console.core.rollup import roll_up
    from console.core.store import Batch, Store

    store = Store.open(f"sqlite:///{store_dir / 'store.db'}")
    ing = build_ingestor(store, Config())
    scanner = ing._scanner
    assert scanner is not None
    cpu = time.process_time
    spent: Counter[str] = Counter()
    prepared = []
    chunks = read_files([str(path)], ing.resume_of)
    gc.disable()  # as during an ingest (bulk_runtime): the passes would land on random stages
    try:
        while True:
            t0 = cpu()
            chunk = next(chunks, None)
            if chunk is None:
                break
            t1 = cpu()
            batch = Batch()
            events, repeats = ing._parse(chunk, batch)
            t2 = cpu()
            roll_up(batch, events)
            t3 = cpu()
            params, batch_params = store.event_params(events), store.rollup_params(batch)
            t4 = cpu()
            items = scanner.items(events)
            t5 = cpu()
            found = scanner.scan_chunk(items)
            t6 = cpu()
            prep = _Prepared(
                len(prepared) + 1, chunk, batch, events, len(events) + repeats, {}, params, batch_params
            )
            prepared.append(ing._finish(prep, found))
            t7 = cpu()
            for stage, start, end in (
                ("read", t0, t1),
                ("parse and validate", t1, t2),
                ("roll-ups", t2, t3),
                ("insert parameters", t3, t4),
                ("screening for the detectors", t4, t5),
                ("detectors' scan", t5, t6),
                ("findings added", t6, t7),
            ):
                spent[stage] += end - start
        del chunk, batch, events, params, batch_params, items, found, prep
        t0 = cpu()
        for prep in prepared:
            ing._write(prep)
        spent["store writes"] = cpu() - t0
        t0 = cpu()
        prepared.clear()
        spent["freeing"] = cpu() - t0
    finally:
        gc.enable()
        store.close()
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.one_core")
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    path = events_file(args.events)
    with tempfile.TemporaryDirectory(prefix="trustops-bench-") as d:
        t0 = time.process_time()
        floor(str(path), Path(d))
        floor_s = time.process_time() - t0
    with tempfile.TemporaryDirectory(prefix="trustops-bench-") as d:
        spent = stages(path, Path(d))
    total = sum(spent.values())
    baseline = "floor (orjson + bare insert)"
    width = max(len(baseline), *map(len, spent))
    print(f"one core, {args.events:,} events, CPU seconds:")
    print(f"  {baseline:{width}}  {floor_s:6.2f}")
    for stage, s in spent.items():
        print(f"  {stage:{width}}  {s:6.2f}  {s / total:4.0%}")
    print(f"  {'total':{width}}  {total:6.2f}  {total / floor_s:.2f}× the floor")


if __name__ == "__main__":
    main()
