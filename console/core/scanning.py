"""Detectors over a chunk of events, in conversation order, with each conversation's state.

The detectors remember things per conversation (its customer, the PII the customer supplied).
A :class:`ConversationScanner` keeps that state for the conversations seen most recently and
reloads the others from the store. :class:`ScanProcess` runs one in a process of its own, beside
the ingest pipeline, so the detectors' Python work has a core to itself during a bulk ingest.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson

from console.core.events import Event, decode_valid
from console.core.findings import ConversationContext, Finding
from console.core.store import Store

CONTEXT_CACHE = 50_000  # conversations whose detector state is kept between chunks
Found = dict[int, list[Finding]]  # event index in the chunk -> its findings (only events with any)
Item = tuple[int, str, "str | None", Any]  # event index, type, conversation id, event (see scan_chunk)


class Scanner(Protocol):
    """Detectors. One with ``reads_typed_events = True`` is given the typed event and its type
    (``scan(ev.msg, ctx, ev.type)``); any other, the event's JSON object."""

    def scan(self, event: dict, ctx: ConversationContext | None) -> list[Finding]: ...


class ConversationScanner:
    """Runs detectors over chunks of events, keeping each conversation's state between them."""

    def __init__(self, detectors: Scanner, store: Store) -> None:
        self.detectors = detectors
        self.store = store
        # A scanner that reads typed events spares decoding each event's JSON into a dict.
        self.typed = getattr(detectors, "reads_typed_events", False)
        self._contexts: OrderedDict[str, ConversationContext] = OrderedDict()

    def scan_chunk(self, items: Sequence[Item], before_store_read: Callable[[], None] | None = None) -> Found:
        """Findings of a chunk's events, given as (index, type, conversation id, event) where the
        event is typed or its JSON object, as the detectors read it (:meth:`items`).
        ``before_store_read`` is called before state is reloaded from the store: the chunks
        before this one must be stored by the time it returns."""
        self._load_contexts(items, before_store_read)
        found: Found = {}
        for item in items:
            if findings := self._scan(item):
                found[item[0]] = findings
        # Forget the least recently used conversations between chunks, never inside one: the
        # chunk's own were all loaded before it was scanned.
        contexts = self._contexts
        while len(contexts) > CONTEXT_CACHE:
            contexts.popitem(last=False)
        return found

    def items(self, events: Sequence[Event]) -> list[Item]:
        """What :meth:`scan_chunk` takes, for a chunk's events."""
        if self.typed:
            return [(i, e.type, e.conversation_id, e.msg) for i, e in enumerate(events)]
        return [(i, e.type, e.conversation_id, e.data) for i, e in enumerate(events)]

    def forget(self) -> None:
        """Drop every conversation's state (it is reloaded from the store when next needed)."""
        self._contexts.clear()

    def _scan(self, item: Item) -> list[Finding]:
        _, event_type, cid, event = item
        ctx = None
        if cid is not None:
            contexts = self._contexts
            ctx = contexts.get(cid)
            if ctx is None:
                ctx = contexts[cid] = ConversationContext(cid)
            else:
                contexts.move_to_end(cid)  # least recently used leaves first
            if event_type == "conversation.start":
                ctx.customer_id = event.get("customer_id")
        if self.typed:
            return self.detectors.scan(event, ctx, event_type)  # type: ignore[call-arg]
        return self.detectors.scan(event, ctx)

    def _load_contexts(self, items: Sequence[Item], before_store_read: Callable[[], None] | None) -> None:
        """Bring back the state of conversations seen before (earlier runs, or evicted)."""
        contexts = self._contexts
        missing = {cid for _, _, cid, _ in items if cid is not None} - contexts.keys()
        if not missing:
            return
        missing -= {cid for _, t, cid, _ in items if t == "conversation.start"}
        if not missing:
            return
        if before_store_read is not None:
            before_store_read()
        for cid, (customer, supplied) in self.store.load_contexts(sorted(missing)).items():
            contexts[cid] = ConversationContext(cid, customer, supplied)


