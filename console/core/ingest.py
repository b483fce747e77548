"""The ingest pipeline: chunks of raw lines in, validated events, findings and roll-ups stored.

Each chunk is one transaction (events, findings, conversation rows, rejects, file offset), so a
restart from the saved offset ends with exactly the store an uninterrupted run would have.
Idempotent on event id: ids already stored, or repeated within the chunk, count as duplicates.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from console.core.events import BOM, Event, EventError, parse_line
from console.core.findings import ConversationContext, Finding
from console.core.kpi_latency import add_latency
from console.core.rollup import add_event
from console.core.store import Batch, ConversationDelta, Store

CONTEXT_CACHE = 50_000  # conversations whose detector state is kept between chunks
GC_YOUNG_THRESHOLD = 50_000  # allocations between young-generation collections, during run()
SWITCH_INTERVAL_S = 0.0005  # the GIL switch interval during run() (Python's default: 0.005)


class LineChunk(Protocol):
    path: str
    first_line: int
    lines: list[bytes | None]
    end_offset: int
    fingerprint: str
    generation: int


class Scanner(Protocol):
    def scan(self, event: dict, ctx: ConversationContext | None) -> list[Finding]: ...


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
    ) -> None:
        self.store = store
        self.detectors = detectors
        self.redact = redact
        self.on_reject = on_reject
        self.max_line_bytes = max_line_bytes
        self.stats = IngestStats()
        self._contexts: OrderedDict[str, ConversationContext] = OrderedDict()
        # a scanner that can tell from the typed event that it would find nothing spares
        # decoding the event's JSON into a dict (most events)
        self._may_find = getattr(detectors, "may_find", None)

    def resume_of(self, path: str) -> tuple[int, int, str] | None:
        return self.store.offset(path)

    def run(self, chunks: Iterable[LineChunk]) -> IngestStats:
        """Ingest every chunk, in order. Bulk path: each chunk is written by a writer thread while
        the next one is parsed and scanned, so the database's own work (which runs without the
        GIL) overlaps the Python work; at most one chunk waits. Each chunk is still one
        transaction, written in order, so a crash leaves the store as :meth:`ingest` would."""
        with _bulk_runtime(), _Writer(self._write) as writer:
            for chunk in chunks:
                writer.submit(self._prepare(chunk, before_store_read=writer.drain))
        return self.stats

    def ingest(self, chunk: LineChunk) -> None:
        """Ingest one chunk now (the live path: the chunk is in the store when this returns)."""
        self._write(self._prepare(chunk))

    def _prepare(self, chunk: LineChunk, before_store_read: Callable[[], None] | None = None) -> _Prepared:
        """Everything Python does for a chunk: parse, scan, roll up (as if every event were new)
        and the insert's parameters. What is left for :meth:`_write` is the database's work."""
        batch = Batch()
        events, repeats = self._parse(chunk, batch)
        found: dict[int, list[Finding]] = {}  # event index → its findings, for the few that have any
        if self.detectors is not None:
            self._load_contexts(events, before_store_read)
            for i, ev in enumerate(events):
                if findings := self._scan(ev):
                    found[i] = findings
            # Forget the least recently used conversations between chunks, never inside one:
            # the chunk's own were all loaded before it was scanned.
            contexts = self._contexts
            while len(contexts) > CONTEXT_CACHE:
                contexts.popitem(last=False)
        _roll_up(batch, events, found, None)
        params = self.store.event_params(events)
        return _Prepared(chunk, batch, events, len(events) + repeats, found, params)

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
                _roll_up(batch, events, prep.found, inserted)
            self.store.write_batch(conn, batch)
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

    def _scan(self, ev: Event) -> list[Finding]:
        """Run the detectors in conversation order (they keep per-conversation state)."""
        detectors = self.detectors
        assert detectors is not None
        cid = ev.conversation_id
        ctx = None
        if cid is not None:
            contexts = self._contexts
            ctx = contexts.get(cid)
            if ctx is None:
                ctx = contexts[cid] = ConversationContext(cid)
            else:
                contexts.move_to_end(cid)  # least recently used leaves first (see _prepare)
            if ev.type == "conversation.start":
                ctx.customer_id = ev.msg.customer_id
        may_find = self._may_find
        if may_find is not None and not may_find(ev.type, ev.msg, ctx):
            return []
        findings = detectors.scan(ev.data, ctx)
        if findings and self.redact is not None:
            ev.data = self.redact(ev.data, findings)  # the raw values never reach the store
        return findings

    def _load_contexts(self, events: list[Event], before_store_read: Callable[[], None] | None) -> None:
        """Bring back detector state for conversations begun before this process started."""
        started = {e.conversation_id for e in events if e.type == "conversation.start"}
        missing = list(
            {
                e.conversation_id
                for e in events
                if e.conversation_id is not None
                and e.conversation_id not in self._contexts
                and e.conversation_id not in started
            }
        )
        if not missing:
            return
        if before_store_read is not None:
            before_store_read()  # the chunks before this one must be in the store first
        for cid, (customer, supplied) in self.store.load_contexts(missing).items():
            self._contexts[cid] = ConversationContext(cid, customer, supplied)

    def _count(self, chunk: LineChunk, batch: Batch, stored: int, dupes: int) -> None:
        s = self.stats
        per = s.files.setdefault(chunk.path, {"stored": 0, "duplicates": 0, "rejected": 0, "lines": 0})
        for key, n in (("stored", stored), ("duplicates", dupes), ("rejected", len(batch.rejects))):
            per[key] += n
        per["lines"] += len(chunk.lines)
        s.stored += stored
        s.duplicates += dupes
        s.rejected += len(batch.rejects)
        s.findings += len(batch.findings)
        s.lines += len(chunk.lines)
        if self.on_reject is not None:
            for path, _gen, line, reason in batch.rejects:
                self.on_reject(Reject(path, line, reason))


@dataclass(slots=True)
class _Prepared:
    chunk: LineChunk
    batch: Batch
    events: list[Event]  # valid, first occurrence of each id in the chunk
    valid: int  # valid lines, repeats within the chunk included
    found: dict[int, list[Finding]]
    params: list  # the events' insert parameters (see Store.event_params)


def _roll_up(
    batch: Batch, events: list[Event], found: dict[int, list[Finding]], only: set[str] | None
) -> None:
    """Add the events (those with ids in ``only``, when given) and their findings to the
    batch's findings, conversation and latency roll-ups."""
    conversations = batch.conversations
    latency = batch.latency
    no_findings: tuple[Finding, ...] = ()
    for i, ev in enumerate(events):
        if only is not None and ev.id not in only:
            continue
        findings = found.get(i, no_findings)
        if findings:
            batch.findings.extend((ev, f) for f in findings)
        cid = ev.conversation_id
        if cid is not None:
            delta = conversations.get(cid)
            if delta is None:
                delta = conversations[cid] = ConversationDelta(cid, ev.ts_ms, ev.ts_ms)
            add_event(delta, ev, findings)
            if ev.type == "model.call":
                add_latency(latency, ev)


