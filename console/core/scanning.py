"""Detectors over a chunk of events, in conversation order, with each conversation's state.

The detectors remember things per conversation (its customer, the PII the customer supplied).
A :class:`ConversationScanner` keeps that state for the conversations seen most recently and
reloads the others from the store. :class:`ScanProcess` runs one in a process of its own, beside
the ingest pipeline, so the detectors' Python work has a core to itself during a bulk ingest.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any, Protocol

import msgspec
import orjson

from console.core.bulk_runtime import collecting, usable_cpus
from console.core.errors import UserError
from console.core.events import EVENT_TYPES, Event, projection_decoder
from console.core.findings import ConversationContext, Finding
from console.core.lifeline import die_with_parent
from console.core.store import Store

CONTEXT_CACHE = 20_000  # conversations whose detector state is kept between chunks
Found = dict[int, list[Finding]]  # event index in the chunk -> its findings (only events with any)
Decoder = tuple[Any, dict[type, str]]  # see projection_decoder
# Findings travel back from a scan process as MessagePack (encoded in C: pickling each named
# tuple would call back into Python).
_FOUND = msgspec.msgpack.Encoder()
_FOUND_DECODER = msgspec.msgpack.Decoder(dict[int, list[Finding]])
Item = tuple[int, str, "str | None", Any]  # event index, type, conversation id, event (see scan_chunk)


class Scanner(Protocol):
    """Detectors. One with ``reads_typed_events = True`` is given the typed event and its type
    (``scan(ev.msg, ctx, ev.type)``), and says which events and fields it reads
    (:class:`TypedScanner`); any other is given every event's JSON object."""

    def scan(self, event: dict, ctx: ConversationContext | None) -> list[Finding]: ...


class TypedScanner(Protocol):
    reads_typed_events: bool  # True

    def scan(self, event: Any, ctx: ConversationContext | None, event_type: str) -> list[Finding]: ...

    def screen(self) -> dict[str, Callable[[Any], object] | None]:
        """The event types scan reads, each with a test of whether one event may give
        findings (falsy: certainly none; None: every event may)."""

    def fields(self, event_type: str) -> tuple[str, ...]:
        """The fields scan reads of an event of this type."""


class ConversationScanner:
    """Runs detectors over chunks of events, keeping each conversation's state between them."""

    def __init__(self, detectors: Scanner, store: Store) -> None:
        self.detectors = detectors
        self.store = store
        # A scanner that reads typed events spares decoding each event's JSON into a dict.
        self.typed = getattr(detectors, "reads_typed_events", False)
        self._contexts: OrderedDict[str, ConversationContext] = OrderedDict()
        self._screen: dict[str, Callable[[Any], object] | None] | None = None  # see wanted

    def scan_chunk(self, items: Sequence[Item], before_store_read: Callable[[], None] | None = None) -> Found:
        """Findings of a chunk's events, given as (index, type, conversation id, event) where the
        event is typed or its JSON object, as the detectors read it (:meth:`items`).
        ``before_store_read`` is called before state is reloaded from the store: the chunks
        before this one must be stored by the time it returns."""
        self._load_contexts(items, before_store_read)
        found: Found = {}
        contexts = self._contexts
        scan = self.detectors.scan
        typed = self.typed
        for i, event_type, cid, event in items:  # (the hot loop: one call per event, the detectors')
            ctx = None
            if cid is not None:
                ctx = contexts.get(cid)
                if ctx is None:
                    ctx = contexts[cid] = ConversationContext(cid)
                else:
                    contexts.move_to_end(cid)  # least recently used leaves first
                if event_type == "conversation.start":
                    ctx.customer_id = event.get("customer_id")
            if findings := (scan(event, ctx, event_type) if typed else scan(event, ctx)):  # type: ignore[call-arg]
                found[i] = findings
        # Forget the least recently used conversations between chunks, never inside one: the
        # chunk's own were all loaded before it was scanned.
        while len(contexts) > CONTEXT_CACHE:
            contexts.popitem(last=False)
        return found

    def items(self, events: Sequence[Event]) -> list[Item]:
        """What :meth:`scan_chunk` takes, for a chunk's events."""
        if self.typed:
            return [(i, (e := events[i]).type, e.conversation_id, e.msg) for i in self.wanted(events)]
        return [(i, e.type, e.conversation_id, e.data) for i, e in enumerate(events)]

    def wanted(self, events: Sequence[Event]) -> list[int]:
        """The indexes of the events a typed scanner is given (as :meth:`items` picks them):
        those it may find something in, and conversation starts (they name the customer)."""
        screen = self._screen
        if screen is None:
            screen = self._screen = {**self.detectors.screen(), "conversation.start": None}  # type: ignore[attr-defined]
        return [
            i
            for i, e in enumerate(events)
            if (t := e.type) in screen and ((may_find := screen[t]) is None or may_find(e.msg))
        ]

    def fields(self) -> dict[str, tuple[str, ...]]:
        """The fields of each event type a typed scanner reads, a conversation start's included."""
        fields = {t: self.detectors.fields(t) for t in EVENT_TYPES}  # type: ignore[attr-defined]
        fields["conversation.start"] = (*fields["conversation.start"], "customer_id")
        return fields

    def forget(self) -> None:
        """Drop every conversation's state (it is reloaded from the store when next needed)."""
        self._contexts.clear()

    def _load_contexts(self, items: Sequence[Item], before_store_read: Callable[[], None] | None) -> None:
        """Bring back the state of conversations seen before (earlier runs, or evicted)."""
        contexts = self._contexts
        # (not ``set - contexts.keys()``: that walks every kept conversation, on every chunk)
        missing = {cid for _, _, cid, _ in items if cid is not None and cid not in contexts}
        if not missing:
            return
        missing -= {cid for _, t, cid, _ in items if t == "conversation.start"}
        if not missing:
            return
        if before_store_read is not None:
            before_store_read()
        for cid, (customer, supplied) in self.store.load_contexts(sorted(missing)).items():
            contexts[cid] = ConversationContext(cid, customer, supplied)


