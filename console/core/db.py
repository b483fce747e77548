"""Connections to the store's database: SQLite (the standard library's sqlite3) or PostgreSQL
(psycopg), pooled, with transactions and errors the same on both.

Every statement the store runs is hand-written SQL, so the store speaks DB-API directly: an ORM's
per-row machinery would only cost time, and importing SQLAlchemy costs a third of a second at
every start of the console. The tables are declared once with SQLModel (``schema``); their DDL
is kept rendered (``schema_ddl``), so even creating a store never imports it.

Statements use ``?`` placeholders on both databases (psycopg's ``%s`` is substituted).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from console.core.errors import UserError

PING_AFTER_IDLE_S = 5.0  # a pooled PostgreSQL connection idle this long is checked before reuse


class StoreError(UserError):
    """The store cannot be opened or used; the message is fit for the user."""


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def first_line(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return msg[0] if msg else type(exc).__name__


def sqlite_pragmas(raw: sqlite3.Connection) -> None:
    for pragma in (
        # 16 KiB pages for a new database (an existing one keeps its own): bulk inserts of ~400-byte
        # events split and rewrite pages a third as often as with 4 KiB ones (measured: ~25 % faster).
        "page_size=16384",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        # A small bounded page cache (8 MB: no faster at 32 MB for reading, measured) and no mmap:
        # memory stays flat however big the store grows. Writers get more: see WRITER_CACHE.
        "cache_size=-8192",
        "temp_store=MEMORY",
        "busy_timeout=30000",
        # Checkpoint every ~32 MB of WAL rather than 4 MB: fewer, larger copies during bulk ingest.
        "wal_autocheckpoint=8192",
    ):
        raw.execute(f"PRAGMA {pragma}")


# The page cache of a connection that has written (a bound, not an allocation). 64 MB holds the
# id index of a million events: with ids in random order (UUIDv4), every chunk's inserts land all
# over it, and with 8 MB each commit read most of it back (`make bench`'s random-id row).
WRITER_CACHE = "PRAGMA cache_size=-65536"


class Rows:
    """What a statement returned."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._cursor)

    def first(self) -> tuple | None:
        return self._cursor.fetchone()

    def scalar(self) -> Any:
        row = self._cursor.fetchone()
        return row[0] if row else None

    def all(self) -> list[tuple]:
        return self._cursor.fetchall()


class Conn:
    """One pooled connection, lent for one block (see :meth:`Database.connection`)."""

    __slots__ = ("_marks", "raw")

    def __init__(self, raw: Any, marks: dict[str, str] | None) -> None:
        self.raw = raw  # the driver's own connection, for the hot paths
        self._marks = marks  # PostgreSQL: SQL with ? -> with %s, cached

    def sql(self, sql: str) -> str:
        """``sql`` with the driver's placeholders (every ``?`` is one: none inside literals)."""
        marks = self._marks
        if marks is None:
            return sql
        out = marks.get(sql)
        if out is None:
            out = marks[sql] = sql.replace("%", "%%").replace("?", "%s")
        return out

    def execute(self, sql: str, params: Sequence = ()) -> Rows:
        cursor = self.raw.cursor()
        cursor.execute(self.sql(sql), params)
        return Rows(cursor)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        self.raw.cursor().executemany(self.sql(sql), rows)


class Database:
    """A database by URL: ``sqlite:///PATH`` or ``postgresql://…``. Thread-safe; each block gets
    a connection of its own from a small pool."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self._idle: list[tuple[Any, float]] = []  # connections not in use, and since when
        self._lock = threading.Lock()
        self._marks: dict[str, str] | None = None
        self.in_memory = False  # an SQLite database that lives only in this process
        if url.startswith("sqlite:///"):
            self.dialect = "sqlite"
            path = url[len("sqlite:///") :]
            self.in_memory = path in ("", ":memory:")
            if self.in_memory:
                # one in-memory database shared by this store's connections while any is open
                self._target = f"file:trustops-{id(self)}?mode=memory&cache=shared"
            else:
                p = Path(path)
                if create:
                    try:
                        p.parent.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise StoreError(
                            f"store: cannot open {url}: {exc.strerror}: {exc.filename}"
                        ) from None
                elif not p.exists():
                    raise StoreError(f"store: no such database file: {p}")
                self._target = str(p)
            self.errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
        elif url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            import psycopg

            self.dialect = "postgresql"
            self._target = "postgresql://" + url.split("://", 1)[1]
            self._marks = {}
            self.errors = (psycopg.Error,)
        else:
            raise StoreError(
                f"store: unsupported URL {redact_url(url)!r} (use sqlite:///PATH or postgresql://…)"
            )

    # -- connections -----------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            raw = sqlite3.connect(
                self._target,
                timeout=30,
                isolation_level=None,
                check_same_thread=False,
                uri=self._target.startswith("file:"),
            )
            sqlite_pragmas(raw)
            return raw
        import psycopg

        return psycopg.connect(self._target, autocommit=True, connect_timeout=5)

    def _checkout(self) -> Any:
        while True:
            with self._lock:
                if not self._idle:
                    break
                raw, idle_since = self._idle.pop()
            if self.dialect == "sqlite" or self._alive(raw, idle_since):
                return raw
            _close(raw)
        return self._connect()

    @staticmethod
    def _alive(raw: Any, idle_since: float) -> bool:
        """Whether a pooled PostgreSQL connection still works. One idle for a while is pinged:
        a server restart, a failover or an idle timeout ends connections without a word."""
        if raw.closed or raw.broken:
            return False
        if time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return True
        try:
            raw.execute("SELECT 1")
        except Exception:  # any failure: the connection is dropped, a fresh one is made
            return False
        return True

    def _checkin(self, raw: Any) -> None:
        with self._lock:
            self._idle.append((raw, time.monotonic()))

    @contextmanager
    def connection(self, *, begin: str | None = None, doing: str = "query failed on") -> Iterator[Conn]:
        """A connection for one block, in a transaction when ``begin`` names its BEGIN statement
        (committed at the end of the block, rolled back if it raises). Database errors come out
        as :class:`StoreError` saying what failed where; other exceptions pass unchanged."""
        try:
            raw = self._checkout()
        except self.errors as exc:
            raise StoreError(f"store: cannot open {redact_url(self.url)}: {first_line(exc)}") from None
        reusable = True
        try:
            if begin is not None:
                raw.execute(begin)
            yield Conn(raw, self._marks)
            if begin is not None:
                raw.execute("COMMIT")
        except BaseException as exc:
            reusable = begin is None or _rollback(raw)
            if isinstance(exc, self.errors):
                raise StoreError(f"store: {doing} {redact_url(self.url)}: {first_line(exc)}") from None
            raise
        finally:
            if reusable:
                self._checkin(raw)
            else:
                _close(raw)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for raw, _ in idle:
            _close(raw)

    # -- tables ----------------------------------------------------------------------------------
    def table_names(self, conn: Conn) -> set[str]:
        if self.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        return {row[0] for row in conn.execute(sql)}

    def create_tables(self, conn: Conn) -> None:
        """Create the store's tables and indexes where missing (see console.core.schema)."""
        from console.core.schema_ddl import DDL

        for statement in DDL[self.dialect]:
            conn.raw.execute(statement)


def _rollback(raw: Any) -> bool:
    """Roll back; False when the connection is no longer fit to reuse."""
    try:
        raw.execute("ROLLBACK")
    except Exception:  # a broken connection is closed, not reused
        return False
    return True


def _close(raw: Any) -> None:
    with suppress(Exception):  # closing a broken connection may fail too
        raw.close()
