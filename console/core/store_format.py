"""The store's format, and the steps that bring a store written by an older trustops up to it.

The format is a number in the ``meta`` table (``store.format``); a store from before it was kept
there is format 1. A trustops that writes to a store (``Store.open(create=True)``: ingest, the
console, the demo) brings it up to :data:`FORMAT` once, under the writer lock, in one
transaction (on both databases DDL is transactional: a failed upgrade changes nothing). Reading
commands read an older store as it is. A store from a newer trustops is refused rather than
guessed at.

Each step checks what the store has before changing it, so it also fits a store that is only
partly in the older layout (one whose creation an older trustops left to a newer one, say).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from console.core.db import Conn
from console.core.meta import read_meta, write_meta

FORMAT = 2
FORMAT_KEY = "store.format"


class FormatError(Exception):
    """The store's format is not one this trustops can read or upgrade; the message says why."""


def stored_format(conn: Conn) -> int:
    value = read_meta(conn, FORMAT_KEY)
    if value is None:
        return 1
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise FormatError(f"has an unreadable {FORMAT_KEY} in its meta table (not a number)")
    found = int(value)
    if found > FORMAT:
        raise FormatError(
            f"is in format {found}, newer than this trustops reads ({FORMAT}): upgrade trustops"
        )
    return found


def mark_current(conn: Conn) -> None:
    """Record that the store is in :data:`FORMAT` (a new store, or one just upgraded)."""
    write_meta(conn, FORMAT_KEY, str(FORMAT))


def upgrade(conn: Conn, dialect: str) -> int:
    """Bring the store up to :data:`FORMAT` inside the caller's write transaction; the format
    it was in. Raises :class:`FormatError` for a store this trustops cannot upgrade."""
    found = stored_format(conn)
    for n in range(found, FORMAT):
        STEPS[n](conn, dialect)
    if found < FORMAT:
        mark_current(conn)
    return found


def _to_2(conn: Conn, dialect: str) -> None:
    for index in (
        # Made by earlier format-1 trustops, no longer declared by later ones (creating tables
        # "if not exists" never removed them); the first would block dropping ts_ms.
        "ix_findings_cat_ts",
        "ix_findings_event",
        # Conversations lose their customer index: its keys arrive in random order, so every
        # ingest commit rewrote pages all over it, and a scan of the roll-ups finds a customer's
        # conversations in milliseconds.
        "ix_conv_customer",
        # A trail's events are found by conversation alone and sorted by time in memory.
        "ix_events_conv_ts",
    ):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_events_conv ON events (conversation_id)")
    # Findings stop copying their event's time, deployment and model version: nothing read them,
    # and every column costs the ingest writer on each of hundreds of thousands of rows.
    copied = {"ts_ms", "deployment", "model_version"} & _columns(conn, dialect, "findings")
    if copied and dialect == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        raise FormatError(f"needs SQLite 3.35 or later to upgrade (this Python has {sqlite3.sqlite_version})")
    for column in sorted(copied):
        conn.execute(f"ALTER TABLE findings DROP COLUMN {column}")


# Format n to n + 1.
STEPS: dict[int, Callable[[Conn, str], None]] = {1: _to_2}


def _columns(conn: Conn, dialect: str, table: str) -> set[str]:
    if dialect == "sqlite":
        return {row[1] for row in conn.execute(f"SELECT * FROM pragma_table_info('{table}')")}
    sql = "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
    return {row[0] for row in conn.execute(sql, (table,))}