class ScanProcessError(UserError):
    """The detector process ended without being asked to (killed, out of memory)."""


class ScanProcess:
    """A :class:`ConversationScanner` in a child process: chunks go in as the lines of the events
    the detectors want, findings come back, in order. The child decodes only the fields the
    detectors read. Before the child reloads state from the store for chunk *n*,
    it waits until chunk *n - 1* is committed, which the writer reports with :meth:`committed`.

    The child is forked from the ingest process (the detectors come with it, configured), before
    any writer thread starts, and opens a store connection of its own. It lives only as long as
    its parent: the kernel kills it when the parent dies, however the parent dies. Each way
    between them is a one-way pipe whose other end only the other process holds, so either
    side sees the other's death at once (end of file, broken pipe) instead of waiting forever.
    """

    def __init__(self, scanner: ConversationScanner, store: Store, *, committed: int) -> None:
        mp = multiprocessing.get_context("fork")
        requests_in, self._requests = mp.Pipe(duplex=False)
        self._results, results_out = mp.Pipe(duplex=False)
        _widen(self._requests)
        _widen(self._results)
        # the last chunk committed (numbered as the caller does)
        self._done = mp.Value("q", committed, lock=False)
        self._aborted = False
        self._expected: deque[int] = deque()
        self._reaping = threading.Lock()
        self._wanted = scanner.wanted
        decoder = projection_decoder(scanner.fields())
        # No open database handle crosses the fork (SQLite forbids using one on both sides):
        # the idle ones are closed here, and reopen on demand.
        store.db.close()
        self._process = mp.Process(
            target=_serve,
            args=(
                scanner,
                decoder,
                store.url,
                requests_in,
                results_out,
                self._done,
                (self._requests, self._results),
            ),
            name="trustops-scan",
            daemon=True,
        )
        self._process.start()
        requests_in.close()  # the child's ends
        results_out.close()

    def submit(self, seq: int, events: Sequence[Event]) -> None:
        """Send a chunk's events to be scanned (see :meth:`ConversationScanner.wanted`): their
        indexes, and their lines in one piece (one copy, not a message per event). Waits while
        the child is a chunk behind."""
        wanted = self._wanted(events)
        lines = b"\n".join(
            [e.raw if (e := events[i]).raw is not None else orjson.dumps(e.data) for i in wanted]
        )
        try:
            self._requests.send((seq, wanted, lines))
        except OSError:  # a broken pipe: the child is gone
            raise ScanProcessError(_ended(self._ended_code())) from None
        self._expected.append(seq)

    def result(self, seq: int) -> Found:
        expected = self._expected.popleft()
        assert expected == seq, "results are taken in the order chunks were submitted"
        try:
            got, found, error = self._results.recv()
        except (EOFError, OSError):  # the child is gone, maybe in the middle of a message
            raise ScanProcessError(_ended(self._ended_code())) from None
        if error is not None:
            raise pickle.loads(error)
        assert got == seq
        return _FOUND_DECODER.decode(found)

    def committed(self, seq: int) -> None:
        self._done.value = seq

    def abort(self) -> None:
        """Nothing more will be scanned or written: the child is stopped at once. (It may be
        waiting for a write that failed, or blocked sending findings nobody will read while the
        caller is blocked sending it the next chunk; it ignores SIGTERM.) Any thread may call it;
        the caller's pending ``submit`` then fails with :class:`ScanProcessError`."""
        self._aborted = True
        with self._reaping:
            if self._process.is_alive():
                self._process.kill()

    def close(self) -> None:
        if self._process.is_alive() and not self._aborted:
            with suppress(OSError):
                self._requests.send(None)
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()  # it ignores SIGTERM
        self._process.join(5)
        self._requests.close()
        self._results.close()

    def _ended_code(self) -> int | None:
        with self._reaping:  # both threads may find the child gone; one of them reaps it
            self._process.join(5)
            return self._process.exitcode


