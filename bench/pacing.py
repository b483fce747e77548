"""Which stage of a bulk ingest (detectors on) sets its pace.

The same ingest runs as it is, then with 10 ms of CPU added to every chunk in one stage at a
time: the reading thread, the detector process, the findings thread, the writer thread. A stage
that sets the pace lengthens the run by about the work added (a million events come in 85
chunks: 0.85 s);
a stage with slack, by less. Each thread's CPU time and time spent runnable but waiting for a
core (Linux schedstat) are printed for the unchanged run. One more run skips the detectors' scan
(nothing found, so no findings to store either): what the detectors cost on the wall clock,
including what their process takes from the others on a busy machine.

    python -m bench.pacing [--events N] [--rounds R]

A diagnostic for whoever next makes ingest faster, not a benchmark with a target: what it adds
is a busy loop, patched in for the measurement only.
"""

from __future__ import annotations

import argparse
import json
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median

from bench.bench_ingest import measure_in_process

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("none", "reader", "detectors", "findings", "writer")
NO_SCAN = "no-scan"
ADDED_S = 0.010


def _spin() -> None:
    t = time.thread_time()
    while time.thread_time() - t < ADDED_S:
        pass


def _load(stage: str) -> None:
    """Add ``ADDED_S`` of CPU to each chunk in ``stage`` (or, for ``NO_SCAN``, skip the scan)."""
    from console.core import ingest, scanning

    if stage == NO_SCAN:
        scanning.ConversationScanner.scan_chunk = lambda self, items, before_store_read=None: {}  # type: ignore[method-assign]
        return

    def before(owner: object, name: str) -> None:
        original = getattr(owner, name)

        def wrapped(*args: object, **kwargs: object) -> object:
            _spin()
            return original(*args, **kwargs)

        setattr(owner, name, wrapped)

    target = {
        "reader": (ingest.Ingestor, "_parse_chunk"),
        "detectors": (scanning, "_scan"),
        "findings": (ingest.Ingestor, "_finish"),
        "writer": (ingest.Ingestor, "_write"),
    }.get(stage)
    if target is not None:
        before(*target)


def _schedstat() -> tuple[float, float]:
    """This thread's seconds on a core and seconds runnable but waiting for one."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as fh:
            on_cpu, waiting, _ = fh.read().split()
    except OSError:
        return float("nan"), float("nan")
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def _child(stage: str, path: str, store_dir: str) -> None:
    from connectors.jsonl import read_files
    from console.core import ingest
    from console.core.config import Config
    from console.core.pipeline_setup import build_ingestor
    from console.core.store import Store

    _load(stage)
    threads: dict[str, tuple[float, float]] = {}
    loop = ingest._Stage._loop

    def traced(self: ingest._Stage) -> None:
        try:
            loop(self)
        finally:
            threads[threading.current_thread().name.removeprefix("trustops-ingest-")] = _schedstat()

    ingest._Stage._loop = traced  # type: ignore[method-assign]
    store = Store.open(f"sqlite:///{Path(store_dir) / 'store.db'}")
    ing = build_ingestor(store, Config(), detectors=True)
    chunks = 0

    def counted(source: Iterator[object]) -> Iterator[object]:
        nonlocal chunks
        for chunk in source:
            chunks += 1
            yield chunk

    t0 = time.perf_counter()
    ing.run(counted(read_files([path], ing.resume_of)))  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    threads["reader"] = _schedstat()
    child = resource.getrusage(resource.RUSAGE_CHILDREN)  # the detector process, ended by now
    threads["detectors"] = (child.ru_utime + child.ru_stime, float("nan"))
    print(json.dumps({"seconds": seconds, "chunks": chunks, "threads": threads}))


def _measure(stage: str, path: Path) -> dict:
    return measure_in_process("bench.pacing", "--child", stage, str(path))


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pacing")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", nargs=3, metavar=("STAGE", "FILE", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    from bench.workload import events_file

    path = events_file(args.events)
    modes = (*STAGES, NO_SCAN)
    runs: dict[str, list[float]] = {s: [] for s in modes}
    threads: list[dict] = []
    chunks = 0
    for i in range(args.rounds):
        for stage in modes[i % len(modes) :] + modes[: i % len(modes)]:
            r = _measure(stage, path)
            runs[stage].append(r["seconds"])
            if stage == "none":
                threads.append(r["threads"])
                chunks = r["chunks"]
    base = median(runs["none"])
    print(f"ingest of {args.events:,} events, detectors on, median of {args.rounds}: {base:.2f} s")
    print(f"{ADDED_S * 1000:.0f} ms of CPU added to each of {chunks} chunks ({chunks * ADDED_S:.2f} s) in:")
    for stage in STAGES[1:]:
        print(f"  {stage:10} {median(runs[stage]) - base:+6.2f} s")
    print(
        f"the detectors' scan skipped (nothing found, nothing stored): {median(runs[NO_SCAN]) - base:+.2f} s"
    )
    print("the unchanged run's threads (medians): on a core / runnable, waiting for one")
    for name in threads[0]:
        on = median(t[name][0] for t in threads)
        wait = median(t[name][1] for t in threads)
        waited = "–" if wait != wait else f"{wait:.2f} s"  # (NaN: not known for a process)
        print(f"  {name:10} {on:5.2f} s / {waited}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
