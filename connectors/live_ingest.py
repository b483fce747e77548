"""Continuous ingest in a background thread: what the demo and the console run while you watch.

The thread tails the configured JSONL files into the store and keeps a few facts for the
console's header: events stored so far, when the last chunk landed, the newest event time, and
the last error (shown, never raised into the UI).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from connectors.jsonl import follow_files
from console.core.config import Config
from console.core.events import DEFAULT_MAX_LINE_BYTES
from console.core.ingest import Ingestor
from console.core.pipeline_setup import build_ingestor
from console.core.store import Store


@dataclass(slots=True)
class IngestStatus:
    running: bool
    stored: int
    rejected: int
    duplicates: int
    last_chunk_at: float | None  # wall clock (time.time) of the last stored chunk
    error: str | None


class LiveIngest:
    def __init__(self, store: Store, cfg: Config, paths: list[str], *, poll_ms: int = 250) -> None:
        self.paths = paths
        self.cfg = cfg
        self.poll_ms = poll_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_chunk_at: float | None = None
        self._error: str | None = None
        self.ingestor: Ingestor = build_ingestor(store, cfg)

    def start(self) -> LiveIngest:
        self._thread = threading.Thread(target=self._run, name="trustops-live-ingest", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def status(self) -> IngestStatus:
        s = self.ingestor.stats
        alive = self._thread is not None and self._thread.is_alive()
        return IngestStatus(alive, s.stored, s.rejected, s.duplicates, self._last_chunk_at, self._error)

    def _run(self) -> None:
        limit = self.cfg.max_line_bytes or DEFAULT_MAX_LINE_BYTES
        try:
            chunks = follow_files(
                self.paths, self.ingestor.resume_of, self._stop, max_line_bytes=limit, poll_ms=self.poll_ms
            )
            for chunk in chunks:
                self.ingestor.ingest(chunk)
                self._last_chunk_at = time.time()
        except Exception as exc:  # the thread reports; the UI shows it
            self._error = f"{type(exc).__name__}: {exc}"