_PR_SET_PDEATHSIG = 1


def _ended(code: int | None) -> str:
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
    return f"the detector process {how}; the chunks before are stored: run the ingest again to resume"


def _serve(
    scanner: ConversationScanner,
    decoder: Decoder,
    store_url: str,
    requests: Any,
    results: Any,
    done: Any,
    parents_ends: tuple,
) -> None:
    parent = os.getppid()
    die_with_parent(parent)
    for end in parents_ends:  # copies the fork made: holding them would hide the parent's death
        end.close()
    # The parent decides when this process stops: Ctrl-C and a SIGTERM to the process group
    # reach it too, and the parent stops it when it has finished its own shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The store object came with the fork; this process opens its own connections.
    scanner.store = None  # type: ignore[assignment]
    try:
        for request in collecting(iter(requests.recv, None)):  # (forked with automatic GC off)
            results.send(_scan(scanner, decoder, store_url, request, done, parent))
    except (EOFError, OSError):  # the parent is gone
        pass
    os._exit(0)  # no finalizers: nothing the fork copied from the parent is touched


def _scan(
    scanner: ConversationScanner, decoder: Decoder, store_url: str, request: tuple, done: Any, parent: int
) -> tuple:
    """(seq, the findings encoded, None), or (seq, None, the pickled exception)."""
    seq, indexes, lines = request
    try:
        if scanner.store is None:
            scanner.store = Store.open(store_url, create=False)

        def earlier_stored() -> None:
            while done.value < seq - 1:
                if os.getppid() != parent:
                    raise RuntimeError("ingest stopped")
                time.sleep(0.001)

        json, types = decoder
        items = [
            (i, types[type(e)], e.conversation_id, e)
            for i, e in zip(indexes, json.decode_lines(lines), strict=True)
        ]
        return seq, _FOUND.encode(scanner.scan_chunk(items, earlier_stored)), None
    except Exception as exc:  # handed to the parent, which raises it
        try:
            return seq, None, pickle.dumps(exc)
        except Exception:  # an exception that does not pickle travels as its text
            return seq, None, pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


def _widen(end: Any) -> None:
    """Give a pipe the largest buffer allowed (Linux; 64 KiB by default). A chunk's lines are
    megabytes: through a small buffer they go in dozens of hand-overs between the processes,
    each of which may wait for a busy core (measured: seconds over a large ingest)."""
    try:
        with open("/proc/sys/fs/pipe-max-size") as fh:
            size = int(fh.read())
        fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (OSError, ValueError, AttributeError):  # not Linux, or not allowed: the default
        pass


def can_fork_scanner() -> bool:
    """Whether a scan process would have a core to itself."""
    return usable_cpus() >= 2 and "fork" in multiprocessing.get_all_start_methods()
