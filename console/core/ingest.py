"""The ingest pipeline: chunks of raw lines in, validated events, findings and roll-ups stored.

Each chunk is one transaction (events, findings, conversation rows, rejects, file offset), so a
restart from the saved offset ends with exactly the store an uninterrupted run would have.
Idempotent on event id: ids already stored, or repeated within the chunk, count as duplicates.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Protocol

from console.core.bulk_runtime import bulk_runtime, collecting, usable_cpus
from console.core.events import BOM, Event, EventError, parse_line
from console.core.findings import Finding
from console.core.rollup import roll_up, roll_up_findings
from console.core.scanning import (
    ConversationScanner,
    Scanner,
    ScanProcess,
    ScanProcessError,
    can_fork_scanner,
)
from console.core.store import Batch, Store


class LineChunk(Protocol):
    path: str
    first_line: int
    lines: list[bytes | None]
    end_offset: int
    fingerprint: str
    generation: int


@dataclass(slots=True)
class Reject:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(slots=True)
class IngestStats:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    findings: int = 0
    lines: int = 0
    files: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "findings": self.findings,
            "lines": self.lines,
            "files": self.files,
        }


class Ingestor:
    """Feeds chunks into a store. One instance per writer; not thread-safe."""

    def __init__(
        self,
        store: Store,
        *,
        detectors: Scanner | None = None,
        redact: Callable[[dict, list[Finding]], dict] | None = None,
        on_reject: Callable[[Reject], None] | None = None,
        max_line_bytes: int | None = None,
        scan_process: bool | None = None,
    ) -> None:
        self.store = store
        self.detectors = detectors
        self.redact = redact
        self.on_reject = on_reject
        self.max_line_bytes = max_line_bytes
        self.stats = IngestStats()
        self._scanner = ConversationScanner(detectors, store) if detectors is not None else None
        # run() scans in a process of its own when it has a core to itself (None: decide then)
        self.scan_process = scan_process
        self._seq = 0

    def resume_of(self, path: str) -> tuple[int, int, str] | None:
        return self.store.offset(path)

    def run(self, chunks: Iterable[LineChunk], *, stop: threading.Event | None = None) -> IngestStats:
        """Ingest every chunk, in order: the bulk path (and ``--follow``).

        With two cores or more, the stages work at once: this thread reads, parses and rolls up
        chunk *n + 1* and builds most of what the store binds; a detector process scans chunk
        *n*, when there is a core for it (else this thread scans); a thread adds the findings to
        chunk *n - 1* as soon as they are in; a writer thread stores chunk *n - 2*, doing little
        but the database's work. On one core, each chunk goes through the stages in turn, here.
        At most one chunk waits between stages, so memory stays flat. Each chunk is still one
        transaction, written in order, so a crash leaves the store as :meth:`ingest` would.

        ``stop`` is set when a write fails, for a source that waits for more (``--follow``) to
        end: the error is raised when the chunks run out (on one core, at once).
        """
        chunks = collecting(chunks)
        with bulk_runtime():
            process = self._start_scan_process()  # forked before any thread starts
            if process is None and usable_cpus() < 2:
                # One core: stages in threads would only take turns on it, handing the
                # interpreter lock to one another, which costs time of its own.
                try:
                    for chunk in chunks:
                        self.ingest(chunk)
                except BaseException:
                    if stop is not None:
                        stop.set()
                    raise
                return self.stats

            def failed() -> None:
                if process is not None:
                    process.abort()  # it may be waiting for the write that failed
                if stop is not None:
                    stop.set()

            # Written chunks are freed by this thread, not the writer's: freeing a chunk's
            # objects holds the GIL for milliseconds, and CPU added to the writer lengthens a
            # run by about as much, more than anywhere but the findings thread (`python -m
            # bench.pacing`). While a followed file is quiet, the last chunk written waits here
            # to be freed until the next one comes.
            written: deque[_Prepared] = deque()
            try:
                with _Stage(
                    self._write,
                    "writer",
                    on_done=process.committed if process else None,
                    on_failed=failed,
                    retire=written.append,
                ) as writer:
                    if process is None:
                        for chunk in chunks:
                            written.clear()
                            writer.submit(self._scan_here(self._parse_chunk(chunk), writer.drain))
                    else:

                        def finish(prep: _Prepared) -> None:
                            try:
                                found = process.result(prep.seq)
                            except Exception:
                                writer.check()  # a failed write stopped the process: that is the error
                                raise
                            writer.submit(self._finish(prep, found))

                        with _Stage(finish, "findings", on_failed=failed) as finisher:
                            for chunk in chunks:
                                written.clear()
                                prep = self._parse_chunk(chunk)
                                try:
                                    process.submit(prep.seq, prep.events)
                                except ScanProcessError:
                                    writer.check()  # as in finish
                                    finisher.check()
                                    raise
                                finisher.submit(prep)
            except BaseException:
                if process is not None:
                    process.abort()
                raise
            finally:
                if process is not None:
                    process.close()
                    self._scanner.forget()  # type: ignore[union-attr]  # its state was the child's
        return self.stats

    def ingest(self, chunk: LineChunk) -> None:
        """Ingest one chunk now (the live path: the chunk is in the store when this returns)."""
        self._write(self._scan_here(self._parse_chunk(chunk)))

    def _scan_here(self, prep: _Prepared, before_store_read: Callable[[], None] | None = None) -> _Prepared:
        """Scan a parsed chunk in this thread and add the findings."""
        scanner = self._scanner
        return self._finish(
            prep, scanner.scan_chunk(scanner.items(prep.events), before_store_read) if scanner else {}
        )

    def _start_scan_process(self) -> ScanProcess | None:
        if self._scanner is None or not self._scanner.typed:  # a process gets typed events only
            return None
        wanted = self.scan_process
        if wanted is None:
            wanted = can_fork_scanner() and not self.store.db.in_memory
        return ScanProcess(self._scanner, self.store, committed=self._seq) if wanted else None

    def _parse_chunk(self, chunk: LineChunk) -> _Prepared:
        """Parse a chunk, roll its events up (as if every one were new) and build the inserts'
        parameters: everything that does not wait for the detectors. (Work done here delays the
        writer less than work in the findings thread, whose Python holds the interpreter lock
        the writer needs between statements: `python -m bench.pacing`.)"""
        batch = Batch()
        events, repeats = self._parse(chunk, batch)
        roll_up(batch, events)
        self._seq += 1
        return _Prepared(
            self._seq,
            chunk,
            batch,
            events,
            len(events) + repeats,
            {},
            self.store.event_params(events),
            self.store.rollup_params(batch),
        )

    def _finish(self, prep: _Prepared, found: dict[int, list[Finding]]) -> _Prepared:
        """Add a chunk's findings: redaction (then the events' stored bodies change) and what the
        findings add to the roll-ups. What is left for :meth:`_write` is the database's work."""
        prep.found = found
        if found and self.redact is not None:
            for i, findings in found.items():
                ev = prep.events[i]
                ev.data = self.redact(ev.data, findings)  # the raw values never reach the store
                self.store.event_params_update(prep.params, i, ev)
        changed = roll_up_findings(prep.batch, prep.events, found)
        self.store.add_finding_params(prep.batch_params, prep.batch, changed)
        return prep

    def _write(self, prep: _Prepared) -> None:
        """Store a prepared chunk in one transaction: the new events, and what goes with them."""
        batch, events = prep.batch, prep.events
        with self.store.transaction() as conn:
            inserted = self.store.insert_events(conn, events, prep.params) if events else None
            if inserted is not None:
                # Some were stored before (a rerun over the same lines): count only the new ones.
                batch.findings.clear()
                batch.conversations.clear()
                batch.latency.clear()
                roll_up(batch, events, inserted)
                roll_up_findings(batch, events, prep.found, inserted)
            self.store.write_batch(conn, batch, prep.batch_params if inserted is None else None)
        stored = len(events) if inserted is None else len(inserted)
        self._count(prep.chunk, batch, stored, prep.valid - stored)

    def _parse(self, chunk: LineChunk, batch: Batch) -> tuple[list[Event], int]:
        """Valid events of the chunk, first occurrence of each id, and how many ids repeated
        within the chunk; rejects go into the batch."""
        seen: set[str] = set()
        events: list[Event] = []
        repeats = 0
        path, first, gen = chunk.path, chunk.first_line, chunk.generation
        for i, line in enumerate(chunk.lines):
            if line is None:
                batch.rejects.append(
                    (path, gen, first + i, f"line longer than the {_size(self.max_line_bytes)} limit")
                )
                continue
            if not line or line.isspace() or line == BOM:
                continue  # a blank line carries no event
            try:
                ev = parse_line(line)
            except EventError as exc:
                batch.rejects.append((path, gen, first + i, str(exc)))
                continue
            if ev.id in seen:
                repeats += 1
            else:
                seen.add(ev.id)
                events.append(ev)
        batch.offsets[path] = (chunk.end_offset, first - 1 + len(chunk.lines), chunk.fingerprint, gen)
        return events, repeats

    def _count(self, chunk: LineChunk, batch: Batch, stored: int, dupes: int) -> None:
        s = self.stats
        per = s.files.setdefault(chunk.path, {"stored": 0, "duplicates": 0, "rejected": 0, "lines": 0})
        for key, n in (("stored", stored), ("duplicates", dupes), ("rejected", len(batch.rejects))):
            per[key] += n
        per["lines"] += len(chunk.lines)
        s.stored += stored
        s.duplicates += dupes
        s.rejected += len(batch.rejects)
        s.findings += sum(map(len, map(itemgetter(1), batch.findings)))
        s.lines += len(chunk.lines)
        if self.on_reject is not None:
            for path, _gen, line, reason in batch.rejects:
                self.on_reject(Reject(path, line, reason))