class ScanProcess:
    """A :class:`ConversationScanner` in a child process: chunks go in as their events' lines,
    findings come back, in order. Before the child reloads state from the store for chunk *n*,
    it waits until chunk *n - 1* is committed, which the writer reports with :meth:`committed`.

    The child is forked from the ingest process (the detectors come with it, configured), before
    any writer thread starts, and opens a store connection of its own.
    """

    def __init__(self, scanner: ConversationScanner, store_url: str, *, committed: int) -> None:
        mp = multiprocessing.get_context("fork")
        self._requests = mp.Queue()
        self._results = mp.Queue()
        # the last chunk committed (numbered as the caller does); ABORTED after a failure
        self._done = mp.Value("q", committed, lock=False)
        self._expected: deque[int] = deque()
        self._reads = scanner.detectors.reads  # type: ignore[attr-defined]
        self._process = mp.Process(
            target=_serve,
            args=(scanner, store_url, self._requests, self._results, self._done),
            name="trustops-scan",
            daemon=True,
        )
        self._process.start()

    def submit(self, seq: int, events: Sequence[Event]) -> None:
        """Send a chunk's events to be scanned: those the detectors read, and conversation starts
        (they name the customer), as (index, type, conversation id, line)."""
        reads = self._reads
        lines = [
            (i, e.type, e.conversation_id, e.raw if e.raw is not None else orjson.dumps(e.data))
            for i, e in enumerate(events)
            if reads(e.type) or e.type == "conversation.start"
        ]
        self._requests.put((seq, lines))
        self._expected.append(seq)

    def result(self, seq: int) -> Found:
        assert self._expected.popleft() == seq, "results are taken in the order chunks were submitted"
        while True:
            try:
                got, found, error = self._results.get(timeout=1.0)
                break
            except Exception as exc:  # queue.Empty: is the child still there?
                if not self._process.is_alive():
                    raise RuntimeError(f"detector process exited (code {self._process.exitcode})") from exc
        if error is not None:
            raise pickle.loads(error)
        assert got == seq
        return found

    def committed(self, seq: int) -> None:
        self._done.value = seq

    def abort(self) -> None:
        self._done.value = ABORTED

    def close(self) -> None:
        self._requests.put(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._requests.close()
        self._results.close()


ABORTED = -(2**62)


def _serve(scanner: ConversationScanner, store_url: str, requests: Any, results: Any, done: Any) -> None:
    # The parent decides when to stop (Ctrl-C reaches the whole process group); a plain
    # SIGTERM ends this process (the handlers came with the fork, and they are the parent's).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    # The store object came with the fork, and its pooled connections belong to the parent.
    scanner.store = None  # type: ignore[assignment]
    while (request := _next(requests, parent)) is not None:
        seq, lines = request
        try:
            if scanner.store is None:
                scanner.store = Store.open(store_url, create=False)

            def earlier_stored(seq: int = seq) -> None:
                while done.value < seq - 1:
                    if done.value == ABORTED:
                        raise RuntimeError("ingest stopped")
                    time.sleep(0.001)

            items = [(i, t, cid, decode_valid(line)) for i, t, cid, line in lines]
            found = scanner.scan_chunk(items, earlier_stored)
            results.put((seq, found, None))
        except BaseException as exc:  # handed to the parent, which raises it
            try:
                error = pickle.dumps(exc)
            except Exception:  # an exception that does not pickle travels as its text
                error = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
            results.put((seq, None, error))
    results.close()
    results.join_thread()  # every result is handed over before the process ends
    os._exit(0)  # no finalizers: the parent's connections copied by the fork must stay untouched


def _next(requests: Any, parent: int) -> Any:
    """The next request; None when told to stop, or when the parent is gone (killed: nobody
    would ever send the stop, and the queue's other end stays open in this process)."""
    while True:
        try:
            return requests.get(timeout=0.5)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def can_fork_scanner() -> bool:
    """Whether a scan process would have a core to itself."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return False
    return cpus >= 2 and "fork" in multiprocessing.get_all_start_methods()
