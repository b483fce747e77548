"""The store: SQLite by default, PostgreSQL by URL, one code path through SQLAlchemy/SQLModel.

Writes go through :meth:`Store.write_batch`, one transaction per batch that carries the events,
their findings, the conversation roll-ups, rejected lines and the file offsets together: a crash
leaves either all of a batch or none of it, so a restart from the saved offset neither loses nor
doubles anything.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path

import orjson
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlmodel import SQLModel

from console.core import schema
from console.core.errors import UserError
from console.core.events import Event
from console.core.findings import Finding
from console.core.paths import data_dir

_IN_CHUNK = 900  # below every SQLite build's bound-variable limit
# Rows per multi-row INSERT: at most 1,000 (5 values a row: 5,000 bound variables, under SQLite's 32,766).
_INSERT_SIZES = (1000, 100, 10, 1)


class StoreError(UserError):
    """The store cannot be opened or used; the message is fit for the user."""


def default_store_url() -> str:
    return os.environ.get("TRUSTOPS_STORE") or f"sqlite:///{data_dir() / 'trustops.db'}"


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


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
    findings: list[tuple[Event, Finding]] = field(default_factory=list)
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


def _conversation_upsert() -> str:
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
    marks = ", ".join(["?"] * len(_CONV_FIELDS))
    return (
        f"INSERT INTO {c} ({_CONV_COLUMNS}) VALUES ({marks}) ON CONFLICT (conversation_id) DO UPDATE SET "
        + ", ".join(sets)
    )


_SQL = {
    "findings": "INSERT INTO findings (event_id, event_type, conversation_id, ts_ms, deployment, model_version, "
    'category, type, field, start, "end", value_hash, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    "conversations": _conversation_upsert(),
    "latency": "INSERT INTO latency_rollup (slot_ms, deployment, model_version, bucket, calls) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (slot_ms, deployment, model_version, bucket) "
    "DO UPDATE SET calls = latency_rollup.calls + excluded.calls",
    "rejects": "INSERT INTO rejects (path, generation, line, reason) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (path, generation, line) DO NOTHING",
    "offsets": 'INSERT INTO ingest_offsets (path, "offset", line, fingerprint, generation) VALUES (?, ?, ?, ?, ?) '
    'ON CONFLICT (path) DO UPDATE SET "offset" = excluded."offset", line = excluded.line, '
    "generation = excluded.generation, fingerprint = excluded.fingerprint",
}


class Store:
    """A handle on one store. Cheap to keep open; not shared across processes' writers."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name
        # DB-API placeholders differ: sqlite3 takes ?, psycopg takes %s.
        mark = "?" if self.dialect == "sqlite" else "%s"
        self._sql = {k: v.replace("?", mark) for k, v in _SQL.items()}
        self._mark = mark
        self._inserts: dict[int, str] = {}

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Store:
        # Several processes opening a new SQLite file at once race to switch it to WAL, and SQLite
        # answers the loser "database is locked" without waiting: that one simply tries again.
        for attempt in range(49):
            try:
                return cls._open(url, create=create)
            except StoreError as exc:
                if "database is locked" not in str(exc):
                    raise
                time.sleep(0.05 + 0.01 * attempt)
        return cls._open(url, create=create)  # the last try's error, if any, is the answer

    @classmethod
    def _open(cls, url: str | None, *, create: bool) -> Store:
        url = given = url or default_store_url()
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        try:
            if url.startswith("sqlite:///"):
                path = Path(url[len("sqlite:///") :])
                if str(path) not in ("", ":memory:"):
                    if create:
                        path.parent.mkdir(parents=True, exist_ok=True)
                    elif not path.exists():
                        raise StoreError(f"store: no such database file: {path}")
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            elif url.startswith("postgresql+psycopg://"):
                engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
            else:
                raise StoreError(
                    f"store: unsupported URL {redact_url(given)!r} (use sqlite:///PATH or postgresql://…)"
                )
            store = cls(engine, given)
            if create:
                # One creator at a time: concurrent first opens of a new SQLite file would
                # otherwise race to upgrade their read locks and fail with "database is locked".
                with engine.connect().execution_options(writer=True) as conn, conn.begin():
                    SQLModel.metadata.create_all(conn, tables=_TABLES)
            else:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
            return store
        except StoreError:
            raise
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise StoreError(f"store: bad URL {redact_url(given)!r}: {exc}") from None
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise StoreError(f"store: cannot open {redact_url(given)}: {_first_line(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.connect().execution_options(writer=True) as conn, conn.begin():
                if self.dialect == "postgresql":
                    # One writer at a time, so the duplicate check and the insert see the same store.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7265)")
                yield conn
        except (DBAPIError, SQLAlchemyError) as exc:
            raise StoreError(f"store: write failed on {redact_url(self.url)}: {_first_line(exc)}") from None

    def insert_events(self, conn: Connection, events: Sequence[Event]) -> set[str]:
        """Insert events, skipping ids already stored; return the ids actually inserted.

        One multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` per slice: the duplicate
        check and the write are the same statement, and far cheaper than row-at-a-time executemany.
        """
        inserted: set[str] = set()
        cursor = conn.connection.cursor()  # the driver's own: no per-row result processing
        i = 0
        while i < len(events):
            # A few fixed statement sizes only: every distinct size is a prepared statement the
            # driver caches, and a 1,000-row one is large.
            n = next(size for size in _INSERT_SIZES if size <= len(events) - i)
            part = events[i : i + n]
            i += n
            params = [v for e in part for v in _event_row(e)]
            cursor.execute(self._multi_insert(n), params)
            inserted.update(row[0] for row in cursor.fetchall())
        return inserted

    def _multi_insert(self, n: int) -> str:
        sql = self._inserts.get(n)
        if sql is None:
            row = "(" + ", ".join([self._mark] * 5) + ")"
            sql = (
                "INSERT INTO events (id, ts_ms, type, conversation_id, body) VALUES "
                + ", ".join([row] * n)
                + " ON CONFLICT (id) DO NOTHING RETURNING id"
            )
            self._inserts[n] = sql
        return sql

    def write_batch(self, conn: Connection, batch: Batch) -> None:
        """Write what goes with newly inserted events (see :meth:`insert_events`) and the offsets."""
        run = conn.exec_driver_sql
        if batch.findings:
            run(self._sql["findings"], [_finding_row(e, f) for e, f in batch.findings])
        if batch.conversations:
            run(self._sql["conversations"], [d.row() for d in batch.conversations.values()])
        if batch.latency:
            run(self._sql["latency"], [(*k, n) for k, n in batch.latency.items()])
        if batch.rejects:
            run(self._sql["rejects"], batch.rejects)
        if batch.offsets:
            run(self._sql["offsets"], [(p, *pos) for p, pos in batch.offsets.items()])

    # -- reading ---------------------------------------------------------------------------------
    def offset(self, path: str) -> tuple[int, int, str, int] | None:
        """Where ingest of ``path`` stopped: offset, line, fingerprint, generation."""
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                f'SELECT "offset", line, fingerprint, generation FROM ingest_offsets WHERE path = {self._mark}',
                (path,),
            ).first()
        return (row[0], row[1], row[2], row[3]) if row else None

    def load_contexts(self, ids: Sequence[str]) -> dict[str, tuple[str | None, set[str]]]:
        """Customer and customer-supplied PII hashes of known conversations (detector state)."""
        out: dict[str, tuple[str | None, set[str]]] = {}
        with self.engine.connect() as conn:
            self._load_contexts(conn, ids, out)
        return out

    def _load_contexts(self, conn: Connection, ids: Sequence[str], out: dict) -> None:
        for i in range(0, len(ids), _IN_CHUNK):
            chunk = tuple(ids[i : i + _IN_CHUNK])
            marks = ", ".join([self._mark] * len(chunk))
            for cid, customer in conn.exec_driver_sql(
                f"SELECT conversation_id, customer_id FROM conversations WHERE conversation_id IN ({marks})",
                chunk,
            ):
                out[cid] = (customer, set())
            for cid, h in conn.exec_driver_sql(
                f"SELECT conversation_id, value_hash FROM findings WHERE conversation_id IN ({marks}) "
                f"AND event_type = 'message.user' AND category = 'pii' AND value_hash IS NOT NULL",
                chunk,
            ):
                out.setdefault(cid, (None, set()))[1].add(h)

    def query(self, sql: str, params: Sequence | dict = ()) -> list[tuple]:
        """Run a read query written with ``?`` placeholders (or ``:name`` with a dict)."""
        try:
            with self.engine.connect() as conn:
                if isinstance(params, dict):
                    return [tuple(r) for r in conn.execute(text(sql), params)]
                return [tuple(r) for r in conn.exec_driver_sql(sql.replace("?", self._mark), tuple(params))]
        except (DBAPIError, SQLAlchemyError) as exc:
            raise StoreError(f"store: query failed on {redact_url(self.url)}: {_first_line(exc)}") from None

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
            conn.exec_driver_sql(
                "INSERT INTO operator_log (ts_ms, operator, action, target, detail) VALUES (?, ?, ?, ?, ?)".replace(
                    "?", self._mark
                ),
                (ts_ms if ts_ms is not None else int(time.time() * 1000), operator, action, target, detail),
            )


