"""The console's live ingest: a process of its own tailing real files into a real store (a
thread for an in-memory store), its counters and errors as the console reads them."""

from __future__ import annotations

import os
import signal
import threading
import time

from connectors.live_ingest import LiveIngest
from console.core.config import Config
from console.core.store import Store
from tests import eventgen


def _wait(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _append(path, lines: list[bytes]) -> None:
    with open(path, "ab") as fh:
        fh.write(b"".join(line + b"\n" for line in lines))


def test_a_process_of_its_own_tails_the_file_into_the_store(store, tmp_path) -> None:
    log = tmp_path / "audit.jsonl"
    lines = list(eventgen.lines(600))
    _append(log, lines[:400])
    live = LiveIngest(store, Config(), [str(log)], poll_ms=50).start()
    try:
        _wait(lambda: live.status().stored == 400)
        first = live.status()
        assert first.running and first.error is None and first.last_chunk_at is not None
        assert first.rejected == 0 and first.duplicates == 0
        _append(log, [*lines[400:], b"{not json", lines[0]])  # one bad line, one repeat
        _wait(lambda: live.status().stored == 600 and live.status().rejected == 1)
        assert live.status().duplicates == 1
        # Not this process's threads: the ingest runs elsewhere, and writes through its own connection.
        assert all(t.name != "trustops-live-ingest" for t in threading.enumerate())
        assert store.scalar("SELECT count(*) FROM events") == 600
    finally:
        live.stop()
    stopped = live.status()
    assert not stopped.running and stopped.error is None, "asked to stop is not an error"


def test_an_ingest_process_that_dies_is_reported_as_such(tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    log = tmp_path / "audit.jsonl"
    eventgen.write(log, 50)
    live = LiveIngest(store, Config(), [str(log)], poll_ms=50).start()
    try:
        _wait(lambda: live.status().stored == 50)
        os.kill(live._process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        _wait(lambda: not live.status().running)
        status = live.status()
        assert status.error == "the live ingest process was killed by signal 9"
        assert status.stored == 50, "what it stored is still counted"
    finally:
        live.stop()
        store.close()


def test_a_failing_store_is_the_error_shown(tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    log = tmp_path / "audit.jsonl"
    eventgen.write(log, 20)
    (tmp_path / "store.db").unlink()  # the ingest process opens the store without creating it
    live = LiveIngest(store, Config(), [str(log)], poll_ms=50).start()
    try:
        _wait(lambda: not live.status().running)
        error = live.status().error
        assert error is not None and "store" in error and "store.db" in error, error
    finally:
        live.stop()
        store.close()


def test_the_console_process_ending_ends_the_ingest_process(tmp_path) -> None:
    """However the console ends (here: killed), its ingest process does not outlive it."""
    import subprocess
    import sys

    log = tmp_path / "audit.jsonl"
    eventgen.write(log, 10)
    script = (
        "import sys, time\n"
        "from connectors.live_ingest import LiveIngest\n"
        "from console.core.config import Config\n"
        "from console.core.store import Store\n"
        "if __name__ == '__main__':\n"
        f"    store = Store.open('sqlite:///{tmp_path / 'store.db'}')\n"
        f"    live = LiveIngest(store, Config(), [{str(log)!r}], poll_ms=50).start()\n"
        "    while live.status().stored < 10: time.sleep(0.05)\n"
        "    print(live._process.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    console = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(console.stdout.readline())  # type: ignore[union-attr]
        os.kill(console.pid, signal.SIGKILL)
        console.wait(10)
        _wait(lambda: not _alive(child), timeout_s=10)
    finally:
        console.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_an_in_memory_store_is_fed_by_a_thread(tmp_path) -> None:
    store = Store.open("sqlite:///:memory:")
    log = tmp_path / "audit.jsonl"
    eventgen.write(log, 30)
    live = LiveIngest(store, Config(), [str(log)], poll_ms=50).start()
    try:
        _wait(lambda: live.status().stored == 30)
        assert store.scalar("SELECT count(*) FROM events") == 30
        assert any(t.name == "trustops-live-ingest" for t in threading.enumerate())
    finally:
        live.stop()
    assert not live.status().running
