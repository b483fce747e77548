"""The store: SQLite by default, PostgreSQL by URL, the same SQL on both (see ``db``).

Writes go through :meth:`Store.write_batch`, one transaction per batch that carries the events,
their findings, the conversation roll-ups, rejected lines and the file offsets together: a crash
leaves either all of a batch or none of it, so a restart from the saved offset neither loses nor
doubles anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from operator import attrgetter

import orjson

from console.core import store_format
from console.core.db import WRITER_CACHE, Conn, Database, StoreError, redact_url
from console.core.events import Event
from console.core.findings import Finding, locate, supplied_by_customer
from console.core.paths import data_dir

__all__ = ["Batch", "Conn", "ConversationDelta", "Store", "StoreError", "default_store_url", "redact_url"]

# The tables ``schema`` declares; a database holding all of them needs no DDL (nor SQLModel).
TABLE_NAMES = frozenset(
    {
        "events",
        "findings",
        "conversations",
        "latency_rollup",
        "ingest_offsets",
        "rejects",
        "operator_log",
        "meta",
    }
)
_IN_CHUNK = 900  # below every SQLite build's bound-variable limit
# Rows per multi-row INSERT (at most SQLite's 32,766 bound values). Each statement hands the GIL
# over and waits to get it back, so fewer is faster; but SQLite holds every prepared statement
# in memory, in proportion to its size: 2,500 rows measured a few % faster than 1,000 and made
# ingest memory grow by ~20 MB as statements of each size were prepared.
_ROWS = 1000
_MAX_VALUES = 32_766
_EVENT_COLUMNS = 5  # id, ts_ms, type, conversation_id, body: see _event_row


def default_store_url() -> str:
    return os.environ.get("TRUSTOPS_STORE") or f"sqlite:///{data_dir() / 'trustops.db'}"


@dataclass(slots=True)
class ConversationDelta:
    """What one batch adds to a conversation's row."""

    conversation_id: str
    started_ms: int
    last_ms: int
    customer_id: str | None = None
    deployment: str | None = None
    model_version: str | None = None
    channel: str | None = None
    turns: int = 0
    events: int = 0
    flags: int = 0
    feedback: str | None = None
    resolved: bool | None = None
    model_calls: int = 0
    model_errors: int = 0
    tool_calls: int = 0
    tool_unauthorized: int = 0
    assistant_messages: int = 0
    ungrounded: int = 0

    def row(self) -> tuple:
        """The values in ``_CONV_COLUMNS`` order (the dataclass's own field order)."""
        return _conv_row(self)


@dataclass(slots=True)
class Batch:
    findings: list[tuple[Event, list[Finding]]] = field(default_factory=list)  # each event with its own
    conversations: dict[str, ConversationDelta] = field(default_factory=dict)
    rejects: list[tuple[str, int, int, str]] = field(default_factory=list)  # path, generation, line, reason
    # path -> offset, line, fingerprint, generation
    offsets: dict[str, tuple[int, int, str, int]] = field(default_factory=dict)
    # (slot_ms, deployment, model_version, bucket) -> model calls: see console.core.kpi_latency
    latency: dict[tuple[int, str, str, int], int] = field(default_factory=dict)


# The conversations upsert names its columns in the delta's field order, so the two cannot drift.
_CONV_FIELDS = tuple(f.name for f in fields(ConversationDelta))
_CONV_COLUMNS = ", ".join(_CONV_FIELDS)
_conv_row = attrgetter(*_CONV_FIELDS)
_ADD = (
    "events",
    "model_calls",
    "model_errors",
    "tool_calls",
    "tool_unauthorized",
    "assistant_messages",
    "ungrounded",
)
_KEEP_FIRST = ("customer_id", "deployment", "model_version", "channel")
# Where in a conversation's row are the fields findings change (console.core.rollup.add_findings)
_FOUND_COLUMNS = tuple(_CONV_FIELDS.index(n) for n in ("flags", "tool_unauthorized", "ungrounded"))


