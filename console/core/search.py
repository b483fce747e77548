"""Full-text search over conversations, indexed in the background (lnav style).

The ingest hot path never touches the index. :meth:`SearchIndex.catch_up` reads the events stored
since a watermark (the last ``seq`` indexed, kept in the ``meta`` table in the same transaction
as the index rows it covers) and indexes them at conversation granularity: one document per
conversation per chunk, holding every string the events carry (messages, documents, memory items,
tool arguments, ids). SQLite uses FTS5 (a contentless table: the text is already in ``events``),
PostgreSQL a ``tsvector`` column with a GIN index and ``plainto_tsquery('simple', …)``.

Both backends read a query the same way: whitespace-separated words, all of which must match,
case aside but accents included (PostgreSQL's ``simple`` configuration keeps them).
Events above the watermark (the part not indexed yet) are matched by a substring scan of the
tail, so a search is complete even while the index catches up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson

from console.core.meta import read_meta, write_meta
from console.core.store import Store

WATERMARK_KEY = "search.watermark"
CHUNK_EVENTS = 5000
_MAX_DOC_CHARS = 100_000  # a tsvector holds at most 1 MB; positions stop counting at 16,383
_SKIP_KEYS = frozenset(("v", "ts", "type"))


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """Where a catch-up stands: ``indexed`` of about ``total`` events pending when it started."""

    indexed: int
    total: int
    watermark: int
    done: bool

    @property
    def fraction(self) -> float:
        return 1.0 if not self.total else min(1.0, self.indexed / self.total)


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def query_words(text: str) -> list[str]:
    """The words of a query: whitespace-separated (control characters count as spaces), each
    holding at least one letter or digit."""
    return [w for w in _CONTROLS.sub(" ", text).split() if any(ch.isalnum() for ch in w)]


def event_text(data: object) -> Iterator[str]:
    """Every string value an event carries (keys excepted), depth first."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key not in _SKIP_KEYS:
                yield from event_text(value)
    elif isinstance(data, list):
        for value in data:
            yield from event_text(value)


class SearchIndex:
    """The conversation search index of one store. Safe to use from several threads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._backend: _Backend = _Postgres() if store.dialect == "postgresql" else _Sqlite()
        self._ready = False
        self._lock = threading.Lock()

    # -- maintenance -----------------------------------------------------------------------------
    def ensure(self) -> None:
        """Create the index tables if they are missing (once per instance)."""
        with self._lock:
            if self._ready:
                return
            with self.store.transaction() as conn:
                for ddl in self._backend.ddl:
                    conn.execute(ddl)
            self._ready = True

    def watermark(self) -> int:
        with self.store.db.connection() as conn:
            return int(read_meta(conn, WATERMARK_KEY) or 0)

    def latest_seq(self) -> int:
        return int(self.store.scalar("SELECT max(seq) FROM events") or 0)

    def catch_up(
        self,
        limit: int | None = None,
        *,
        chunk: int = CHUNK_EVENTS,
        progress: Callable[[IndexProgress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Index events stored since the watermark, ``chunk`` per transaction; at most ``limit``
        events when given. Returns how many events were read. ``stop`` ends it between chunks."""
        self.ensure()
        start = self.watermark()
        total = max(0, self.latest_seq() - start)
        if limit is not None:
            total = min(total, limit)
        done = 0
        while limit is None or done < limit:
            if stop is not None and stop.is_set():
                break
            size = chunk if limit is None else min(chunk, limit - done)
            read, mark = self._index_chunk(size)
            done += read
            if progress is not None:
                progress(IndexProgress(done, max(total, done), mark, read < size))
            if read < size:
                break
        return done

    def _index_chunk(self, size: int) -> tuple[int, int]:
        with self.store.transaction() as conn:
            # Re-read the watermark under the writer lock: two consoles never index a range twice.
            low = int(read_meta(conn, WATERMARK_KEY) or 0)
            rows = conn.execute(
                "SELECT seq, conversation_id, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (low, size),
            ).all()
            if not rows:
                return 0, low
            docs = _documents(rows)
            if docs:
                self._backend.insert(conn, docs)
            high = int(rows[-1][0])
            write_meta(conn, WATERMARK_KEY, str(high))
            return len(rows), high

    # -- querying --------------------------------------------------------------------------------
    def clause(self, text: str, column: str = "conversation_id") -> tuple[str, list]:
        """A SQL condition (``?`` placeholders) true for conversations matching ``text``.

        Indexed events are matched through the index, the tail above the watermark by a
        substring scan. A query with no words matches nothing.
        """
        words = query_words(text)
        if not words:
            return "1 = 0", []
        subqueries: list[str] = []
        params: list = []
        low = 0
        if self._indexed():
            sql, params = self._backend.match(words)
            subqueries.append(sql)
            low = self.watermark()
        contains = " AND ".join([self._backend.contains] * len(words))
        subqueries.append(
            f"SELECT conversation_id FROM events WHERE seq > ? AND conversation_id IS NOT NULL AND {contains}"
        )
        params += [low, *(w.lower() for w in words)]
        # One IN over a UNION, not an OR of two INs: the planner keeps using the column's index.
        return f"{column} IN ({' UNION '.join(subqueries)})", params

    def search(self, text: str, *, limit: int | None = None) -> list[str]:
        """Ids of the conversations matching ``text``, newest first."""
        where, params = self.clause(text)
        sql = f"SELECT conversation_id FROM conversations WHERE {where} ORDER BY started_ms DESC, conversation_id"
        if limit is not None:
            sql += " LIMIT ?"
            params = [*params, limit]
        return [r[0] for r in self.store.query(sql, params)]

    def _indexed(self) -> bool:
        if self._ready:
            return True
        found = self.store.query(self._backend.exists)
        self._ready = bool(found)
        return self._ready


