"""The ingest pipeline: chunks of raw lines in, validated events, findings and roll-ups stored.

Each chunk is one transaction (events, findings, conversation rows, rejects, file offset), so a
restart from the saved offset ends with exactly the store an uninterrupted run would have.
Idempotent on event id: ids already stored, or repeated within the chunk, count as duplicates.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from console.core.events import BOM, Event, EventError, parse_line
from console.core.findings import ConversationContext, Finding
from console.core.kpi_latency import add_latency
from console.core.rollup import add_event
from console.core.store import Batch, ConversationDelta, Store

CONTEXT_CACHE = 50_000


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
        for chunk in chunks:
            self.ingest(chunk)
        return self.stats

    def ingest(self, chunk: LineChunk) -> None:
        batch = Batch()
        events, repeats = self._parse(chunk, batch)
        dupes = len(events) + repeats
        found: dict[int, list[Finding]] = {}  # event index → its findings, for the few that have any
        if self.detectors is not None:
            self._load_contexts(events)
            for i, ev in enumerate(events):
                if findings := self._scan(ev):
                    found[i] = findings
        with self.store.transaction() as conn:
            inserted = self.store.insert_events(conn, events) if events else set()
            dupes -= len(inserted)
            conversations = batch.conversations
            latency = batch.latency
            no_findings: tuple[Finding, ...] = ()
            for i, ev in enumerate(events):
                if ev.id not in inserted:
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
            self.store.write_batch(conn, batch)
        self._count(chunk, batch, len(inserted), dupes)

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
                if len(contexts) > CONTEXT_CACHE:
                    contexts.popitem(last=False)
            if ev.type == "conversation.start":
                ctx.customer_id = ev.msg.customer_id
        may_find = self._may_find
        if may_find is not None and not may_find(ev.type, ev.msg, ctx):
            return []
        findings = detectors.scan(ev.data, ctx)
        if findings and self.redact is not None:
            ev.data = self.redact(ev.data, findings)  # the raw values never reach the store
        return findings

    def _load_contexts(self, events: list[Event]) -> None:
        """Bring back detector state for conversations begun before this process started."""
        if self.detectors is None:
            return
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


def _size(n: int | None) -> str:
    if n is None:
        return "line-size"
    return f"{n // (1 << 20)} MiB" if n % (1 << 20) == 0 else f"{n} byte"
