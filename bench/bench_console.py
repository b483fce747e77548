"""The console itself (SPEC 10): first painted dashboard, live refresh rate, key latency, memory.

Figures, each beside a baseline measured in the same run:

1. time to the first painted dashboard on a store of 1M events (demo fleet, game-day, seed 11)
   against a hello-world Textual app: both are started as real processes in a pseudo-terminal
   (120x36), from compiled bytecode (as installed), and timed until the first frame holding what
   they show is written to it (for the dashboard: the status line with the data's freshness,
   which is painted in the same batch as the KPI values; for hello world: its text). Median of
   three starts each;
2. while a thread streams 2,000 events/s into a copy of that store (the fleet's traffic after
   it, at a pace that keeps simulated time with the wall clock, appended to an audit log that
   the console's live ingest tails, in a process of its own as ``trustops console`` and the demo
   run it): snapshots applied to the
   panes per second, and the p95 from ``pilot.press`` of a window key to the frame that shows
   the pane with the new window (headless, 160x48); baseline: the same with nothing streaming;
3. the console's peak RSS (VmHWM) on the 1M-event store, in the process of figure 1, read once
   the dashboard is up and its baselines are computed.

The store is built once (ingest with detectors, plus the search index, so the console starts on
an up-to-date store as it would in use) into ``.bench-cache/``, named by a hash of the schema.

Usage: python -m bench --only console
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import hashlib
import json
import os
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.table import Row
from bench.workload import CACHE, events_file

EVENTS = 1_000_000
SEED = 11
STARTS = 3
FIRST_PAINT_TARGET_S = 1.5
FIRST_PAINT_TARGET_RATIO = 2.0
REFRESH_TARGET_PER_S = 2.0
KEY_TARGET_MS = 100.0
RSS_TARGET_MB = 400.0
STREAM_EVENTS_PER_S = 2000
STREAM_SECONDS = 8.0
KEY_PRESSES = 40
EVENTS_PER_CONVERSATION = 12  # the fleet's average
SIZE = (120, 36)
ROOT = Path(__file__).resolve().parent.parent
READY = b"last event"  # the status line's freshness: painted with the first snapshot's panes
HELLO = "hello, world"


def console_store(events: int = EVENTS, seed: int = SEED) -> Path:
    """The cached 1M-event store (a few minutes the first time, then reused). Its name carries a
    hash of the schema, so a store made by an older schema is rebuilt, never half-used."""
    CACHE.mkdir(parents=True, exist_ok=True)
    schema = hashlib.sha256(_schema_ddl().encode()).hexdigest()[:10]
    path = CACHE / f"console-{events}-{seed}-{schema}.db"
    if path.exists():
        return path
    for old in CACHE.glob(f"console-{events}-{seed}*"):
        old.unlink()
    tmp = path.with_suffix(".building")
    print(f"  building {path.name} (once)…", file=sys.stderr, flush=True)
    from connectors.jsonl import read_files
    from console.core.config import Config
    from console.core.pipeline_setup import build_ingestor
    from console.core.search import SearchIndex
    from console.core.store import Store

    store = Store.open(f"sqlite:///{tmp}")
    ingestor = build_ingestor(store, Config())
    for chunk in read_files([str(events_file(events, seed=seed))], ingestor.resume_of):
        ingestor.ingest(chunk)
    SearchIndex(store).catch_up()
    store.close()
    tmp.rename(path)
    return path


def _schema_ddl() -> str:
    """The tables and indexes as SQLite creates them: what the cached store's name must follow."""
    from console.core.schema_ddl import DDL

    return "\n".join(DDL["sqlite"])


# -- the apps under test ---------------------------------------------------------------------------
def console_app(store, *, refresh_every_s: float | None = None):
    """The console as ``trustops console`` opens it (``open_console``: the dashboard's first
    look starts computing before the UI's modules load), with the dashboard first; "now" is the
    data's newest conversation (the store holds a past day)."""
    gc.disable()  # as open_console: the app turns the collector back on once its first frame is up
    from console.core.config import Config
    from console.core.kpi_engine import data_clock, start_first_look

    config = Config(environment="production")
    clock = data_clock(store)
    first = start_first_look(store, config, clock)

    import console.tui.app as app_module
    from console.tui.app import TrustopsApp
    from console.tui.data import StoreSource
    from console.tui.screens.dashboard import REFRESH_EVERY_S, DashboardScreen

    every = REFRESH_EVERY_S if refresh_every_s is None else refresh_every_s

    class Console(TrustopsApp):
        CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")

        def get_default_screen(self) -> DashboardScreen:
            return DashboardScreen(clock=clock, refresh_every_s=every, first_look=self.first_look)

    return Console(StoreSource(store), config, first_look=first)


def _serve_console(db: str) -> None:
    from console.core.store import Store

    console_app(Store.open(f"sqlite:///{db}", create=False)).run()


def _serve_hello() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Hello(App):
        def compose(self):
            yield Static(HELLO)

    Hello().run()


