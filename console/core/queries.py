"""Read queries shared by the CLI and the console: conversation lists and one conversation's trail."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from console.core.schema import FLAG_BITS, flag_names
from console.core.store import Store

# The --flag values: detector categories plus the outcome flags a KPI can drill into.
FLAG_CHOICES = tuple(FLAG_BITS)


@dataclass(slots=True)
class ConversationFilter:
    flags: tuple[str, ...] = ()
    deployment: str | None = None
    model_version: str | None = None
    customer_id: str | None = None
    search: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int = 50
    offset: int = 0
    newest_first: bool = True

    def describe(self) -> str:
        parts = [f"flag={f}" for f in self.flags]
        for name in ("deployment", "model_version", "customer_id", "search"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value}")
        return " ".join(parts) or "all"


@dataclass(slots=True)
class ConversationSummary:
    conversation_id: str
    customer_id: str | None
    deployment: str | None
    model_version: str | None
    channel: str | None
    started_ms: int
    last_ms: int
    turns: int
    events: int
    flags: list[str]
    feedback: str | None
    resolved: bool | None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


_CONV_COLS = (
    "conversation_id, customer_id, deployment, model_version, channel, started_ms, last_ms, turns, events, "
    "flags, feedback, resolved"
)


def _where(f: ConversationFilter) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
    mask = 0
    for name in f.flags:
        if name not in FLAG_BITS:
            raise ValueError(f"unknown flag {name!r} (one of: {', '.join(FLAG_CHOICES)})")
        mask |= FLAG_BITS[name]
    if mask:
        clauses.append("(flags & ?) = ?")
        params += [mask, mask]
    for col in ("deployment", "model_version", "customer_id"):
        value = getattr(f, col)
        if value:
            clauses.append(f"{col} = ?")
            params.append(value)
    if f.since_ms is not None:
        clauses.append("last_ms >= ?")
        params.append(f.since_ms)
    if f.until_ms is not None:
        clauses.append("started_ms < ?")
        params.append(f.until_ms)
    if f.search:
        clauses.append(
            "conversation_id IN (SELECT conversation_id FROM events WHERE conversation_id IS NOT NULL "
            "AND lower(CAST(body AS TEXT)) LIKE ?)"
        )
        params.append(
            "%" + f.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_conversations(store: Store, f: ConversationFilter) -> list[ConversationSummary]:
    where, params = _where(f)
    if f.search:
        where = where.replace("LIKE ?", "LIKE ? ESCAPE '\\'")
    order = "DESC" if f.newest_first else "ASC"
    sql = f"SELECT {_CONV_COLS} FROM conversations{where} ORDER BY started_ms {order}, conversation_id LIMIT ? OFFSET ?"
    rows = store.query(sql, [*params, f.limit, f.offset])
    return [_summary(r) for r in rows]


def count_conversations(store: Store, f: ConversationFilter) -> int:
    where, params = _where(f)
    if f.search:
        where = where.replace("LIKE ?", "LIKE ? ESCAPE '\\'")
    return int(store.scalar(f"SELECT count(*) FROM conversations{where}", params) or 0)


def get_conversation(store: Store, conversation_id: str) -> ConversationSummary | None:
    rows = store.query(f"SELECT {_CONV_COLS} FROM conversations WHERE conversation_id = ?", [conversation_id])
    return _summary(rows[0]) if rows else None


def _summary(r: tuple) -> ConversationSummary:
    return ConversationSummary(
        r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7]), int(r[8]), flag_names(int(r[9])), r[10],
        None if r[11] is None else bool(r[11]),
    )  # fmt: skip


@dataclass(slots=True)
class StoredFinding:
    event_id: str
    category: str
    type: str
    field: str
    start: int
    end: int
    value_hash: str | None
    detail: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class TrailEvent:
    seq: int
    ts_ms: int
    data: dict
    findings: list[StoredFinding] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def type(self) -> str:
        return self.data["type"]


@dataclass(slots=True)
class Trail:
    conversation: ConversationSummary
    events: list[TrailEvent]


def conversation_trail(store: Store, conversation_id: str) -> Trail | None:
    conv = get_conversation(store, conversation_id)
    if conv is None:
        return None
    rows = store.query(
        "SELECT seq, ts_ms, body FROM events WHERE conversation_id = ? ORDER BY ts_ms, seq", [conversation_id]
    )
    events = [TrailEvent(int(seq), int(ts), orjson.loads(body)) for seq, ts, body in rows]
    by_id = {e.id: e for e in events}
    for row in store.query(
        'SELECT event_id, category, type, field, start, "end", value_hash, detail FROM findings '
        "WHERE conversation_id = ? ORDER BY seq",
        [conversation_id],
    ):
        ev = by_id.get(row[0])
        if ev is not None:
            ev.findings.append(StoredFinding(*row))
    return Trail(conv, events)