def _documents(rows: list) -> list[tuple[str, str]]:
    """(conversation_id, text) documents for a chunk of events: one per conversation, split when long."""
    texts: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    for _seq, cid, body in rows:
        if cid is None:
            continue
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            continue
        parts = texts.setdefault(cid, [])
        known = seen.setdefault(cid, set())
        for value in event_text(data):
            if value and value not in known:
                known.add(value)
                parts.append(value)
    docs: list[tuple[str, str]] = []
    for cid, parts in texts.items():
        doc: list[str] = []
        size = 0
        for part in parts:
            part = part[:_MAX_DOC_CHARS]
            if doc and size + len(part) > _MAX_DOC_CHARS:
                docs.append((cid, "\n".join(doc)))
                doc, size = [], 0
            doc.append(part)
            size += len(part) + 1
        if doc:
            docs.append((cid, "\n".join(doc)))
    return docs


class _Backend:
    ddl: tuple[str, ...] = ()
    exists: str = ""
    contains: str = ""

    def insert(self, conn, docs: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    def match(self, words: list[str]) -> tuple[str, list]:
        raise NotImplementedError


class _Sqlite(_Backend):
    ddl = (
        "CREATE TABLE IF NOT EXISTS search_docs (rowid INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL)",
        # Contentless: the text already lives in events; the index keeps only tokens and positions.
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
        "body, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0')",
    )
    exists = "SELECT 1 FROM sqlite_master WHERE name = 'search_fts'"
    contains = "instr(lower(CAST(body AS TEXT)), ?) > 0"

    def insert(self, conn, docs: list[tuple[str, str]]) -> None:
        base = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM search_docs").scalar() or 0) + 1
        conn.executemany(
            "INSERT INTO search_docs (rowid, conversation_id) VALUES (?, ?)",
            [(base + i, cid) for i, (cid, _) in enumerate(docs)],
        )
        conn.executemany(
            "INSERT INTO search_fts (rowid, body) VALUES (?, ?)",
            [(base + i, text) for i, (_, text) in enumerate(docs)],
        )

    def match(self, words: list[str]) -> tuple[str, list]:
        # Each word becomes a quoted FTS5 phrase: no query syntax of the user's is ever interpreted.
        query = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        return (
            "SELECT search_docs.conversation_id FROM search_fts "
            "JOIN search_docs ON search_docs.rowid = search_fts.rowid WHERE search_fts MATCH ?",
            [query],
        )


class _Postgres(_Backend):
    ddl = (
        "CREATE TABLE IF NOT EXISTS search_docs "
        "(id BIGSERIAL PRIMARY KEY, conversation_id TEXT NOT NULL, tsv TSVECTOR NOT NULL)",
        "CREATE INDEX IF NOT EXISTS ix_search_docs_tsv ON search_docs USING GIN (tsv)",
    )
    exists = "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'search_docs'"
    contains = "position(? in lower(convert_from(body, 'UTF8'))) > 0"

    def insert(self, conn, docs: list[tuple[str, str]]) -> None:
        conn.executemany(
            "INSERT INTO search_docs (conversation_id, tsv) VALUES (?, to_tsvector('simple', ?))",
            [(cid, text.replace("\x00", " ")) for cid, text in docs],
        )

    def match(self, words: list[str]) -> tuple[str, list]:
        return (
            "SELECT conversation_id FROM search_docs WHERE tsv @@ plainto_tsquery('simple', ?)",
            [" ".join(words)],
        )
