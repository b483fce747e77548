"""Read queries shared by the CLI and the console: conversation lists and one conversation's trail."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from console.core.flags import FLAG_BITS, flag_names
from console.core.search import SearchIndex
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
    sort: str = "newest"  # a key of SORTS

    def describe(self) -> str:
        parts = [f"flag={f}" for f in self.flags]
        for name in ("deployment", "model_version", "customer_id", "search"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value}")
        return " ".join(parts) or "all"


# Orders the conversation list offers; every one ends on a unique key so paging is stable.
SORTS: dict[str, str] = {
    "newest": "started_ms DESC, conversation_id",
    "oldest": "started_ms ASC, conversation_id",
    "turns": "turns DESC, started_ms DESC, conversation_id",
    "deployment": "deployment, model_version, started_ms DESC, conversation_id",
    "customer": "customer_id, started_ms DESC, conversation_id",
}


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


def _where(store: Store, f: ConversationFilter) -> tuple[str, list]:
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
        sql, more = SearchIndex(store).clause(f.search)
        clauses.append(sql)
        params += more
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_conversations(store: Store, f: ConversationFilter) -> list[ConversationSummary]:
    where, params = _where(store, f)
    if f.sort not in SORTS:
        raise ValueError(f"unknown sort {f.sort!r} (one of: {', '.join(SORTS)})")
    sql = f"SELECT {_CONV_COLS} FROM conversations{where} ORDER BY {SORTS[f.sort]} LIMIT ? OFFSET ?"
    rows = store.query(sql, [*params, f.limit, f.offset])
    return [_summary(r) for r in rows]


def count_conversations(store: Store, f: ConversationFilter) -> int:
    where, params = _where(store, f)
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


@dataclass(slots=True)
class MemoryRead:
    """One time a memory item was read back into a conversation."""

    event_id: str
    ts_ms: int
    conversation_id: str
    customer_id: str | None  # the customer of the conversation that read it
    findings: list[StoredFinding] = field(default_factory=list)  # on this copy of the item's text


@dataclass(slots=True)
class MemoryItemHistory:
    owner: str  # the customer the item is about
    memory_id: str
    text: str
    written_ms: int | None = None  # None: written before anything the store holds
    written_in: str | None = None  # conversation id
    write_event_id: str | None = None
    findings: list[StoredFinding] = field(default_factory=list)  # on ``text``
    reads: list[MemoryRead] = field(default_factory=list)

    @property
    def leaked_to(self) -> list[str]:
        """Other customers this item was read back to."""
        return sorted({r.customer_id or "?" for r in self.reads if r.customer_id != self.owner})


@dataclass(slots=True)
class CustomerMemory:
    customer_id: str
    conversations: int
    items: list[MemoryItemHistory]


def customer_memory(store: Store, customer_id: str) -> CustomerMemory:
    """Every memory item written about one customer, and every conversation it was read back in.

    Writes come from the customer's own conversations; reads are ``memory.read`` items whose
    ``origin_customer_id`` is the customer, found through the search index (the customer id is
    one of the words it holds), then checked exactly.
    """
    conversations = int(
        store.scalar("SELECT count(*) FROM conversations WHERE customer_id = ?", [customer_id]) or 0
    )
    items: dict[str, MemoryItemHistory] = {}
    writes = store.query(
        "SELECT ts_ms, conversation_id, body FROM events WHERE type = 'memory.write' AND conversation_id IN "
        "(SELECT conversation_id FROM conversations WHERE customer_id = ?) ORDER BY ts_ms, seq",
        [customer_id],
    )
    for ts, cid, body in writes:
        data = orjson.loads(body)
        mid = str(data.get("memory_id"))
        items.setdefault(
            mid, MemoryItemHistory(customer_id, mid, str(data.get("text", "")), int(ts), cid, data.get("id"))
        )
    where, params = SearchIndex(store).clause(customer_id, column="e.conversation_id")
    reads = store.query(
        "SELECT e.ts_ms, e.conversation_id, e.body, c.customer_id FROM events e "
        "LEFT JOIN conversations c ON c.conversation_id = e.conversation_id "
        f"WHERE e.type = 'memory.read' AND {where} "
        "ORDER BY e.ts_ms, e.seq",
        params,
    )
    read_fields: dict[str, dict[str, MemoryRead]] = {}  # event id -> field path -> read
    text_from_read: dict[tuple[str, str], MemoryItemHistory] = {}  # items only known from a read
    for ts, cid, body, reader in reads:
        data = orjson.loads(body)
        for i, item in enumerate(data.get("items") or []):
            if not isinstance(item, dict) or item.get("origin_customer_id") != customer_id:
                continue
            mid = str(item.get("memory_id"))
            history = items.get(mid)
            if history is None:
                history = items[mid] = MemoryItemHistory(
                    customer_id, mid, str(item.get("text", "")), written_in=item.get("origin_conversation_id")
                )
                text_from_read[(data["id"], f"items.{i}.text")] = history
            read = MemoryRead(data["id"], int(ts), cid, reader)
            history.reads.append(read)
            read_fields.setdefault(data["id"], {})[f"items.{i}.text"] = read
    _attach_findings(store, items, read_fields, text_from_read)
    return CustomerMemory(customer_id, conversations, list(items.values()))


def _attach_findings(
    store: Store,
    items: dict[str, MemoryItemHistory],
    read_fields: dict[str, dict[str, MemoryRead]],
    text_from_read: dict[tuple[str, str], MemoryItemHistory],
) -> None:
    by_write = {h.write_event_id: h for h in items.values() if h.write_event_id}
    # Findings are indexed by conversation (the trail's query): those of the conversations that
    # wrote or read the items, kept when they are on one of those events.
    conversations = sorted(
        {h.written_in for h in by_write.values() if h.written_in}
        | {r.conversation_id for fields in read_fields.values() for r in fields.values()}
    )
    for i in range(0, len(conversations), 500):
        chunk = conversations[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for row in store.query(
            'SELECT event_id, category, type, field, start, "end", value_hash, detail FROM findings '
            f"WHERE conversation_id IN ({marks}) ORDER BY seq",
            chunk,
        ):
            if row[0] not in by_write and row[0] not in read_fields:
                continue
            finding = StoredFinding(*row)
            history = by_write.get(finding.event_id)
            if history is not None and finding.field == "text":
                history.findings.append(finding)
            read = read_fields.get(finding.event_id, {}).get(finding.field)
            if read is not None:
                read.findings.append(finding)
            shown = text_from_read.get((finding.event_id, finding.field))
            if shown is not None:
                shown.findings.append(finding)