@dataclass(slots=True)
class _Prepared:
    seq: int  # chunks of this ingestor, numbered from 1
    chunk: LineChunk
    batch: Batch
    events: list[Event]  # valid, first occurrence of each id in the chunk
    valid: int  # valid lines, repeats within the chunk included
    found: dict[int, list[Finding]]
    params: list  # the events' insert parameters (see Store.event_params)
    batch_params: dict[str, list]  # the rest's (Store.rollup_params, then add_finding_params)


class _Stage:
    """A thread that handles prepared chunks in order, one waiting at most (memory stays flat).
    An error is raised in the submitting thread, at the next submit or at the end; after one,
    nothing later is handled."""

    def __init__(
        self,
        handle: Callable[[_Prepared], None],
        name: str,
        on_done: Callable[[int], None] | None = None,
        on_failed: Callable[[], None] | None = None,
        retire: Callable[[_Prepared], None] | None = None,
    ) -> None:
        self._handle = handle
        self._on_done = on_done
        self._on_failed = on_failed
        self._retire = retire  # takes each handled chunk, to free it elsewhere (else freed here)
        self._queue: queue.Queue[_Prepared | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name=f"trustops-ingest-{name}", daemon=True)

    def __enter__(self) -> _Stage:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if exc_info[0] is None:
            self.check()

    def submit(self, prep: _Prepared) -> None:
        self.check()
        self._queue.put(prep)

    def drain(self) -> None:
        """Wait until every submitted chunk is handled."""
        self._queue.join()
        self.check()

    def check(self) -> None:
        """Raise the error a chunk failed with, if one did."""
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        while True:
            prep = self._queue.get()
            try:
                if prep is None:
                    return
                if self._error is None:
                    self._handle(prep)
                    if self._on_done is not None:
                        self._on_done(prep.seq)
            except BaseException as exc:  # handed to the submitting thread
                self._error = exc
                if self._on_failed is not None:
                    self._on_failed()
            finally:
                if self._retire is not None and prep is not None:
                    self._retire(prep)
                prep = None
                self._queue.task_done()


def _size(n: int | None) -> str:
    if n is None:
        return "line-size"
    return f"{n // (1 << 20)} MiB" if n % (1 << 20) == 0 else f"{n} byte"
