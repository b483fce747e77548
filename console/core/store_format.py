"""The store's format, and the steps that bring a store written by an older trustops up to it.

The format is a number in the ``meta`` table (``store.format``); a store from before it was kept
there is format 1. Opening a store brings it up to :data:`FORMAT` once, under the writer lock,
in one transaction (on both databases DDL is transactional: a failed upgrade changes nothing).
A store from a newer trustops is refused rather than guessed at.
"""

from __future__ import annotations

from console.core.db import Conn

FORMAT = 2
FORMAT_KEY = "store.format"

# Format n to n + 1, the same SQL on SQLite (3.35 or later) and PostgreSQL.
STEPS: dict[int, tuple[str, ...]] = {
    1: (
        # Indexes that earlier format-1 trustops made and later ones stopped declaring (creating
        # tables "if not exists" never removed them); the first would block dropping ts_ms.
        "DROP INDEX IF EXISTS ix_findings_cat_ts",
        "DROP INDEX IF EXISTS ix_findings_event",
        # Findings stop copying their event's time, deployment and model version: nothing read
        # them, and every column costs the ingest writer on each of hundreds of thousands of rows.
        "ALTER TABLE findings DROP COLUMN ts_ms",
        "ALTER TABLE findings DROP COLUMN deployment",
        "ALTER TABLE findings DROP COLUMN model_version",
        # A customer's conversations are found by scanning the roll-ups (milliseconds for 100k
        # conversations): an index on a key that arrives in random order dirties pages all over
        # it on every ingest commit, and cost the writer more than any other index.
        "DROP INDEX IF EXISTS ix_conv_customer",
        # A trail's events are found by conversation alone and sorted by time in memory.
        "DROP INDEX IF EXISTS ix_events_conv_ts",
        "CREATE INDEX IF NOT EXISTS ix_events_conv ON events (conversation_id)",
    ),
}


class FormatError(Exception):
    """The store's format is not one this trustops can read or upgrade; the message says why."""


def stored_format(conn: Conn) -> int:
    value = conn.execute("SELECT value FROM meta WHERE key = ?", (FORMAT_KEY,)).scalar()
    if value is None:
        return 1
    if not (str(value).isascii() and str(value).isdigit() and int(value) >= 1):
        raise FormatError(f"has an unreadable {FORMAT_KEY} in its meta table (not a number)")
    return int(value)


def mark_current(conn: Conn) -> None:
    """Record that the store is in :data:`FORMAT` (a new store, or one just upgraded)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (FORMAT_KEY, str(FORMAT)),
    )


def upgrade(conn: Conn) -> int:
    """Bring the store up to :data:`FORMAT` inside the caller's write transaction; the format
    it was in. Raises :class:`FormatError` for a store from a newer trustops."""
    found = stored_format(conn)
    if found > FORMAT:
        raise FormatError(
            f"is in format {found}, newer than this trustops reads ({FORMAT}): upgrade trustops"
        )
    for n in range(found, FORMAT):
        for statement in STEPS[n]:
            conn.execute(statement)
    if found < FORMAT:
        mark_current(conn)
    return found