_TABLES = [
    m.__table__  # type: ignore[attr-defined]
    for m in (
        schema.EventRow,
        schema.FindingRow,
        schema.ConversationRow,
        schema.LatencyRollupRow,
        schema.IngestOffset,
        schema.RejectRow,
        schema.OperatorLogRow,
        schema.MetaRow,
    )
]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy's begin event issue BEGIN itself (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        # A small bounded page cache (8 MB: no faster at 32 MB, measured) and no mmap: memory stays flat however big the store grows.
        "cache_size=-8192",
        "temp_store=MEMORY",
        "busy_timeout=30000",
        # Checkpoint every ~32 MB of WAL rather than 4 MB: fewer, larger copies during bulk ingest.
        "wal_autocheckpoint=8192",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front: the duplicate check and the insert then see the same
    # store even with another ingest running. Readers stay deferred and never wait on a writer (WAL).
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN")


def _event_row(e: Event) -> tuple:
    return (e.id, e.ts_ms, e.type, e.conversation_id, e.raw if e.raw is not None else orjson.dumps(e.data))


def _finding_row(e: Event, f: Finding) -> tuple:
    return (
        e.id, e.type, e.conversation_id, e.ts_ms, e.deployment, e.model_version,
        f.category, f.type, f.field, f.start, f.end, f.value_hash, f.detail,
    )  # fmt: skip


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    msg = str(orig).strip().splitlines()
    return msg[0] if msg else type(orig).__name__
