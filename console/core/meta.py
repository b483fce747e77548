"""The store's ``meta`` table: small named values kept with the data they describe (the store's
format, the search index's watermark), read and written inside the caller's transaction."""

from __future__ import annotations

from console.core.db import Conn


def read_meta(conn: Conn, key: str) -> str | None:
    value = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).scalar()
    return None if value is None else str(value)


def write_meta(conn: Conn, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