# -- 1 and 3: real processes in a pseudo-terminal ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class Start:
    seconds: float
    peak_rss_mb: float


def _start(args: list[str], marker: bytes, *, settle_s: float = 0.0, timeout_s: float = 60.0) -> Start:
    """Start ``args`` on a fresh pty; seconds until ``marker`` is on it; peak RSS after ``settle_s``."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1])}
    env.pop("TEXTUAL", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env,
                            start_new_session=True)  # fmt: skip
    os.close(slave)
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - t0 < timeout_s:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:
                    break
                seen = (seen + chunk)[-(1 << 20) :]
                if elapsed is None and marker in seen:
                    elapsed = time.perf_counter() - t0
                    settle_until = time.perf_counter() + settle_s
            if elapsed is not None and time.perf_counter() >= settle_until:
                break
            if proc.poll() is not None:
                break
        if elapsed is None:
            tail = seen[-400:].decode(errors="replace")
            raise RuntimeError(f"{args[-1]}: no first frame after {timeout_s:.0f} s: {tail!r}")
        return Start(elapsed, _peak_rss_mb(proc.pid))
    finally:
        _stop(proc, master)


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _stop(proc: subprocess.Popen, master: int) -> None:
    try:
        os.write(master, b"\x11")  # ctrl+q: quit as an operator would
        proc.wait(5)
    except (OSError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    finally:
        os.close(master)


def _compile_bytecode() -> None:
    """Both apps start from compiled bytecode, as an installed package does (pip compiles it at
    install). Run with ``PYTHONDONTWRITEBYTECODE`` set, the interpreter never caches it, and
    every start would compile each of this repository's modules changed since it last was:
    a measure of the compiler and of the last edit, not of the console."""
    import compileall

    for package in ("bench", "console", "connectors"):
        compileall.compile_dir(ROOT / package, quiet=2)


def first_paint(db: Path) -> tuple[list[Start], list[Start]]:
    _compile_bytecode()
    here = [sys.executable, "-m", "bench.bench_console"]
    hello = [_start([*here, "hello"], HELLO.encode()) for _ in range(STARTS)]
    console = [_start([*here, "serve", str(db)], READY, settle_s=1.5) for _ in range(STARTS)]
    return hello, console


# -- 2: live, headless, with traffic streaming in --------------------------------------------------
def _stream_lines(store, seconds: float) -> list[bytes]:
    """The fleet's traffic after the store's newest conversation, enough for ``seconds``."""
    from connectors.fleet import generate

    newest = int(store.scalar("SELECT max(started_ms) FROM conversations") or 0)
    start = datetime.fromtimestamp(newest / 1000 + 1, UTC)
    want = int(STREAM_EVENTS_PER_S * seconds)
    lines = []
    # As many conversations a second as make 2,000 events/s, so simulated time keeps pace with
    # the wall clock (the windows slide as they would in production); endless, cut at ``want``.
    per_s = STREAM_EVENTS_PER_S / EVENTS_PER_CONVERSATION
    for event in generate("game-day", SEED + 1, start, arrivals_per_s=per_s):
        lines.append(orjson.dumps(event))
        if len(lines) >= want:
            break
    return lines


def _streamer(store, lines: list[bytes], stop: threading.Event) -> _Stream:
    """2,000 events/s appended to an audit log in 10 batches a second (once started), and the
    console's live ingest tailing it into the store, started now (a process of its own, started
    before the console, as ``trustops console`` runs it)."""
    from connectors.live_ingest import LiveIngest
    from console.core.config import Config

    log = Path(store.url.removeprefix("sqlite:///")).with_name("stream.jsonl")
    log.touch()
    live = LiveIngest(store, Config(), [str(log)], poll_ms=50).start()
    per_batch = STREAM_EVENTS_PER_S // 10

    def run() -> None:
        t0 = time.perf_counter()
        with open(log, "ab") as fh:
            for i in range(0, len(lines), per_batch):
                if stop.is_set():
                    return
                fh.write(b"".join(line + b"\n" for line in lines[i : i + per_batch]))
                fh.flush()
                delay = t0 + (i + per_batch) / STREAM_EVENTS_PER_S - time.perf_counter()
                if delay > 0:
                    stop.wait(delay)

    return _Stream(live, threading.Thread(target=run, name="bench-stream", daemon=True), len(lines))


@dataclass(slots=True)
class _Stream:
    live: Any  # connectors.live_ingest.LiveIngest
    writer: threading.Thread
    events: int

    def start(self) -> None:
        self.writer.start()

    def is_alive(self) -> bool:
        """Still writing, or still ingesting what was written."""
        status = self.live.status()
        return self.writer.is_alive() or (status.running and status.stored < self.events)

    def join(self, timeout: float) -> None:
        self.writer.join(timeout)
        self.live.stop(timeout)


async def _live(store, lines: list[bytes]) -> tuple[float, list[float], int]:
    from console.tui.widgets.kpi_pane import KpiPane

    stop = threading.Event()
    streamer = _streamer(store, lines, stop)  # its live ingest starts before the console, as in use
    app = console_app(store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        while screen.refreshes == 0:
            await pilot.pause(0.05)
        await pilot.pause(1.0)  # the first snapshot's baselines
        refreshes = screen.refreshes
        t0 = time.perf_counter()
        streamer.start()
        latencies = []
        pane = screen.query_one("#pane-complaint_rate", KpiPane)
        frames = _frames(app, pane)
        for i in range(KEY_PRESSES):
            await asyncio.sleep(STREAM_SECONDS / KEY_PRESSES / 2)
            before = pane.paints
            start = time.perf_counter()
            # The press runs as a task: Pilot then waits for every widget to go idle, which is
            # the test harness's business, not what the operator sees.
            press = asyncio.create_task(pilot.press("123"[i % 3]))
            shown = None
            while shown is None and time.perf_counter() - start < 2:
                await asyncio.sleep(0.001)
                shown = next((t for t, paints in reversed(frames) if t > start and paints != before), None)
            latencies.append(((shown or time.perf_counter()) - start) * 1000)
            await press
        while streamer.is_alive() and time.perf_counter() - t0 < STREAM_SECONDS * 2:
            await pilot.pause(0.1)
        seconds = time.perf_counter() - t0
        rate = (screen.refreshes - refreshes) / seconds
        stop.set()
        streamer.join(5)
    return rate, latencies, len(lines)


def _frames(app, pane) -> list[tuple[float, int]]:
    """When each frame was handed to the terminal driver (the end of a screen update), with the
    pane's repaint count at that moment."""
    frames: list[tuple[float, int]] = []
    display = app._display

    def timed(screen, renderable) -> None:
        display(screen, renderable)
        frames.append((time.perf_counter(), pane.paints))

    app._display = timed
    return frames


