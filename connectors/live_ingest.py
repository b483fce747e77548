"""Continuous ingest beside the console: what the demo and the console run while you watch.

The configured JSONL files are tailed into the store by a process of its own, so the console's
UI never waits for the ingest's Python (parsing, detectors and roll-ups hold the interpreter
lock: in the console's own process, a window key took twice as long while 2,000 events/s
streamed in; `make bench`). A store that lives only in this process (in-memory SQLite) is fed by
a thread instead: no other process can reach it.

The console's header reads a few facts: events stored so far, when the last chunk landed, the
last error (shown, never raised into the UI). They sit in a small shared page the ingest
process writes after every chunk (nothing to drain, so a console that does not look never holds
the ingest up); the console asks it to stop through the same page. The process is started
plainly (``python -m connectors.live_ingest``, its settings on its standard input, where no
``ps`` shows the store's password), not through multiprocessing: it needs nothing from the
console's own state, and a UI that has replaced the standard streams can start it. It ends with
the console, however the console ends.
"""

from __future__ import annotations

import mmap
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from connectors.jsonl import follow_files
from console.core.config import Config
from console.core.events import DEFAULT_MAX_LINE_BYTES
from console.core.lifeline import die_with_parent
from console.core.pipeline_setup import build_ingestor
from console.core.store import Store

PAGE = 4096
_COUNTS = struct.Struct("<4d")  # stored, rejected, duplicates, wall clock of the last chunk
_COUNTS_AT = 8
_ERROR_AT = _COUNTS_AT + _COUNTS.size  # a 4-byte length, then the error's UTF-8
_ERROR_MAX = PAGE - _ERROR_AT - 4


@dataclass(slots=True)
class IngestStatus:
    running: bool
    stored: int
    rejected: int
    duplicates: int
    last_chunk_at: float | None  # wall clock (time.time) of the last stored chunk
    error: str | None


class SharedStatus:
    """The page the ingest and the console share: a stop flag, the counters, the error."""

    def __init__(self, buf: mmap.mmap | bytearray) -> None:
        self.buf = buf

    def is_set(self) -> bool:
        """Asked to stop (an Event's ``is_set``: the file watcher polls it)."""
        return self.buf[0] == 1

    def set(self) -> None:
        self.buf[0] = 1

    def write_counts(self, stored: int, rejected: int, duplicates: int) -> None:
        _COUNTS.pack_into(self.buf, _COUNTS_AT, stored, rejected, duplicates, time.time())

    def counts(self) -> tuple[int, int, int, float | None]:
        stored, rejected, duplicates, last = _COUNTS.unpack_from(self.buf, _COUNTS_AT)
        return int(stored), int(rejected), int(duplicates), last or None

    def write_error(self, error: str) -> None:
        data = error.encode("utf-8", "replace")[:_ERROR_MAX]
        self.buf[_ERROR_AT + 4 : _ERROR_AT + 4 + len(data)] = data
        struct.pack_into("<I", self.buf, _ERROR_AT, len(data))

    def error(self) -> str | None:
        (n,) = struct.unpack_from("<I", self.buf, _ERROR_AT)
        return bytes(self.buf[_ERROR_AT + 4 : _ERROR_AT + 4 + n]).decode("utf-8", "replace") if n else None


class LiveIngest:
    def __init__(self, store: Store, cfg: Config, paths: list[str], *, poll_ms: int = 250) -> None:
        self.paths = paths
        self.cfg = cfg
        self.poll_ms = poll_ms
        self._store = store
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        # An in-memory store is reachable from this process only: the ingest is a thread here.
        self._in_process = store.db.in_memory
        self._page: int | None = None  # the shared page's file descriptor (a file already unlinked)
        if self._in_process:
            self._shared = SharedStatus(bytearray(PAGE))
        else:
            self._page, path = tempfile.mkstemp(prefix="trustops-live-", suffix=".status")
            os.unlink(path)
            os.ftruncate(self._page, PAGE)
            self._shared = SharedStatus(mmap.mmap(self._page, PAGE))

    def start(self) -> LiveIngest:
        if self._in_process:
            self._thread = threading.Thread(target=self._tail_here, name="trustops-live-ingest", daemon=True)
            self._thread.start()
            return self
        settings = pickle.dumps(
            (os.getpid(), self._page, self._store.url, self.paths, self.cfg, self.poll_ms)
        )
        self._process = subprocess.Popen(
            [sys.executable, "-m", "connectors.live_ingest"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # it reports through the shared page; the terminal is the UI's
            pass_fds=(self._page,),
        )
        os.close(self._page)  # the child has its copy; the mapping here keeps the page
        self._page = None
        assert self._process.stdin is not None
        with suppress(BrokenPipeError):  # it died at once: status() says how
            self._process.stdin.write(settings)
            self._process.stdin.close()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._shared.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:  # stuck: each chunk is one transaction, nothing is half-written
                self._process.kill()
                self._process.wait(5)

    def status(self) -> IngestStatus:
        stored, rejected, duplicates, last = self._shared.counts()
        error = self._shared.error()
        if self._process is not None:
            code = self._process.poll()
            running = code is None
            if error is None and code is not None and (code != 0 or not self._shared.is_set()):
                how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
                error = f"the live ingest process {how}"
        else:
            running = self._thread is not None and self._thread.is_alive()
        return IngestStatus(running, stored, rejected, duplicates, last, error)

    def _tail_here(self) -> None:
        try:
            tail(self._store, self.paths, self.cfg, self.poll_ms, self._shared)
        except Exception as exc:  # reported; the UI shows it
            self._shared.write_error(f"{type(exc).__name__}: {exc}")


def tail(store: Store, paths: list[str], cfg: Config, poll_ms: int, shared: SharedStatus) -> None:
    """Tail ``paths`` into ``store`` until asked to stop through ``shared``."""
    ingestor = build_ingestor(store, cfg)
    limit = cfg.max_line_bytes or DEFAULT_MAX_LINE_BYTES
    for chunk in follow_files(paths, ingestor.resume_of, shared, max_line_bytes=limit, poll_ms=poll_ms):  # type: ignore[arg-type]
        ingestor.ingest(chunk)
        s = ingestor.stats
        shared.write_counts(s.stored, s.rejected, s.duplicates)


def _main() -> int:
    """The ingest process: its settings come on standard input (see :meth:`LiveIngest.start`)."""
    parent, page, store_url, paths, cfg, poll_ms = pickle.loads(sys.stdin.buffer.read())
    die_with_parent(parent)
    # The console decides when this process stops (a Ctrl-C in its terminal reaches the whole
    # process group): each chunk is one transaction, so being killed loses nothing either.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    shared = SharedStatus(mmap.mmap(page, PAGE))
    try:
        store = Store.open(store_url, create=False)
        try:
            tail(store, paths, cfg, poll_ms, shared)
        finally:
            store.close()
    except Exception as exc:
        shared.write_error(f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
