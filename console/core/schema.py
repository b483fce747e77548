"""The store's tables, declared once with SQLModel for SQLite and PostgreSQL alike.

Indexes follow the queries that matter: one conversation's trail (conversation_id), KPI
windows per deployment and version (ts_ms first for range scans), findings by conversation (a
trail's, and a customer's memory through the conversations that wrote or read it).

The DDL these declarations give is kept rendered in :mod:`console.core.schema_ddl`, so creating a
store does not import SQLAlchemy (half a second); regenerate it after a change here with
``python -m console.core.schema`` (a test fails while the two differ).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, Text, text
from sqlmodel import Field, SQLModel

# SQLite only aliases the rowid for INTEGER PRIMARY KEY; PostgreSQL wants 64 bits.
_SEQ = BigInteger().with_variant(Integer, "sqlite")

_OPS = text("type IN ('deploy', 'control')")


class EventRow(SQLModel, table=True):
    """Every event as received (``body`` is its JSON), indexed for trails and operations."""

    __tablename__ = "events"
    __table_args__ = (
        # A trail's events come back in a few pages and are sorted by time in memory: the time
        # in the index would only make every entry bigger.
        Index("ix_events_conv", "conversation_id"),
        # Deploys and control actions are rare and read on every KPI view: a partial index
        # costs nothing for the millions of conversation events.
        Index("ix_events_ops", "ts_ms", sqlite_where=_OPS, postgresql_where=_OPS),
    )
    seq: int | None = Field(default=None, sa_column=Column(_SEQ, primary_key=True, autoincrement=True))
    id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    ts_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    type: str = Field(sa_column=Column(Text, nullable=False))
    conversation_id: str | None = Field(default=None, sa_column=Column(Text))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FindingRow(SQLModel, table=True):
    """What the detectors found in one event (see console.core.findings), read by conversation.

    When and where the event happened is the event's (and its conversation's): not copied here,
    where every column costs the ingest writer on each of the hundreds of thousands of rows.
    """

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_conv", "conversation_id"),)
    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=Column(Text, nullable=False))
    event_type: str = Field(sa_column=Column(Text, nullable=False))
    conversation_id: str | None = Field(default=None, sa_column=Column(Text))
    category: str = Field(sa_column=Column(Text, nullable=False))
    type: str = Field(sa_column=Column(Text, nullable=False))
    field: str = Field(default="", sa_column=Column(Text, nullable=False))
    start: int = -1
    end: int = -1
    value_hash: str | None = Field(default=None, sa_column=Column(Text))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class ConversationRow(SQLModel, table=True):
    """One row per conversation, kept current at ingest so lists and KPIs never scan events."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conv_started", "started_ms"),
        Index("ix_conv_dep_started", "deployment", "started_ms"),
        # No index on customer_id: see console.core.store_format, format 2.
    )
    conversation_id: str = Field(sa_column=Column(Text, primary_key=True))
    customer_id: str | None = Field(default=None, sa_column=Column(Text))
    deployment: str | None = Field(default=None, sa_column=Column(Text))
    model_version: str | None = Field(default=None, sa_column=Column(Text))
    channel: str | None = Field(default=None, sa_column=Column(Text))
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    turns: int = 0
    events: int = 0
    flags: int = 0
    feedback: str | None = Field(default=None, sa_column=Column(Text))
    resolved: bool | None = None
    model_calls: int = 0
    model_errors: int = 0
    tool_calls: int = 0
    tool_unauthorized: int = 0
    assistant_messages: int = 0
    ungrounded: int = 0


class LatencyRollupRow(SQLModel, table=True):
    """Model-call latency histograms per 10 s slot, deployment and version (see kpi_latency).

    Upserted once per ingest chunk from the newly stored ``model.call`` events, so counts only add.
    """

    __tablename__ = "latency_rollup"
    slot_ms: int = Field(sa_column=Column(BigInteger, primary_key=True))
    deployment: str = Field(sa_column=Column(Text, primary_key=True))
    model_version: str = Field(sa_column=Column(Text, primary_key=True))
    bucket: int = Field(sa_column=Column(Integer, primary_key=True))
    calls: int = Field(sa_column=Column(BigInteger, nullable=False))


class IngestOffset(SQLModel, table=True):
    """Where ingest stopped in each file, saved in the same transaction as the events it covers."""

    __tablename__ = "ingest_offsets"
    path: str = Field(sa_column=Column(Text, primary_key=True))
    offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    line: int = Field(sa_column=Column(BigInteger, nullable=False))
    fingerprint: str = Field(sa_column=Column(Text, nullable=False))
    generation: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class RejectRow(SQLModel, table=True):
    """Every rejected line. ``generation`` tells apart the successive files at one path."""

    __tablename__ = "rejects"
    path: str = Field(sa_column=Column(Text, primary_key=True))
    generation: int = Field(sa_column=Column(Integer, primary_key=True))
    line: int = Field(sa_column=Column(BigInteger, primary_key=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))


class OperatorLogRow(SQLModel, table=True):
    """What operators did in the console (reveals, playbook runs): who, when, what."""

    __tablename__ = "operator_log"
    seq: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    operator: str = Field(sa_column=Column(Text, nullable=False))
    action: str = Field(sa_column=Column(Text, nullable=False))
    target: str = Field(default="", sa_column=Column(Text, nullable=False))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(sa_column=Column(Text, primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


# Every table, in creation order (see console.core.store.TABLE_NAMES).
TABLES = [
    m.__table__  # type: ignore[attr-defined]
    for m in (
        EventRow,
        FindingRow,
        ConversationRow,
        LatencyRollupRow,
        IngestOffset,
        RejectRow,
        OperatorLogRow,
        MetaRow,
    )
]


def ddl(dialect: str) -> list[str]:
    """The statements that create every table and index where missing, for ``sqlite`` or
    ``postgresql``."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    compiler = sqlite.dialect() if dialect == "sqlite" else postgresql.dialect()
    out = []
    for table in TABLES:
        out.append(str(CreateTable(table, if_not_exists=True).compile(dialect=compiler)).strip())
        for index in sorted(table.indexes, key=lambda ix: ix.name):
            out.append(str(CreateIndex(index, if_not_exists=True).compile(dialect=compiler)).strip())
    return out


def render_ddl_module() -> str:
    """The source of :mod:`console.core.schema_ddl`."""
    lines = [
        '"""The store\'s DDL, rendered from console.core.schema: do not edit (regenerate with',
        '``python -m console.core.schema``)."""',
        "",
        "DDL: dict[str, tuple[str, ...]] = {",
    ]
    for dialect in ("sqlite", "postgresql"):
        lines.append(f"    {dialect!r}: (")
        lines += [f"        {statement!r}," for statement in ddl(dialect)]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).with_name("schema_ddl.py").write_text(render_ddl_module())