def live(db: Path, *, stream: bool = True) -> tuple[float, list[float], int]:
    """(snapshots applied per second, key-to-screen latencies in ms, events streamed), with
    traffic streaming in or (the baseline) with none; each in a process of its own, as a
    console runs."""
    args = [sys.executable, "-m", "bench.bench_console", "live", str(db), "stream" if stream else "idle"]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    rate, latencies, streamed = json.loads(out.stdout.strip().splitlines()[-1])
    return rate, latencies, streamed


def _live_here(db: Path, stream: bool) -> tuple[float, list[float], int]:
    from console.core.store import Store

    with tempfile.TemporaryDirectory(prefix="trustops-bench-console-") as d:
        copy = Path(d) / "store.db"
        shutil.copy(db, copy)
        store = Store.open(f"sqlite:///{copy}", create=False)
        try:
            lines = _stream_lines(store, STREAM_SECONDS) if stream else []
            return asyncio.run(_live(store, lines))
        finally:
            store.close()


# -- the table -------------------------------------------------------------------------------------
def run() -> list[Row]:
    db = console_store()
    hello, console = first_paint(db)
    hello_s = statistics.median(s.seconds for s in hello)
    paint_s = statistics.median(s.seconds for s in console)
    rss = max(s.peak_rss_mb for s in console)
    hello_rss = max(s.peak_rss_mb for s in hello)
    rate, latencies, streamed = live(db)
    idle_rate, idle_latencies, _ = live(db, stream=False)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    idle_p95 = statistics.quantiles(idle_latencies, n=20)[-1]
    ratio_ok = paint_s <= FIRST_PAINT_TARGET_RATIO * hello_s
    return [
        Row(f"console: first painted dashboard ({EVENTS:,}-event store, pty {SIZE[0]}x{SIZE[1]})", paint_s * 1000,
            "ms", "hello-world Textual app", hello_s * 1000,
            target=f"≤ {FIRST_PAINT_TARGET_S * 1000:,.0f} ms and ≤ {FIRST_PAINT_TARGET_RATIO:g}× hello world",
            ok=paint_s <= FIRST_PAINT_TARGET_S and ratio_ok),
        Row(f"console: pane refreshes while {STREAM_EVENTS_PER_S:,} events/s stream in ({streamed:,} events)", rate,
            "/s", "same, nothing streaming", idle_rate, higher_is_better=True,
            target=f"≥ {REFRESH_TARGET_PER_S:g}/s", ok=rate >= REFRESH_TARGET_PER_S),
        Row("console: window key to repaint, while streaming", p95, "ms p95", "same, nothing streaming", idle_p95,
            target=f"≤ {KEY_TARGET_MS:.0f} ms", ok=p95 <= KEY_TARGET_MS),
        Row(f"console: peak RSS on the {EVENTS:,}-event store", rss, "MB", "hello-world Textual app", hello_rss,
            target=f"≤ {RSS_TARGET_MB:.0f} MB", ok=rss <= RSS_TARGET_MB),
    ]  # fmt: skip


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "serve":
        _serve_console(sys.argv[2])
    elif command == "hello":
        _serve_hello()
    elif command == "live":
        print(json.dumps(_live_here(Path(sys.argv[2]), sys.argv[3] == "stream")))
    elif command == "build":
        print(console_store())
    else:
        from bench.table import render

        print(render(run()))