class _Writer:
    """A thread that writes prepared chunks in order, one waiting at most (memory stays flat).
    A write's error is raised in the submitting thread, at the next submit or at the end."""

    def __init__(self, write: Callable[[_Prepared], None]) -> None:
        self._write = write
        self._queue: queue.Queue[_Prepared | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="trustops-ingest-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if exc_info[0] is None:
            self._raise()

    def submit(self, prep: _Prepared) -> None:
        self._raise()
        self._queue.put(prep)

    def drain(self) -> None:
        """Wait until every submitted chunk is written."""
        self._queue.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        while True:
            prep = self._queue.get()
            try:
                if prep is None:
                    return
                if self._error is None:  # after a failure, nothing later is written
                    self._write(prep)
            except BaseException as exc:  # handed to the submitting thread
                self._error = exc
            finally:
                self._queue.task_done()


_bulk_lock = threading.Lock()
_bulk_users = 0
_bulk_before: tuple[tuple[int, ...], float] = ((), 0.0)


@contextmanager
def _bulk_runtime() -> Iterator[None]:
    """The interpreter tuned for a bulk ingest, process-wide (the first run in sets it, the last
    one out restores it):

    - fewer cyclic-GC passes: a chunk's objects live one chunk and form no cycles, but the
      default thresholds scan them again and again as they are promoted; the long-lived objects
      from before (imports, caches) are frozen out of the scans;
    - a shorter GIL switch interval: the writer thread wants the GIL back after every database
      step, and would otherwise wait up to 5 ms for the parsing thread to let go of it.
    """
    global _bulk_users, _bulk_before
    with _bulk_lock:
        if _bulk_users == 0:
            _bulk_before = (gc.get_threshold(), sys.getswitchinterval())
            gc.freeze()
            gc.set_threshold(GC_YOUNG_THRESHOLD, *_bulk_before[0][1:])
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        _bulk_users += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_users -= 1
            if _bulk_users == 0:
                gc.set_threshold(*_bulk_before[0])
                sys.setswitchinterval(_bulk_before[1])
                gc.unfreeze()


def _size(n: int | None) -> str:
    if n is None:
        return "line-size"
    return f"{n // (1 << 20)} MiB" if n % (1 << 20) == 0 else f"{n} byte"
