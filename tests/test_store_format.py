"""The store's format: a new store records it, a store from an older trustops is upgraded on open
(its data kept), and one from a newer trustops, or with an unreadable format, is refused in one line.

Format-1 stores are rebuilt here as trustops wrote them before format 2 (the findings table with
its copied columns, the customer index), on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.jsonl import read_files
from console.core import store_format
from console.core.config import Config
from console.core.pipeline_setup import build_ingestor
from console.core.store import Store, StoreError
from tests.test_cli_foundation import assert_user_error, cli
from tests.test_ingest import ev, jl

# What format 1 had that format 2 has not: the findings table with copied columns (seq's type per
# database) and, in stores made by its earlier versions, two more indexes; the customer index; the
# trail index with the time in it.
_FORMAT_1 = (
    "CREATE TABLE findings (seq {seq} NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, "
    "conversation_id TEXT, ts_ms BIGINT NOT NULL, deployment TEXT, model_version TEXT, "
    'category TEXT NOT NULL, type TEXT NOT NULL, field TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER '
    "NOT NULL, value_hash TEXT, detail TEXT NOT NULL, PRIMARY KEY (seq))",
    "CREATE INDEX ix_findings_conv ON findings (conversation_id)",
    "CREATE INDEX ix_findings_cat_ts ON findings (category, ts_ms)",
    "CREATE INDEX ix_findings_event ON findings (event_id)",
    "CREATE INDEX ix_conv_customer ON conversations (customer_id)",
    "DROP INDEX ix_events_conv",
    "CREATE INDEX ix_events_conv_ts ON events (conversation_id, ts_ms)",
)


def _columns(store: Store, table: str) -> list[str]:
    if store.dialect == "sqlite":
        return [r[1] for r in store.query(f"SELECT * FROM pragma_table_info('{table}')")]
    return [
        r[0]
        for r in store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        )
    ]


def _indexes(store: Store) -> set[str]:
    if store.dialect == "sqlite":
        return {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {r[0] for r in store.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}


def _shape(store: Store) -> tuple[set[str], dict[str, list[str]]]:
    """The store's indexes and its tables' columns."""
    return _indexes(store), {t: _columns(store, t) for t in ("events", "findings", "conversations")}


def _format_1_store(url: str) -> None:
    """A store as a trustops before format 2 left it, holding one finding."""
    store = Store.open(url)
    seq = "INTEGER" if store.dialect == "sqlite" else "SERIAL"
    with store.transaction() as conn:
        conn.execute("DROP TABLE findings")
        for statement in _FORMAT_1:
            conn.execute(statement.format(seq=seq))
        conn.execute(
            "INSERT INTO findings (event_id, event_type, conversation_id, ts_ms, deployment, model_version, "
            'category, type, field, start, "end", value_hash, detail) '
            "VALUES ('e1', 'message.user', 'c1', 5, 'dep', 'v1', 'pii', 'email', 'text', 3, 9, 'h', '')"
        )
        conn.execute("DELETE FROM meta WHERE key = ?", (store_format.FORMAT_KEY,))
    store.close()


def test_a_new_store_is_in_the_current_format(store):
    assert store.scalar("SELECT value FROM meta WHERE key = ?", [store_format.FORMAT_KEY]) == str(
        store_format.FORMAT
    )
    assert "ts_ms" not in _columns(store, "findings")
    assert "ix_conv_customer" not in _indexes(store)


def _current_shape(url: str) -> tuple:
    """What a new store has, on this database (made and thrown away)."""
    fresh = Store.open(url)
    try:
        return _shape(fresh)
    finally:
        fresh.close()


def _data(store: Store) -> dict[str, list[tuple]]:
    return {
        "findings": store.query(
            'SELECT event_id, category, type, start, "end", value_hash FROM findings ORDER BY seq'
        ),
        "events": store.query("SELECT id, conversation_id FROM events ORDER BY seq"),
        "format": store.query("SELECT value FROM meta WHERE key = ?", [store_format.FORMAT_KEY]),
    }


def test_a_format_1_store_is_upgraded_by_a_writer_and_keeps_its_data(store_url, tmp_path):
    current = _current_shape(store_url)
    _format_1_store(store_url)
    store = Store.open(store_url)  # as ingest and the console open it
    try:
        assert _shape(store) == current  # exactly what a new store has
        assert store.scalar("SELECT value FROM meta WHERE key = ?", [store_format.FORMAT_KEY]) == "2"
        assert store.query('SELECT event_id, category, type, start, "end", value_hash FROM findings') == [
            ("e1", "pii", "email", 3, 9, "h")
        ]
        # and ingest writes findings into it (the dropped NOT NULL columns would refuse them)
        log = tmp_path / "a.jsonl"
        log.write_bytes(
            jl(
                ev("s", "conversation.start", "c2", 0, customer_id="cus-1"),
                ev("u", "message.user", "c2", 1, turn=1, text="mail me at ana@example.org"),
            )
        )
        ing = build_ingestor(store, Config(), detectors=True)
        ing.run(read_files([str(log)], ing.resume_of))
        assert store.query("SELECT event_id, type FROM findings WHERE conversation_id = 'c2'") == [
            ("u", "email")
        ]
        before = _data(store)
    finally:
        store.close()
    again = Store.open(store_url)  # a second open finds nothing to do
    try:
        assert (_shape(again), _data(again)) == (current, before)
    finally:
        again.close()


def test_a_reading_command_reads_a_format_1_store_as_it_is(store_url):
    _format_1_store(store_url)
    store = Store.open(store_url, create=False)  # as show, conversations and kpi open it
    try:
        assert "ts_ms" in _columns(store, "findings")  # not upgraded: it may be read-only
        assert store.query("SELECT event_id, type FROM findings") == [("e1", "email")]
    finally:
        store.close()


def test_a_failed_upgrade_changes_nothing(store_url, monkeypatch):
    _format_1_store(store_url)
    probe = Store.open(store_url, create=False)
    shape, data = _shape(probe), _data(probe)
    probe.close()

    def half_done(conn, dialect):
        real(conn, dialect)
        raise store_format.FormatError("failed half way, as a full disk would")

    real = store_format.STEPS[1]
    monkeypatch.setitem(store_format.STEPS, 1, half_done)
    with pytest.raises(StoreError, match="failed half way"):
        Store.open(store_url)
    probe = Store.open(store_url, create=False)
    try:
        assert (_shape(probe), _data(probe)) == (shape, data)
    finally:
        probe.close()


@pytest.mark.parametrize("missing", ["latency_rollup", "findings"])
def test_an_older_store_with_fewer_tables_is_completed_and_upgraded(store_url, missing):
    current = _current_shape(store_url)
    _format_1_store(store_url)
    store = Store.open(store_url)
    with store.transaction() as conn:
        conn.execute(f"DROP TABLE {missing}")
    store.close()
    store = Store.open(store_url)
    try:
        assert _shape(store) == current
        assert store.scalar("SELECT value FROM meta WHERE key = ?", [store_format.FORMAT_KEY]) == "2"
    finally:
        store.close()


def test_concurrent_writers_upgrade_once(store_url):
    current = _current_shape(store_url)
    _format_1_store(store_url)
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: Store.open(store_url), range(4)))
    try:
        assert [_shape(s) for s in stores] == [current] * 4
        assert _data(stores[0])["findings"] == [("e1", "pii", "email", 3, 9, "h")]
    finally:
        for s in stores:
            s.close()


@pytest.mark.parametrize(
    ("value", "says"),
    [("3", "is in format 3, newer than this trustops reads (2): upgrade trustops"), ("2b", "unreadable")],
)
def test_a_newer_or_unreadable_format_is_refused(tmp_path, value, says):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    with store.transaction() as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, store_format.FORMAT_KEY))
    store.close()
    with pytest.raises(StoreError, match=re.escape(says)):
        Store.open(url)


def test_the_cli_says_so_in_one_line(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    with store.transaction() as conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = ?", (store_format.FORMAT_KEY,))
    store.close()
    proc = cli(monkeypatch, tmp_path, "conversations", "--store", url)
    assert_user_error(proc, "store.db", "format 9", "upgrade trustops")


def test_the_cli_says_it_upgrades_a_store_once(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _format_1_store(url)
    log = tmp_path / "a.jsonl"
    log.write_bytes(jl(ev("s", "conversation.start", "c2", 0, customer_id="cus-1")))
    reading = cli(monkeypatch, tmp_path, "conversations", "--store", url)
    assert reading.returncode == 0 and reading.stderr == ""  # readers leave it as it is
    first = cli(monkeypatch, tmp_path, "ingest", str(log), "--store", url)
    assert first.returncode == 0, first.stderr
    assert first.stderr == (
        f"trustops: store {url} is in format 1: upgrading it to format 2 (once; a big store takes a while)\n"
    )
    again = cli(monkeypatch, tmp_path, "ingest", str(log), "--store", url)
    assert again.returncode == 0 and again.stderr == ""