@dataclass(frozen=True, slots=True)
class _Insert:
    """A multi-row INSERT: ``head`` VALUES (row), (row)… ``tail``."""

    head: str
    width: int  # values per row
    tail: str = ""

    @property
    def rows(self) -> int:
        """Rows in a full statement."""
        return min(_ROWS, _MAX_VALUES // self.width)

    def sql(self, rows: int) -> str:
        row = "(" + ", ".join(["?"] * self.width) + ")"
        return f"{self.head} VALUES {', '.join([row] * rows)}{self.tail}"


def _conversation_upsert() -> _Insert:
    c = "conversations"
    sets = [f"{n} = coalesce({c}.{n}, excluded.{n})" for n in _KEEP_FIRST]
    sets += [f"{n} = {c}.{n} + excluded.{n}" for n in _ADD]
    sets += [
        f"started_ms = CASE WHEN excluded.started_ms < {c}.started_ms THEN excluded.started_ms ELSE {c}.started_ms END",
        f"last_ms = CASE WHEN excluded.last_ms > {c}.last_ms THEN excluded.last_ms ELSE {c}.last_ms END",
        f"turns = CASE WHEN excluded.turns > {c}.turns THEN excluded.turns ELSE {c}.turns END",
        f"flags = {c}.flags | excluded.flags",
        f"feedback = coalesce(excluded.feedback, {c}.feedback)",
        f"resolved = coalesce(excluded.resolved, {c}.resolved)",
    ]
    return _Insert(
        f"INSERT INTO {c} ({_CONV_COLUMNS})",
        len(_CONV_FIELDS),
        " ON CONFLICT (conversation_id) DO UPDATE SET " + ", ".join(sets),
    )


# A batch's rows go in as few statements as possible: a multi-row statement is one step of the
# database, where executemany takes one per row (and hands Python's GIL over and back for each).
_INSERTS = {
    "events": _Insert(
        "INSERT INTO events (id, ts_ms, type, conversation_id, body)",
        _EVENT_COLUMNS,
        " ON CONFLICT (id) DO NOTHING",
    ),
    "findings": _Insert(
        'INSERT INTO findings (event_id, event_type, conversation_id, category, type, field, start, "end", '
        "value_hash, detail)",
        10,
    ),
    "conversations": _conversation_upsert(),
    "latency": _Insert(
        "INSERT INTO latency_rollup (slot_ms, deployment, model_version, bucket, calls)",
        5,
        " ON CONFLICT (slot_ms, deployment, model_version, bucket) "
        "DO UPDATE SET calls = latency_rollup.calls + excluded.calls",
    ),
    "rejects": _Insert(
        "INSERT INTO rejects (path, generation, line, reason)",
        4,
        " ON CONFLICT (path, generation, line) DO NOTHING",
    ),
    "offsets": _Insert(
        'INSERT INTO ingest_offsets (path, "offset", line, fingerprint, generation)',
        5,
        ' ON CONFLICT (path) DO UPDATE SET "offset" = excluded."offset", line = excluded.line, '
        "generation = excluded.generation, fingerprint = excluded.fingerprint",
    ),
}


class Store:
    """A handle on one store. Cheap to keep open; safe to share between threads (each block gets
    a connection of its own); not shared across processes' writers."""

    def __init__(self, db: Database, url: str) -> None:
        self.db = db
        self.url = url
        self.dialect = db.dialect
        self._inserts: dict[tuple[str, int], str] = {}  # statements by table and rows

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, url: str | None = None, *, create: bool = True, notice: Callable[[str], None] | None = None
    ) -> Store:
        """Open (and with ``create``, create or upgrade) a store. ``notice`` is told, in words,
        before anything that may take a while: upgrading a big store takes seconds."""
        # Several processes opening a new SQLite file at once race to switch it to WAL, and SQLite
        # answers the loser "database is locked" without waiting: that one simply tries again.
        for attempt in range(49):
            try:
                return cls._open(url, create=create, notice=notice)
            except StoreError as exc:
                if "database is locked" not in str(exc):
                    raise
                time.sleep(0.05 + 0.01 * attempt)
        return cls._open(url, create=create, notice=notice)  # the last try's error, if any, is the answer

    @classmethod
    def _open(cls, url: str | None, *, create: bool, notice: Callable[[str], None] | None = None) -> Store:
        url = url or default_store_url()
        db = Database(url, create=create)
        try:
            with db.connection(doing="cannot open") as conn:
                missing = TABLE_NAMES - db.table_names(conn)
                # (a newer or unreadable format is refused here, before any lock is waited for)
                found = None if missing else store_format.stored_format(conn)
            if missing and create:
                # One creator at a time: the writer lock (PostgreSQL: the advisory lock) is held
                # while tables are created, so concurrent first opens never race.
                with db.connection(begin=_writer_begin(db), doing="cannot open") as conn:
                    _writer_lock(db, conn)
                    existing = db.table_names(conn) & TABLE_NAMES
                    db.create_tables(conn)
                    if existing:  # from an older trustops, which had fewer tables
                        store_format.upgrade(conn, db.dialect)
                    else:
                        store_format.mark_current(conn)
            elif missing:
                raise StoreError(
                    f"store: {redact_url(url)} is not a trustops store (missing {', '.join(sorted(missing))})"
                )
            elif found != store_format.FORMAT and create:
                # From an older trustops: upgraded once, by the first that opens it to write.
                if notice is not None:
                    notice(
                        f"store {redact_url(url)} is in format {found}: upgrading it to format "
                        f"{store_format.FORMAT} (once; a big store takes a while)"
                    )
                with db.connection(begin=_writer_begin(db), doing="cannot upgrade") as conn:
                    _writer_lock(db, conn)
                    store_format.upgrade(conn, db.dialect)
        except store_format.FormatError as exc:
            db.close()
            raise StoreError(f"store: {redact_url(url)} {exc}") from None
        except BaseException:
            db.close()
            raise
        return cls(db, url)

    def close(self) -> None:
        self.db.close()

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One write transaction; writers take the write lock up front, so a duplicate check and
        the insert that follows see the same store even with another ingest running."""
        with self.db.connection(begin=_writer_begin(self.db), doing="write failed on") as conn:
            _writer_lock(self.db, conn)
            if self.dialect == "sqlite":
                conn.raw.execute(WRITER_CACHE)
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Conn]:
        """Several reads that see one state of the store (readers never wait on a writer)."""
        begin = "BEGIN" if self.dialect == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ"
        with self.db.connection(begin=begin) as conn:
            yield conn

    def event_params(self, events: Sequence[Event]) -> list:
        """The parameters :meth:`insert_events` binds, row after row (built ahead of the write)."""
        return [v for e in events for v in _event_row(e)]

    def event_params_update(self, params: list, index: int, event: Event) -> None:
        """Put the current form of the ``index``-th event (its body redacted, say) into ``params``."""
        params[index * _EVENT_COLUMNS : (index + 1) * _EVENT_COLUMNS] = _event_row(event)

    def insert_events(
        self, conn: Conn, events: Sequence[Event], params: list | None = None
    ) -> set[str] | None:
        """Insert events, skipping ids already stored. Returns None when every one was inserted
        (the usual case), else the ids of those that were.

        ``INSERT … ON CONFLICT (id) DO NOTHING`` does the duplicate check and the write in one
        statement; only when it inserted fewer rows than given are the new ones looked up (by
        ``seq``, which only grows under the writer lock).
        """
        if params is None:
            params = self.event_params(events)
        before = conn.execute("SELECT coalesce(max(seq), 0) FROM events").scalar()
        if self._insert(conn, "events", params) == len(events):
            return None
        return {row[0] for row in conn.execute("SELECT id FROM events WHERE seq > ?", (before,))}

    def batch_params(self, batch: Batch) -> dict[str, list]:
        """The parameters :meth:`write_batch` binds, table by table (built ahead of the write)."""
        return {"findings": _finding_rows(batch.findings), **self.rollup_params(batch)}

    def rollup_params(self, batch: Batch) -> dict[str, list]:
        """:meth:`batch_params` but the findings': what a chunk's events give before the
        detectors have seen them (the findings then change some conversations' rows: see
        :meth:`add_finding_params`)."""
        return {
            "conversations": [v for d in batch.conversations.values() for v in d.row()],
            "latency": [v for k, n in batch.latency.items() for v in (*k, n)],
            "rejects": [v for r in batch.rejects for v in r],
            "offsets": [v for p, pos in batch.offsets.items() for v in (p, *pos)],
        }

    def add_finding_params(self, params: dict[str, list], batch: Batch, changed: Iterable[str]) -> None:
        """Complete :meth:`rollup_params` into :meth:`batch_params` once the batch has its
        findings: theirs, and the rows of the ``changed`` conversations."""
        params["findings"] = _finding_rows(batch.findings)
        rows = params["conversations"]
        width = len(_CONV_FIELDS)
        at = {cid: i * width for i, cid in enumerate(batch.conversations)}  # rows follow the dict
        flags, unauthorized, ungrounded = _FOUND_COLUMNS
        for cid in changed:
            i = at[cid]
            d = batch.conversations[cid]
            rows[i + flags] = d.flags
            rows[i + unauthorized] = d.tool_unauthorized
            rows[i + ungrounded] = d.ungrounded

    def write_batch(self, conn: Conn, batch: Batch, params: dict[str, list] | None = None) -> None:
        """Write what goes with newly inserted events (see :meth:`insert_events`) and the offsets;
        ``params`` is :meth:`batch_params` of the batch, when built already."""
        for table, rows in (params if params is not None else self.batch_params(batch)).items():
            if rows:
                self._insert(conn, table, rows)

    def _insert(self, conn: Conn, name: str, params: list) -> int:
        """Run ``_INSERTS[name]`` over ``params`` (row after row); the rows it changed."""
        ins = _INSERTS[name]
        cursor = conn.raw.cursor()  # the driver's own: no per-row result processing
        rows = len(params) // ins.width
        changed = i = 0
        while i < rows:
            # Full statements (see _ROWS), then statements of powers of two for the rest: a few
            # sizes, prepared once and reused (a statement for every remainder would fill the
            # driver's cache of prepared statements, which SQLite holds in memory, with one per
            # chunk).
            n = min(ins.rows, rows - i)
            if n < ins.rows:
                n = 1 << (n.bit_length() - 1)
            sql = self._inserts.get((name, n))
            if sql is None:
                sql = self._inserts[name, n] = conn.sql(ins.sql(n))
            cursor.execute(sql, params[i * ins.width : (i + n) * ins.width])
            changed += cursor.rowcount
            i += n
        return changed

    # -- reading ---------------------------------------------------------------------------------
    def offset(self, path: str) -> tuple[int, int, str, int] | None:
        """Where ingest of ``path`` stopped: offset, line, fingerprint, generation."""
        rows = self.query(
            'SELECT "offset", line, fingerprint, generation FROM ingest_offsets WHERE path = ?', [path]
        )
        return tuple(rows[0]) if rows else None  # type: ignore[return-value]

    def load_contexts(self, ids: Sequence[str]) -> dict[str, tuple[str | None, set[str]]]:
        """Customer and customer-supplied PII hashes of known conversations (detector state):
        PII in their messages and feedback, and in memory items of their own read back to them."""
        out: dict[str, tuple[str | None, set[str]]] = {}
        with self.snapshot() as conn:
            for i in range(0, len(ids), _IN_CHUNK):
                chunk = tuple(ids[i : i + _IN_CHUNK])
                marks = ", ".join(["?"] * len(chunk))
                for cid, customer in conn.execute(
                    f"SELECT conversation_id, customer_id FROM conversations WHERE conversation_id IN ({marks})",
                    chunk,
                ):
                    out[cid] = (customer, set())
                for cid, h in conn.execute(
                    f"SELECT conversation_id, value_hash FROM findings WHERE conversation_id IN ({marks}) "
                    "AND event_type IN ('message.user', 'feedback') AND category = 'pii' "
                    "AND value_hash IS NOT NULL",
                    chunk,
                ):
                    out.setdefault(cid, (None, set()))[1].add(h)
                # A memory item's owner is in the event, not the finding: read where it was found.
                events: dict[str, object] = {}
                for cid, event_id, field, h, body in conn.execute(
                    "SELECT f.conversation_id, f.event_id, f.field, f.value_hash, e.body FROM findings f "
                    f"JOIN events e ON e.id = f.event_id WHERE f.conversation_id IN ({marks}) "
                    "AND f.event_type = 'memory.read' AND f.category = 'pii' AND f.value_hash IS NOT NULL",
                    chunk,
                ):
                    if event_id not in events:
                        events[event_id] = orjson.loads(body)
                    customer, supplied = out.setdefault(cid, (None, set()))
                    if supplied_by_customer(_memory_item_owner(events[event_id], field), customer):
                        supplied.add(h)
        return out

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """Run a read query written with ``?`` placeholders."""
        with self.db.connection() as conn:
            return [tuple(r) for r in conn.execute(sql, tuple(params))]

    def scalar(self, sql: str, params: Sequence = ()) -> object:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def counts(self) -> dict[str, int]:
        return {
            t: int(self.scalar(f"SELECT count(*) FROM {t}") or 0)
            for t in ("events", "findings", "conversations", "rejects")
        }

    def log_operator(
        self, operator: str, action: str, target: str = "", detail: str = "", ts_ms: int | None = None
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO operator_log (ts_ms, operator, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (ts_ms if ts_ms is not None else int(time.time() * 1000), operator, action, target, detail),
            )


def _memory_item_owner(event: object, field: str) -> object:
    """``origin_customer_id`` of the memory item whose text ``field`` (``items.N.text``) names."""
    slot = locate(event, field)
    item = slot[0] if slot is not None else None
    return item.get("origin_customer_id") if isinstance(item, dict) else None


def _writer_begin(db: Database) -> str:
    return "BEGIN IMMEDIATE" if db.dialect == "sqlite" else "BEGIN"


def _writer_lock(db: Database, conn: Conn) -> None:
    if db.dialect == "postgresql":
        # One writer at a time, so the duplicate check and the insert see the same store.
        conn.execute("SELECT pg_advisory_xact_lock(7265)")


def _event_row(e: Event) -> tuple:
    return (e.id, e.ts_ms, e.type, e.conversation_id, e.raw if e.raw is not None else orjson.dumps(e.data))


def _finding_rows(found: list[tuple[Event, list[Finding]]]) -> list:
    rows: list = []
    add = rows.extend
    for e, findings in found:
        event = (e.id, e.type, e.conversation_id)
        for f in findings:  # the finding's own fields are in the table's column order (category … detail)
            add(event)
            add(f)
    return rows
