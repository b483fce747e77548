"""Where a one-core ingest's time goes: each stage's CPU, the store's writes apart, and the floor.

    python -m bench.one_core [--events N]

Pinned to one CPU, as SPEC 10's ingest target is. Every chunk is prepared stage by stage (read,
parsed and validated, rolled up, its insert parameters built, screened and scanned by the
detectors, its findings added), each stage timed; then the prepared chunks are written, timed
alone (the store's share: SQLite's work and the little Python around it); then freed. The floor
(orjson + a bare insert, `make bench`'s baseline) runs in the same process first. A diagnostic,
not a benchmark with a target: it holds every prepared chunk in memory at once.

It then splits the total by what the work is per: the work done in C or once per distinct
string (reading, msgspec's decoding and validation alone, the detectors' rules on each string's
first sight, the store's writes), which no cheaper Python per event would spare; and the rest,
the Python each event costs. Against 2.5× the floor (SPEC 10), it prints what that target leaves
for the Python per event.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import msgspec

from bench.ingest_worker import floor
from bench.workload import events_file
from console.core.events import AnyEvent


def stages(path: Path, store_dir: Path) -> Counter[str]:
    """CPU seconds of each stage of ingesting ``path``, the detectors on, and of the two parts
    of stages that :data:`STAGE_PARTS` names (timed inside their stage, not added to the total)."""
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
    detectors = scanner.detectors
    rules = detectors.hits  # what the scan calls on a string it has not seen (see DetectorSet._entry)

    def first_sight(text, origin):
        t = cpu()
        try:
            return rules(text, origin)
        finally:
            spent[RULES] += cpu() - t

    detectors.hits = first_sight  # type: ignore[method-assign]
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
        decode = msgspec.json.Decoder(AnyEvent).decode
        t0 = cpu()
        for prep in prepared:
            for line in prep.chunk.lines:
                if line is None:  # over the size limit: never decoded
                    continue
                try:  # noqa: SIM105  (a context manager per line would be timed too)
                    decode(line)
                except msgspec.MsgspecError:  # rejected as the ingest rejects it
                    pass
        spent[DECODING] = cpu() - t0
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


RULES = "the rules, on each string's first sight"
DECODING = "msgspec's decoding and validation alone"
STAGE_PARTS = {DECODING: "parse and validate", RULES: "detectors' scan"}  # parts of stages, not stages
NOT_PER_EVENT = ("read", DECODING, RULES, "store writes")


def report(events: int, floor_s: float, spent: Counter[str]) -> None:
    stages = {stage: s for stage, s in spent.items() if stage not in STAGE_PARTS}
    total = sum(stages.values())
    bound = sum(spent[stage] for stage in NOT_PER_EVENT)
    rows = [
        ("floor (orjson + bare insert)", floor_s, ""),
        *((stage, s, f"{s / total:4.0%}") for stage, s in stages.items()),
        ("total", total, f"{total / floor_s:.2f}× the floor"),
        *((f"{part} (of {stage})", spent[part], "") for part, stage in STAGE_PARTS.items()),
        ("not per event: read, decoding, rules, store writes", bound, f"{bound / floor_s:.2f}× the floor"),
        ("Python per event: the rest", total - bound, ""),
        ("what 2.5× the floor leaves for it", 2.5 * floor_s - bound, ""),
    ]
    width = max(len(label) for label, _, _ in rows)
    print(f"one core, {events:,} events, CPU seconds:")
    for label, s, note in rows:
        print(f"  {label:{width}}  {s:6.2f}  {note}".rstrip())


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
    report(args.events, floor_s, spent)


if __name__ == "__main__":
    main()
