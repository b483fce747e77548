"""The ingest pipeline end to end on real files and real stores (SQLite and PostgreSQL): exact reject
lists, idempotence on event id, conversation roll-ups, and the restart property of GitHub issue 2
(kill an ingest half-way, run it again: exactly the store of an uninterrupted run)."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import orjson
import pytest

from connectors import jsonl
from connectors.jsonl import FileReader, read_files
from console.core.findings import Finding
from console.core.flags import FLAG_BITS
from console.core.ingest import Ingestor, Reject
from console.core.store import _INSERTS, Store
from tests import eventgen

ROOT = Path(__file__).resolve().parent.parent
TRUSTOPS = ROOT / ".venv" / "bin" / "trustops"
T0 = int(eventgen.BASE.timestamp() * 1000)


def ev(id_: str, type_: str, cid: str | None = "c-a", ms: int = 0, **fields) -> dict:
    out: dict = {"v": 1, "id": id_, "ts": eventgen.ts(ms), "type": type_}
    if cid is not None:
        out.update(conversation_id=cid, deployment=fields.pop("deployment", "dep-1"), model_version="v41")
    out.update(fields)
    return out


def user(id_: str, cid: str = "c-a", ms: int = 0, turn: int = 1, text: str = "hi") -> dict:
    return ev(id_, "message.user", cid, ms, turn=turn, text=text)


def jl(*objs: dict) -> bytes:
    return b"".join(orjson.dumps(o) + b"\n" for o in objs)


def ingest(store: Store, *paths, ingestor: Ingestor | None = None, **kw) -> tuple[Ingestor, list[Reject]]:
    rejects: list[Reject] = []
    ing = ingestor or Ingestor(store, on_reject=rejects.append, **kw)
    ing.run(
        read_files([str(p) for p in paths], ing.resume_of, max_line_bytes=kw.get("max_line_bytes") or 1 << 20)
    )
    return ing, rejects


def _norm(v):
    if isinstance(v, memoryview):
        return bytes(v)
    return v


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every table that ingest writes, in a natural order, with the surrogate keys left out."""
    q = {
        "events": "SELECT id, ts_ms, type, conversation_id, body FROM events ORDER BY id",
        "conversations": "SELECT conversation_id, customer_id, deployment, model_version, channel, started_ms, "
        "last_ms, turns, events, flags, feedback, resolved, model_calls, model_errors, tool_calls, "
        "tool_unauthorized, assistant_messages, ungrounded FROM conversations ORDER BY conversation_id",
        "rejects": "SELECT path, line, reason FROM rejects ORDER BY path, line",
        "findings": 'SELECT event_id, event_type, conversation_id, category, type, field, start, "end", value_hash, detail FROM findings ORDER BY event_id, category, type, field, start',
        "ingest_offsets": 'SELECT path, "offset", line, fingerprint FROM ingest_offsets ORDER BY path',
    }
    out = {}
    for table, sql in q.items():
        rows = [tuple(_norm(v) for v in r) for r in store.query(sql)]
        if table == "conversations":
            rows = [(*r[:11], None if r[11] is None else bool(r[11]), *r[12:]) for r in rows]
        out[table] = rows
    return out


def conversation(store: Store, cid: str) -> dict:
    cols = (
        "customer_id, deployment, model_version, channel, started_ms, last_ms, turns, events, flags, feedback, "
        "resolved, model_calls, model_errors, tool_calls, assistant_messages"
    )
    (row,) = store.query(f"SELECT {cols} FROM conversations WHERE conversation_id = ?", [cid])
    out = dict(zip([c.strip() for c in cols.split(",")], row, strict=True))
    out["resolved"] = None if out["resolved"] is None else bool(out["resolved"])
    out["flags"] = {name for name, bit in FLAG_BITS.items() if out["flags"] & bit}
    return out


# -- a file with every kind of bad line --------------------------------------------------------------

LIMIT = 2048
GOOD = ev("g-1", "conversation.start", customer_id="cust-1", channel="chat", memory_enabled=False)
# (line bytes, expected: "stored" | "blank" | a reject-reason prefix)
EVERY_KIND: list[tuple[bytes, str]] = [
    (b"\xef\xbb\xbf" + orjson.dumps(GOOD), "stored"),
    (orjson.dumps(user("g-2")) + b"\r", "stored"),  # CRLF
    (b"", "blank"),
    (b"this is not json", "not valid JSON"),
    (b'{"v":1,"id":"x","ts":"2026-', "not valid JSON"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b'"just a string"', "not a JSON object"),
    (b"42", "not a JSON object"),
    (orjson.dumps({k: v for k, v in user("r-v").items() if k != "v"}), "v: missing"),
    (orjson.dumps({k: v for k, v in user("r-id").items() if k != "id"}), "id: missing"),
    (orjson.dumps({k: v for k, v in user("r-ts").items() if k != "ts"}), "ts: missing"),
    (orjson.dumps({k: v for k, v in user("r-type").items() if k != "type"}), "type: missing"),
    (orjson.dumps({**user("r-v2"), "v": 2}), "v:"),
    (orjson.dumps({**user("r-empty"), "id": ""}), "id:"),
    (orjson.dumps({**user("r-tz"), "ts": "2026-11-30T03:00:00"}), "ts:"),
    (orjson.dumps({**user("r-ts2"), "ts": "last tuesday"}), "ts:"),
    (orjson.dumps({**user("r-type2"), "type": "message.robot"}), "type:"),
    (orjson.dumps({k: v for k, v in user("r-cid").items() if k != "conversation_id"}), "conversation_id: missing"),
    (orjson.dumps(ev("r-lat", "model.call", model="m", latency_ms="fast", status="ok")), "latency_ms:"),
    (orjson.dumps(ev("r-bool", "model.call", model="m", latency_ms=True, status="ok")), "latency_ms:"),
    (orjson.dumps(ev("r-num", "message.user", text=12)), "text:"),
    (orjson.dumps(ev("r-status", "model.call", model="m", latency_ms=1, status="fine")), "status:"),
    (orjson.dumps(ev("r-perm", "tool.call", agent_id="a", tool="t", risk="low", permission="sure", outcome="ok")), "permission:"),
    (orjson.dumps(ev("r-doc", "retrieval", documents=[{"doc_id": "d", "source": "s", "trust": "vip", "text": "t"}])), "documents.0.trust:"),
    (orjson.dumps(user("r-big", text="x" * LIMIT)), "line longer than"),
    (b"   \t ", "blank"),
    (orjson.dumps(user("g-3", text="__")).replace(b"__", b"caf\xe9"), "stored"),  # invalid UTF-8
    (orjson.dumps({**user("g-4"), "tenant": "acme", "x-trace": [1, 2]}), "stored"),
    (orjson.dumps(ev("g-5", "deploy", None, deployment="dep-1", from_version="v40", to_version="v41")), "stored"),
    (b"\r", "blank"),
    (b'{"v":1,"id":"last","ts":"2026-11-30T03:00:00Z","type":"escal', "not valid JSON"),  # no newline
]  # fmt: skip


def write_every_kind(path: Path) -> None:
    raw = b"\n".join(line for line, _ in EVERY_KIND)  # the last line has no newline
    path.write_bytes(raw)


@pytest.mark.parametrize("chunking", ["one-chunk", "tiny-chunks"])
def test_every_kind_of_bad_line_exact_counts_and_lines(store, tmp_path, monkeypatch, chunking):
    p = tmp_path / "junk.jsonl"
    write_every_kind(p)
    rejects: list[Reject] = []
    ing = Ingestor(store, on_reject=rejects.append, max_line_bytes=LIMIT)
    if chunking == "one-chunk":
        chunks = read_files([str(p)], ing.resume_of, max_line_bytes=LIMIT)
    else:
        monkeypatch.setattr(jsonl, "BLOCK", 50)
        reader = FileReader(p, max_line_bytes=LIMIT, chunk_lines=3)
        reader.open()
        chunks = reader.read(final=True)
    stats = ing.run(chunks)

    expected = [(i + 1, want) for i, (_, want) in enumerate(EVERY_KIND) if want not in ("stored", "blank")]
    got = [(r.line, r.reason) for r in rejects]
    assert [n for n, _ in got] == [n for n, _ in expected]
    for (n, reason), (_, prefix) in zip(got, expected, strict=True):
        assert reason.startswith(prefix), f"line {n}: {reason!r} should start with {prefix!r}"
        assert "\n" not in reason
    assert all(r.path == str(p) for r in rejects)
    assert stats.rejected == len(expected)
    assert stats.stored == sum(want == "stored" for _, want in EVERY_KIND) == 5
    assert stats.duplicates == 0
    assert stats.lines == len(EVERY_KIND)
    assert stats.files[str(p)]["rejected"] == len(expected)

    # the rejects table holds exactly what was reported
    table = store.query("SELECT path, line, reason FROM rejects ORDER BY line")
    assert table == [(r.path, r.line, r.reason) for r in rejects]
    ids = [r[0] for r in store.query("SELECT id FROM events ORDER BY id")]
    assert ids == ["g-1", "g-2", "g-3", "g-4", "g-5"]
    # the offset covers the whole file, last unterminated line included
    off = store.offset(str(p))
    assert off is not None and off[:2] == (p.stat().st_size, len(EVERY_KIND))


def test_stored_bodies_keep_unknown_fields_and_are_valid_utf8(store, tmp_path):
    p = tmp_path / "junk.jsonl"
    write_every_kind(p)
    ingest(store, p, max_line_bytes=LIMIT)
    bodies = {r[0]: orjson.loads(_norm(r[1])) for r in store.query("SELECT id, body FROM events")}
    assert bodies["g-4"]["tenant"] == "acme" and bodies["g-4"]["x-trace"] == [1, 2]
    assert bodies["g-3"]["text"] == "caf\ufffd"
    assert bodies["g-1"] == GOOD  # the BOM is not part of the stored event


def test_ingest_again_after_a_reject_changes_nothing(store, tmp_path):
    p = tmp_path / "junk.jsonl"
    write_every_kind(p)
    ingest(store, p, max_line_bytes=LIMIT)
    before = dump(store)
    ing, rejects = ingest(store, p, max_line_bytes=LIMIT)
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.rejected, rejects) == (0, 0, 0, [])
    assert dump(store) == before


# -- duplicates and idempotence ------------------------------------------------------------------


def test_duplicates_within_a_chunk_are_counted_and_stored_once(store, tmp_path):
    p = tmp_path / "a.jsonl"
    a, b, c = user("e-a", ms=1), user("e-b", ms=2, turn=2), user("e-c", ms=3, turn=3)
    p.write_bytes(jl(a, b, a, c, b, {**a, "text": "same id, other text"}))
    ing, _ = ingest(store, p)
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.rejected) == (3, 3, 0)
    assert store.counts()["events"] == 3
    # the first occurrence wins
    (body,) = store.query("SELECT body FROM events WHERE id = 'e-a'")[0]
    assert orjson.loads(_norm(body))["text"] == "hi"
    assert conversation(store, "c-a")["events"] == 3


def test_duplicates_across_chunks_files_and_runs(store, tmp_path, monkeypatch):
    evs = [user(f"e-{i:03d}", cid=f"c-{i // 10}", ms=i * 10, turn=i % 10 + 1) for i in range(150)]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(jl(*evs[:100]))
    b.write_bytes(jl(*evs[50:150]))
    ing, _ = ingest(store, a)
    assert (ing.stats.stored, ing.stats.duplicates) == (100, 0)
    ing, _ = ingest(store, b)
    assert (ing.stats.stored, ing.stats.duplicates) == (50, 50)
    assert store.counts()["events"] == 150
    before = dump(store)

    # the same files again: resumed at their end, nothing read, nothing stored
    ing, _ = ingest(store, a, b)
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.lines) == (0, 0, 0)
    # a copy under another name: every line read, every event a duplicate
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(a.read_bytes())
    ing, _ = ingest(store, copy)
    assert (ing.stats.stored, ing.stats.duplicates, ing.stats.lines) == (0, 100, 100)
    after = dump(store)
    assert {k: v for k, v in after.items() if k != "ingest_offsets"} == {
        k: v for k, v in before.items() if k != "ingest_offsets"
    }
    # duplicates spread across small chunks of one file
    monkeypatch.setattr(jsonl, "BLOCK", 64)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(jl(*evs[140:150], user("e-new"), *evs[0:5], user("e-new")))
    reader = FileReader(mixed, chunk_lines=2)
    reader.open()
    ing = Ingestor(store)
    stats = ing.run(reader.read(final=True))
    assert (stats.stored, stats.duplicates) == (1, 16)
    assert conversation(store, "c-0")["events"] == 10


def test_blank_lines_are_ignored(store, tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(
        b"\n" + orjson.dumps(user("e1")) + b"\n\n \t \n\r\n" + orjson.dumps(user("e2", turn=2)) + b"\n\n"
    )
    ing, rejects = ingest(store, p)
    assert (ing.stats.stored, ing.stats.rejected, ing.stats.lines) == (2, 0, 7)
    assert rejects == []
    assert store.query("SELECT count(*) FROM rejects") == [(0,)]


def test_same_line_numbers_after_the_file_is_replaced_are_all_recorded(store, tmp_path):
    """A different file at the same path is ingested from its start: its rejects count too."""
    p = tmp_path / "a.jsonl"
    p.write_bytes(jl(user("old-1")) + b"junk one\n")
    ing, rejects = ingest(store, p)
    assert [(r.line, r.reason[:14]) for r in rejects] == [(2, "not valid JSON")]
    p.write_bytes(jl(user("new-1"), user("new-2"), user("new-3")) + b"[]\n")
    ing, rejects = ingest(store, p)
    assert ing.stats.stored == 3
    assert [r.line for r in rejects] == [4]
    assert [r[0] for r in store.query("SELECT line FROM rejects ORDER BY line")] == [2, 4]


def test_reject_on_the_same_line_of_a_replacing_file_is_kept(store, tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(jl(user("old-1")) + b"junk one\n")
    ingest(store, p)
    p.write_bytes(b"{}\n[]\n" + jl(user("new-3")))
    _, rejects = ingest(store, p)
    assert [r.line for r in rejects] == [1, 2]
    table = set(store.query("SELECT path, line, reason FROM rejects"))
    assert {(r.path, r.line, r.reason) for r in rejects} <= table, table


def test_two_ingests_into_one_store_at_once(store_url, tmp_path, monkeypatch):
    """Two writers (two processes in real life) on one store: every event once, counts add up."""
    evs = [user(f"e-{i:04d}", cid=f"c-{i // 8}", ms=i, turn=i % 8 + 1) for i in range(1200)]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(jl(*evs[:800]))
    b.write_bytes(jl(*evs[400:]))  # 400 events in both
    stats = {}

    def one(path: Path) -> None:
        s = Store.open(store_url)
        try:
            reader = FileReader(path, chunk_lines=50)
            reader.open()
            stats[path.name] = Ingestor(s).run(reader.read(final=True))
            reader.close()
        finally:
            s.close()

    Store.open(store_url).close()  # the tables exist: see the next test for a new store
    monkeypatch.setattr(jsonl, "BLOCK", 64 * 1024)
    threads = [threading.Thread(target=one, args=(p,)) for p in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert set(stats) == {"a.jsonl", "b.jsonl"}
    assert stats["a.jsonl"].stored + stats["b.jsonl"].stored == 1200
    assert stats["a.jsonl"].duplicates + stats["b.jsonl"].duplicates == 400
    check = Store.open(store_url)
    try:
        assert check.counts()["events"] == 1200
        assert check.scalar("SELECT sum(events) FROM conversations") == 1200
    finally:
        check.close()


def test_several_processes_opening_a_new_sqlite_store_at_once(tmp_path):
    errors: list[str] = []

    def open_it(url: str) -> None:
        try:
            Store.open(url).close()
        except Exception as exc:  # collected: the assertion below shows them
            errors.append(str(exc))

    for round_ in range(5):
        url = f"sqlite:///{tmp_path / f'new-{round_}.db'}"
        threads = [threading.Thread(target=open_it, args=(url,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []


# -- conversation roll-ups -----------------------------------------------------------------------


def test_conversation_rollups_across_files_and_chunks(store, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "BLOCK", 128)
    t = 1000
    first = [
        ev("a0", "conversation.start", "c-a", t, customer_id="cust-A", channel="chat", memory_enabled=True),
        user("a1", "c-a", t + 100, turn=1),
        ev("a2", "model.call", "c-a", t + 200, turn=1, model="m", latency_ms=900, status="timeout"),
        ev("a3", "message.assistant", "c-a", t + 300, turn=1, text="sorry"),
        ev("b0", "conversation.start", "c-b", t + 50, customer_id="cust-B", channel="voice"),
        user("b1", "c-b", t + 60, turn=1),
        user("c1", "c-c", t + 5000, turn=1),  # its start comes later, in another file
    ]
    second = [
        user("a4", "c-a", t + 400, turn=2),
        ev("a5", "feedback", "c-a", t + 500, turn=2, kind="complaint", score=1),
        ev("a6", "escalation", "c-a", t + 600, turn=2, reason="wants a human"),
        ev("b2", "model.call", "c-b", t + 70, turn=1, model="m", latency_ms=80, status="ok"),
        ev("b3", "tool.call", "c-b", t + 80, turn=1, agent_id="bot", tool="refund", risk="low",
           permission="allowed", outcome="ok"),
        ev("b4", "guardrail", "c-b", t + 85, turn=1, check="pii", verdict="block"),
        ev("b5", "message.assistant", "c-b", t + 90, turn=1, text="done"),
        ev("b6", "feedback", "c-b", t + 95, turn=1, kind="thumbs_up"),
        ev("b7", "conversation.end", "c-b", t + 99, resolved=True),
        ev("a7", "conversation.end", "c-a", t + 700, resolved=False),
    ]  # fmt: skip
    third = [ev("c0", "conversation.start", "c-c", t + 4000, customer_id="cust-C", channel="email")]
    for name, evs in (("1.jsonl", first), ("2.jsonl", second), ("3.jsonl", third)):
        (tmp_path / name).write_bytes(jl(*evs))
        reader = FileReader(tmp_path / name, chunk_lines=2)
        reader.open()
        Ingestor(store).run(reader.read(final=True))
        reader.close()

    a = conversation(store, "c-a")
    assert a == {
        "customer_id": "cust-A", "deployment": "dep-1", "model_version": "v41", "channel": "chat",
        "started_ms": T0 + t, "last_ms": T0 + t + 700, "turns": 2, "events": 8,
        "flags": {"complaint", "negative_feedback", "escalation", "error"}, "feedback": "complaint",
        "resolved": False, "model_calls": 1, "model_errors": 1, "tool_calls": 0, "assistant_messages": 1,
    }  # fmt: skip
    b = conversation(store, "c-b")
    assert b == {
        "customer_id": "cust-B", "deployment": "dep-1", "model_version": "v41", "channel": "voice",
        "started_ms": T0 + t + 50, "last_ms": T0 + t + 99, "turns": 1, "events": 8,
        "flags": {"guardrail_block"}, "feedback": "thumbs_up", "resolved": True,
        "model_calls": 1, "model_errors": 0, "tool_calls": 1, "assistant_messages": 1,
    }  # fmt: skip
    c = conversation(store, "c-c")
    assert (c["customer_id"], c["channel"], c["started_ms"], c["last_ms"], c["events"], c["turns"]) == (
        "cust-C", "email", T0 + t + 4000, T0 + t + 5000, 2, 1,
    )  # fmt: skip
    assert c["resolved"] is None and c["flags"] == set()
    # deploy and control events have no conversation row
    assert store.query("SELECT count(*) FROM conversations") == [(3,)]


def test_rollups_equal_on_eventgen_data(store, tmp_path):
    """Roll-ups recomputed from the stored events agree with the rows kept at ingest."""
    p = tmp_path / "a.jsonl"
    eventgen.write(p, 3000, seed=3)
    ingest(store, p)
    evs = [orjson.loads(_norm(b)) for (b,) in store.query("SELECT body FROM events")]
    by_conv: dict[str, list[dict]] = {}
    for e in evs:
        by_conv.setdefault(e["conversation_id"], []).append(e)
    rows = {r[0]: r[1:] for r in store.query(
        "SELECT conversation_id, customer_id, events, turns, flags, resolved, model_errors FROM conversations"
    )}  # fmt: skip
    assert set(rows) == set(by_conv)
    for cid, es in by_conv.items():
        customer, n, turns, flags, resolved, errors = rows[cid]
        start = [e for e in es if e["type"] == "conversation.start"]
        end = [e for e in es if e["type"] == "conversation.end"]
        assert customer == start[0]["customer_id"]
        assert n == len(es)
        assert turns == max(e.get("turn") or 0 for e in es)
        assert (None if resolved is None else bool(resolved)) == (end[0]["resolved"] if end else None)
        complaint = any(e["type"] == "feedback" and e["kind"] == "complaint" for e in es)
        failed = sum(e["type"] == "model.call" and e["status"] != "ok" for e in es)
        assert bool(flags & FLAG_BITS["complaint"]) == complaint, cid
        assert bool(flags & FLAG_BITS["error"]) == bool(failed), cid
        assert errors == failed


# -- restart: in process, on both backends --------------------------------------------------------


class ToyScanner:
    """A stand-in detector with per-conversation state, so a restart must bring that state back."""

    def scan(self, event: dict, ctx) -> list[Finding]:
        if event["type"] == "message.user":
            h = hashlib.sha1(event["text"].encode()).hexdigest()[:16]
            if ctx is not None:
                ctx.supplied.add(h)
            return [Finding("pii", "order_ref", "text", 0, 5, h, "")]
        if event["type"] == "message.assistant" and ctx is not None:
            detail = f"customer={ctx.customer_id} supplied={len(ctx.supplied)}"
            return [Finding("secret", "ctx_probe", "text", -1, -1, None, detail)]
        return []


def _restart_file(path: Path, n: int) -> int:
    """eventgen events with junk, blank and duplicate lines at known places; returns the line count."""
    out = []
    for i, line in enumerate(eventgen.lines(n, seed=11)):
        out.append(line)
        if i % 97 == 13:
            out.append(b'{"v":1,"id":"junk-%d","ts":"2026-11-30T03:00:00"}' % i)
        if i % 131 == 7:
            out.append(b"")
        if i % 211 == 100:
            out.append(out[-50] if out[-50] else b"[]")  # an earlier line again
    path.write_bytes(b"\n".join(out) + b"\n")
    return len(out)


_other_dbs = itertools.count(1)


def _other_store(store: Store, request, tmp_path) -> Store:
    if store.dialect == "sqlite":
        return Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    cluster = request.getfixturevalue("postgres")
    return Store.open(cluster.create_db(f"other_{os.getpid()}_{next(_other_dbs)}"))


@pytest.mark.parametrize("stop_after", [3, 11])
def test_restart_after_n_chunks_gives_the_same_store(store, request, tmp_path, monkeypatch, stop_after):
    monkeypatch.setattr(jsonl, "BLOCK", 8192)
    p = tmp_path / "events.jsonl"
    n_lines = _restart_file(p, 2500)

    def fresh_ingestor(s: Store) -> Ingestor:
        return Ingestor(s, detectors=ToyScanner())

    def reader(s: Store) -> FileReader:
        r = FileReader(p, resume=s.offset(str(p)), chunk_lines=100)
        r.open()
        return r

    # the reference: one uninterrupted run
    ref = _other_store(store, request, tmp_path)
    try:
        r = reader(ref)
        whole = fresh_ingestor(ref).run(r.read(final=True)).as_dict()
        r.close()
        expected = dump(ref)
    finally:
        ref.close()
    assert whole["lines"] == n_lines
    assert expected["findings"] and expected["rejects"]

    # stopped after a few chunks (the process "dies": its Ingestor and reader are dropped) ...
    r = reader(store)
    first = fresh_ingestor(store)
    for chunk in itertools.islice(r.read(final=True), stop_after):
        first.ingest(chunk)
    r.close()
    saved = store.offset(str(p))
    assert saved is not None and 0 < saved[0] < p.stat().st_size
    partial = dump(store)
    assert 0 < len(partial["events"]) < len(expected["events"])

    # ... then a new process resumes from the saved offset
    r = reader(store)
    second = fresh_ingestor(store).run(r.read(final=True))
    r.close()
    assert second.lines == n_lines - saved[1]
    assert first.stats.stored + second.stored == whole["stored"]
    assert first.stats.rejected + second.rejected == whole["rejected"]
    assert first.stats.duplicates + second.duplicates == whole["duplicates"]
    assert dump(store) == expected


def test_failure_inside_a_chunk_transaction_leaves_nothing_of_it(store, request, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "BLOCK", 8192)
    p = tmp_path / "events.jsonl"
    _restart_file(p, 1200)
    ref = _other_store(store, request, tmp_path)
    try:
        Ingestor(ref, detectors=ToyScanner()).run(read_files([str(p)], ref.offset))
        expected = dump(ref)
    finally:
        ref.close()

    calls = {"n": 0}
    real_write = store.write_batch

    def dying_write(conn, batch, params=None):
        real_write(conn, batch, params)  # everything of the chunk written ...
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("power cut")  # ... and the process dies before the commit

    monkeypatch.setattr(store, "write_batch", dying_write)
    reader = FileReader(p, chunk_lines=100)
    reader.open()
    with pytest.raises(RuntimeError, match="power cut"):
        Ingestor(store, detectors=ToyScanner()).run(reader.read(final=True))
    reader.close()
    monkeypatch.setattr(store, "write_batch", real_write)
    saved = store.offset(str(p))
    after_crash = dump(store)
    # exactly three chunks are in the store: the events up to the saved line, no more
    lines = p.read_bytes().split(b"\n")[: saved[1]]
    ids = set()
    for line in lines:
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
            ids.add(orjson.loads(line)["id"])
    stored_ids = {r[0] for r in after_crash["events"]}
    assert stored_ids == {i for i in ids if not i.startswith("junk-")}

    Ingestor(store, detectors=ToyScanner()).run(read_files([str(p)], store.offset))
    assert dump(store) == expected


# -- restart: a real process, SIGKILLed half-way ------------------------------------------------------


def _cli_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTOPS_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    return env


JUNK = [
    b"not json at all",
    b'{"v":1,"id":"j","ts":"2026-11-30T03:00:00Z","type":"message.user"',
    b"[]",
    b'{"v":2,"id":"j2","ts":"2026-11-30T03:00:00Z","type":"escalation"}',
    b'{"v":1,"id":"","ts":"2026-11-30T03:00:00Z","type":"deploy","deployment":"d","to_version":"v"}',
    b'{"v":1,"id":"j3","ts":"2026-11-30T03:00:00Z","type":"warp.drive"}',
]


def _big_file(path: Path, n: int) -> tuple[list[int], list[int]]:
    """``n`` eventgen events with junk and repeated lines sprinkled in: (junk line numbers, repeat line numbers).

    Repeats are of events far enough back to be in an earlier chunk: duplicates within one chunk are
    covered by test_duplicates_within_a_chunk_are_counted_and_stored_once."""
    junk_at, dup_at = [], []
    line_no = 0
    recent: deque[bytes] = deque(maxlen=30_000)
    with path.open("wb") as fh:
        for i, line in enumerate(eventgen.lines(n, seed=5)):
            fh.write(line + b"\n")
            recent.append(line)
            line_no += 1
            if i % 9973 == 5000:
                fh.write(JUNK[len(junk_at) % len(JUNK)] + b"\n")
                line_no += 1
                junk_at.append(line_no)
            if i % 15013 == 77 and len(recent) == recent.maxlen:
                fh.write(recent[0] + b"\n")  # an event seen 30,000 lines (some chunks) earlier
                line_no += 1
                dup_at.append(line_no)
    return junk_at, dup_at


def _sqlite_offset(db: Path) -> tuple[int, int] | None:
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5)
        try:
            row = con.execute('SELECT "offset", line FROM ingest_offsets').fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return (row[0], row[1]) if row else None


def _compare_sqlite_stores(a: Path, b: Path) -> None:
    queries = {
        "events": "SELECT id, ts_ms, type, conversation_id, body FROM events ORDER BY id",
        "conversations": "SELECT * FROM conversations ORDER BY conversation_id",
        "rejects": "SELECT path, line, reason FROM rejects ORDER BY path, line",
        "findings": 'SELECT event_id, event_type, conversation_id, category, type, field, start, "end", value_hash, detail FROM findings ORDER BY event_id, category, type, field, start',
        "ingest_offsets": "SELECT * FROM ingest_offsets ORDER BY path",
    }
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    try:
        for table, sql in queries.items():
            n = 0
            for ra, rb in itertools.zip_longest(ca.execute(sql), cb.execute(sql)):
                assert ra == rb, f"{table} differs at row {n}: uninterrupted {ra!r} vs restarted {rb!r}"
                n += 1
            assert n == ca.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        ca.close()
        cb.close()


_COUNTS = re.compile(r"([\d,]+) events stored, ([\d,]+) duplicates skipped, ([\d,]+) lines rejected")


def _counts(stdout: str) -> tuple[int, int, int]:
    m = _COUNTS.search(stdout)
    assert m, stdout
    return tuple(int(x.replace(",", "")) for x in m.groups())  # type: ignore[return-value]


def _children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return {int(x) for x in out.stdout.split()}


def test_sigkill_half_way_then_rerun_equals_an_uninterrupted_run(tmp_path):
    n = 200_000  # some 20 chunks of ~10k lines
    src = tmp_path / "audit.jsonl"
    junk_at, dup_at = _big_file(src, n)
    size = src.stat().st_size
    env = _cli_env(tmp_path)
    whole_db, crash_db = tmp_path / "whole.db", tmp_path / "crash.db"

    # uninterrupted
    done = subprocess.run(
        [str(TRUSTOPS), "ingest", str(src), "--store", f"sqlite:///{whole_db}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert _counts(done.stdout) == (n, len(dup_at), len(junk_at))
    assert [line.split(":")[1] for line in done.stderr.splitlines()] == [str(x) for x in junk_at]

    # killed half-way
    proc = subprocess.Popen(
        [str(TRUSTOPS), "ingest", str(src), "--store", f"sqlite:///{crash_db}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    seen = None
    children: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        children |= _children(proc.pid)
        seen = _sqlite_offset(crash_db)
        if seen and seen[0] >= size // 3:  # several chunks committed, more to go
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the ingest ended before it could be killed: use a bigger file"
    # its detector process does not outlive it
    from console.core.scanning import can_fork_scanner

    assert children or not can_fork_scanner(), "the ingest ran its detectors in a process of their own"
    deadline = time.monotonic() + 10
    while children and time.monotonic() < deadline:
        children = {pid for pid in children if Path(f"/proc/{pid}").exists()}
        time.sleep(0.05)
    assert not children, f"left running after the ingest was killed: {children}"
    killed_at = _sqlite_offset(crash_db)
    assert killed_at is not None and 0 < killed_at[0] < size, killed_at

    # what the killed run left is exactly the events of the lines before its saved offset
    con = sqlite3.connect(crash_db)
    try:
        stored_then = con.execute("SELECT count(*) FROM events").fetchone()[0]
        rejects_then = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
    finally:
        con.close()
    before = killed_at[1]
    junk_before = sum(x <= before for x in junk_at)
    dups_before = sum(x <= before for x in dup_at)
    assert stored_then == before - junk_before - dups_before
    assert rejects_then == junk_before

    # run again to completion: it resumes exactly where the killed run committed
    again = subprocess.run(
        [str(TRUSTOPS), "ingest", str(src), "--store", f"sqlite:///{crash_db}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert again.returncode in (0, 1), again.stderr[-2000:]
    assert "Traceback" not in again.stderr
    assert _counts(again.stdout) == (n - stored_then, len(dup_at) - dups_before, len(junk_at) - junk_before)
    _compare_sqlite_stores(whole_db, crash_db)
    for big in (src, whole_db, crash_db):  # ~150 MB between them: not kept in the temp dir
        big.unlink()


def test_chunks_of_every_size_reuse_a_few_prepared_statements(store, tmp_path):
    """Inserts run as statements of a few sizes, prepared once: a statement for each chunk's odd
    remainder would fill the driver's statement cache, which SQLite holds in memory, with one
    per chunk (the ingest's memory grew with the input)."""
    sizes = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 999, 1001, 1597, 2600, 5100]
    events, n = [], 0
    for size in sizes:
        events += [user(f"e-{n + k}", f"c-{n}", n + k) for k in range(size)]
        n += size
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(*events))
    Ingestor(store).run(_chunks_of(p, sizes))
    assert store.query("SELECT count(*) FROM events")[0][0] == n
    statements = [rows for table, rows in store._inserts if table == "events"]
    full = _INSERTS["events"].rows
    assert full in statements  # the chunks of more rows than that
    assert len(statements) == len(set(statements)) <= 1 + full.bit_length()  # and powers of two


def _chunks_of(path: Path, sizes: list[int]):
    """The file's lines in chunks of the given sizes."""
    lines = path.read_bytes().splitlines()
    first = 0
    for size in sizes:
        yield SimpleNamespace(
            path=str(path), first_line=first + 1, lines=lines[first : first + size],
            end_offset=0, fingerprint="", generation=0,
        )  # fmt: skip
        first += size


def test_the_rendered_ddl_is_what_the_schema_declares():
    """Stores are created from DDL rendered ahead (no SQLAlchemy import on the way): it must be
    what SQLModel renders from the declarations now. Regenerate: python -m console.core.schema"""
    from console.core.schema import ddl
    from console.core.schema_ddl import DDL

    assert {dialect: tuple(ddl(dialect)) for dialect in ("sqlite", "postgresql")} == DDL


def test_store_knows_every_table_schema_declares():
    """Opening a store skips the DDL (and SQLModel) when these tables exist: the list must not drift."""
    from console.core.schema import TABLES
    from console.core.store import TABLE_NAMES

    assert {t.name for t in TABLES} == TABLE_NAMES


class TypedToyScanner(ToyScanner):
    """The same probe, reading typed events as DetectorSet does: run() may scan in a process."""

    reads_typed_events = True

    def screen(self) -> dict:
        return {"message.user": None, "message.assistant": None}

    def fields(self, event_type: str) -> tuple[str, ...]:
        return ("text",) if event_type in self.screen() else ()

    def scan(self, event, ctx, event_type=None) -> list[Finding]:
        text = event.get("text") if self.fields(event_type) else None  # only the fields it declares
        if event_type == "message.assistant" and text == "explode":
            raise ValueError("detector failed on purpose")
        return super().scan({"type": event_type, "text": text}, ctx)


def _reloading_file(tmp_path: Path, monkeypatch) -> Path:
    """Chunks of exactly 4 lines (read them with ``_chunks(p, lines=4)``) where conversations
    leave the detectors' state cache of 2 and come back in the next chunk: each one's state is
    reloaded from the store, after the chunk before is committed."""
    monkeypatch.setattr("console.core.scanning.CONTEXT_CACHE", 2)
    monkeypatch.setattr(jsonl, "BLOCK", 16)  # small reads: chunks of exactly 4 lines
    events = []
    for i in range(20):
        # the customer's words in one chunk, whose end leaves two other conversations in the
        # cache; the assistant's answer in the next
        cid = f"c-{i}"
        others = [
            ev(f"o-{i}-{k}", "conversation.start", f"other-{i}-{k}", i, customer_id="x") for k in range(5)
        ]
        events += [
            ev(f"s-{i}", "conversation.start", cid, i, customer_id=f"cus-{i}"),
            user(f"u-{i}", cid, i, text=f"my order is {i}"),
            *others[:2],
            ev(f"a-{i}", "message.assistant", cid, i, turn=1, text="here you go"),
            *others[2:],
        ]
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(*events))
    return p


def _memory_item(owner: str, email: str) -> dict:
    return {"memory_id": f"m-{owner}", "text": f"prefers {email}", "origin_customer_id": owner}


@pytest.mark.parametrize("source", ["message.user", "feedback", "memory.read"])
def test_reloaded_detector_state_keeps_what_the_customer_supplied(store, tmp_path, monkeypatch, source):
    """PII the customer gave (in a message, in feedback text, or in a memory item of their own)
    is theirs to hear back: after the conversation's state has left the cache and is reloaded
    from the store, the assistant repeating it is still no leak; repeating what another
    customer's memory item held still is one."""
    from console.core.detectors import DetectorSet

    monkeypatch.setattr("console.core.scanning.CONTEXT_CACHE", 1)
    monkeypatch.setattr(jsonl, "BLOCK", 16)  # small reads: chunks of 2 lines
    given = {
        "message.user": {"text": "mail me at ada.lovelace@example.org"},
        "feedback": {"kind": "complaint", "text": "mail me at ada.lovelace@example.org"},
        "memory.read": {
            "items": [
                _memory_item("cus-2", "grace.hopper@example.org"),
                _memory_item("cus-1", "ada.lovelace@example.org"),
            ]
        },
    }[source]
    events = [
        ev("s", "conversation.start", "c-1", 0, customer_id="cus-1"),
        ev("g", source, "c-1", 1, turn=1, **given),
        *[ev(f"o-{k}", "conversation.start", f"other-{k}", 2, customer_id="x") for k in range(4)],
        ev("a", "message.assistant", "c-1", 3, turn=1, text="I will write to ada.lovelace@example.org"),
        *[ev(f"p-{k}", "conversation.start", f"more-{k}", 4, customer_id="x") for k in range(4)],
        ev("b", "message.assistant", "c-1", 5, turn=1, text="or to grace.hopper@example.org"),
    ]
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(*events))
    Ingestor(store, detectors=DetectorSet(hash_key=b"k" * 32), scan_process=False).run(_chunks(p, lines=2))
    assert store.query("SELECT count(*) FROM findings WHERE event_id = 'a' AND category = 'pii'")[0][0] == 1
    assert store.query("SELECT event_id FROM findings WHERE type = 'assistant_unsupplied'") == [("b",)]


@pytest.mark.parametrize("scanner", ["in-process", "scan-process"])
def test_pipelined_run_reloads_detector_state_only_after_earlier_chunks_are_stored(
    store, tmp_path, monkeypatch, scanner
):
    """run() writes a chunk while it scans the next (in a process of its own when it can). When a
    conversation's detector state has left the cache, it is reloaded from the store: that read
    must wait for the chunk in flight, or the reloaded state would miss what that chunk added
    (the probe's supplied= count shows it)."""
    p = _reloading_file(tmp_path, monkeypatch)
    real_write = store.write_batch

    def slow_write(conn, batch, params=None):  # a chunk stays in flight while the next one is scanned
        time.sleep(0.02)
        real_write(conn, batch, params)

    monkeypatch.setattr(store, "write_batch", slow_write)
    if scanner == "in-process":
        ingestor = Ingestor(store, detectors=ToyScanner())
    else:
        ingestor = Ingestor(store, detectors=TypedToyScanner(), scan_process=True)
    ingestor.run(_chunks(p, lines=4))
    probes = dict(store.query("SELECT conversation_id, detail FROM findings WHERE type = 'ctx_probe'"))
    assert probes == {f"c-{i}": f"customer=cus-{i} supplied=1" for i in range(20)}


def test_a_failed_write_ends_a_run_whose_detector_process_waits_for_it(store, tmp_path, monkeypatch):
    """The detector process waits for the chunk before to be committed before it reloads state;
    when that write fails, the wait must end too (the run raises the write's error, not hang)."""
    p = _reloading_file(tmp_path, monkeypatch)
    real_write = store.write_batch
    writes = []

    def failing_write(conn, batch, params=None):
        writes.append(1)
        if len(writes) == 3:
            raise RuntimeError("disk full")
        real_write(conn, batch, params)

    monkeypatch.setattr(store, "write_batch", failing_write)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            Ingestor(store, detectors=TypedToyScanner(), scan_process=True).run(_chunks(p, lines=4))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(30)
    assert not runner.is_alive(), "the run hung after the failed write"
    assert isinstance(outcome[0], RuntimeError) and "disk full" in str(outcome[0])
    assert store.query("SELECT count(*) FROM events")[0][0] == 8  # the two chunks before it


def _game_day_and_its_staged_store(store, request, tmp_path, monkeypatch, events: int):
    """A log of demo traffic with every incident class, in many chunks, and the store (dumped) a
    staged ingest of it gives, its detectors in the ingesting process."""
    from console.core.detectors import DetectorSet

    monkeypatch.setattr(jsonl, "BLOCK", 1 << 16)  # many chunks
    lines = [orjson.dumps(e) for e in itertools.islice(_game_day(), 48_000, 48_000 + events)]
    p = tmp_path / "events.jsonl"
    p.write_bytes(b"\n".join(lines) + b"\n")
    ref = _other_store(store, request, tmp_path)
    try:
        Ingestor(ref, detectors=DetectorSet(hash_key=b"k" * 32), scan_process=False).run(_chunks(p))
        return p, lines, dump(ref)
    finally:
        ref.close()


def test_scan_process_gives_the_store_an_in_process_scan_gives(store, request, tmp_path, monkeypatch):
    """The real detectors over demo traffic with every incident class, scanned in a process of
    their own and in the ingesting one: the same events, findings and roll-ups."""
    from console.core.detectors import DetectorSet

    p, _, expected = _game_day_and_its_staged_store(store, request, tmp_path, monkeypatch, 16_000)
    Ingestor(store, detectors=DetectorSet(hash_key=b"k" * 32), scan_process=True).run(_chunks(p))
    got = dump(store)
    assert {r[3] for r in got["findings"]} >= {"pii", "pii_leak", "injection", "unauthorized_tool"}
    assert got == expected


def test_on_one_core_the_stages_take_turns_in_the_calling_thread(store, request, tmp_path, monkeypatch):
    """One core: no writer thread, no detector process (they would only take turns on the core),
    and the store a staged run gives."""
    from console.core import ingest, scanning
    from console.core.detectors import DetectorSet

    p, lines, expected = _game_day_and_its_staged_store(store, request, tmp_path, monkeypatch, 8_000)
    for module in (ingest, scanning):
        monkeypatch.setattr(module, "usable_cpus", lambda: 1)
    stages: list[str] = []
    monkeypatch.setattr(ingest._Stage, "__enter__", lambda self: stages.append(self._thread.name))
    stats = Ingestor(store, detectors=DetectorSet(hash_key=b"k" * 32)).run(_chunks(p))
    assert stages == []
    assert stats.stored == len(lines) and len(dump(store)["findings"]) == stats.findings > 0
    assert dump(store) == expected


def test_a_failure_in_the_scan_process_stops_the_ingest_after_the_chunks_before(store, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "BLOCK", 16)  # chunks of exactly 4 lines
    events = [user(f"u-{i}", f"c-{i}", i, text=f"order {i}") for i in range(20)]
    events[13] = ev("boom", "message.assistant", "c-13", 13, turn=1, text="explode")  # in chunk 4
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(*events))
    with pytest.raises(ValueError, match="detector failed on purpose"):
        Ingestor(store, detectors=TypedToyScanner(), scan_process=True).run(_chunks(p, lines=4))
    assert store.scalar("SELECT count(*) FROM events") == 12  # chunks 1 to 3, nothing after
    assert store.offset(str(p.absolute()))[1] == 12


def _game_day():
    from datetime import UTC, datetime

    from connectors.fleet import generate

    return generate("game-day", 5, datetime(2026, 11, 30, tzinfo=UTC), duration_s=10**6)


def _chunks(path: Path, lines: int = 50):
    reader = FileReader(path, chunk_lines=lines)
    reader.open()
    try:
        yield from reader.read(final=True)
    finally:
        reader.close()


def test_detector_state_is_never_forgotten_inside_a_chunk(store, tmp_path, monkeypatch):
    """The context cache is trimmed between chunks only: more new conversations than it holds, in
    one chunk, do not wipe the state of one still going on in that chunk."""
    monkeypatch.setattr("console.core.scanning.CONTEXT_CACHE", 2)
    others = [ev(f"o-{k}", "conversation.start", f"other-{k}", 1, customer_id="x") for k in range(5)]
    p = tmp_path / "events.jsonl"
    p.write_bytes(
        jl(
            ev("s", "conversation.start", "c-a", 0, customer_id="cus-a"),
            user("u", "c-a", 0, text="my order is 7"),
            *others,
            ev("a", "message.assistant", "c-a", 2, turn=1, text="here you go"),
        )
    )
    Ingestor(store, detectors=ToyScanner()).run(_chunks(p))
    assert store.query("SELECT detail FROM findings WHERE type = 'ctx_probe'") == [
        ("customer=cus-a supplied=1",)
    ]


def _started_ingest(tmp_path: Path, lines: int) -> tuple[subprocess.Popen, Path, set[int]]:
    """`trustops ingest` of a big file, in a session of its own, once a few chunks are stored;
    with its child processes."""
    from console.core.scanning import can_fork_scanner

    if not can_fork_scanner():
        pytest.skip("one core: ingest runs its detectors in-process")
    src = tmp_path / "audit.jsonl"
    src.write_bytes(
        b"\n".join(orjson.dumps(e) for e in itertools.islice(_game_day(), 40_000, 40_000 + lines))
    )
    db = tmp_path / "store.db"
    proc = subprocess.Popen(
        [str(TRUSTOPS), "ingest", str(src), "--store", f"sqlite:///{db}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_cli_env(tmp_path), cwd=tmp_path,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        seen = _sqlite_offset(db)
        if seen and seen[1] >= 2 * jsonl.CHUNK_LINES:
            return proc, db, _children(proc.pid)
        time.sleep(0.005)
    proc.kill()
    pytest.fail("the ingest ended before a few chunks were stored: use a bigger file")


def test_a_killed_detector_process_ends_the_ingest_with_one_line(tmp_path):
    proc, db, children = _started_ingest(tmp_path, 6 * jsonl.CHUNK_LINES)
    assert children, "the ingest runs its detectors in a process of their own"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    try:
        _, err = proc.communicate(timeout=30)  # ends, does not hang on the queue to the dead process
    finally:
        _kill_group(proc)
    assert proc.returncode == 2
    assert err.splitlines() == [
        "trustops ingest: error: the detector process was killed by signal 9; the chunks before are "
        "stored: run the ingest again to resume"
    ]
    assert _sqlite_offset(db)[1] > 0


def test_ctrl_c_stops_the_ingest_and_its_detector_process_promptly(tmp_path):
    proc, db, children = _started_ingest(
        tmp_path, 6 * jsonl.CHUNK_LINES
    )  # PII-dense: many findings in flight
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    try:
        proc.communicate(timeout=5)
    finally:
        _kill_group(proc)
    assert proc.returncode == 130
    assert not {pid for pid in children if Path(f"/proc/{pid}").exists()}
    events, (line,) = _db_events_and_line(db)
    assert events == line  # whole chunks only


def _db_events_and_line(db: Path) -> tuple[int, tuple[int, ...]]:
    con = sqlite3.connect(db)
    try:
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        return events, tuple(r[0] for r in con.execute("SELECT line FROM ingest_offsets"))
    finally:
        con.close()


def _kill_group(proc: subprocess.Popen) -> None:
    """Whatever is left of a test's ingest session (only when a test failed)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def test_a_pooled_postgresql_connection_the_server_dropped_is_replaced(store, monkeypatch):
    """A server restart, failover or idle timeout ends pooled connections without a word: the
    next use of the store pings an idle one and opens a fresh one instead of failing."""
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    import psycopg

    monkeypatch.setattr("console.core.db.PING_AFTER_IDLE_S", 0.0)
    store.counts()  # a pooled connection, now idle
    with psycopg.connect(store.url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert ended >= 1
    assert store.counts()["events"] == 0


@pytest.mark.parametrize("cores", [2, 1])
def test_a_failed_write_stops_a_source_that_waits_for_more(store, tmp_path, monkeypatch, cores):
    """--follow: a write that fails while the log is quiet ends the ingest (the error is raised),
    instead of waiting for a next line to report it."""
    from console.core import ingest

    monkeypatch.setattr(ingest, "usable_cpus", lambda: cores)
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(user("u-1"), user("u-2", turn=2)))
    stop = threading.Event()

    def quiet_log():
        yield from _chunks(p)
        assert stop.wait(10), "the failed write did not stop the source"

    def failing_write(conn, batch, params=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "write_batch", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        Ingestor(store).run(quiet_log(), stop=stop)
    assert stop.is_set()


def test_one_file_named_twice_is_read_once(tmp_path):
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(user("u-1"), user("u-2", turn=2)))
    done = subprocess.run(
        [str(TRUSTOPS), "ingest", str(p), f"{tmp_path}/./events.jsonl", "--store", f"sqlite:///{tmp_path / 's.db'}"],
        capture_output=True, text=True, env=_cli_env(tmp_path), cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 file(s): 2 events stored, 0 duplicates skipped" in done.stdout


class _TracedChunk:
    """A reader's chunk that records which thread frees it (with its chunk goes everything ingest
    made of it: events, parameters, findings)."""

    freed_in: ClassVar[list[str]] = []

    def __init__(self, chunk: jsonl.Chunk) -> None:
        self.path, self.first_line, self.lines = chunk.path, chunk.first_line, chunk.lines
        self.end_offset, self.fingerprint, self.generation = (
            chunk.end_offset,
            chunk.fingerprint,
            chunk.generation,
        )

    def __del__(self) -> None:
        _TracedChunk.freed_in.append(threading.current_thread().name)


@pytest.mark.parametrize("scan_process", [True, False])
def test_written_chunks_are_freed_by_the_ingesting_thread_not_the_writer(
    store, tmp_path, monkeypatch, scan_process
):
    # Freeing a chunk holds the GIL for milliseconds, and the writer thread sets the pace of a
    # run: the writer hands each chunk it wrote back to be freed by the thread that reads.
    p = tmp_path / "a.jsonl"
    p.write_bytes(
        jl(*(user(f"e{i}", cid=f"c{i % 7}", ms=i, text=f"mail me at u{i}@example.com") for i in range(120)))
    )
    from console.core.detectors import DetectorSet

    _TracedChunk.freed_in.clear()
    ing = Ingestor(store, detectors=DetectorSet(hash_key=b"k" * 32), scan_process=scan_process)
    monkeypatch.setattr(jsonl, "BLOCK", 256)  # chunks of about ten lines
    made: list[int] = []

    def traced():
        for c in _chunks(p, lines=10):
            made.append(c.first_line)  # (not the chunk: a reference kept here would free it here)
            yield _TracedChunk(c)

    stats = ing.run(traced())
    assert stats.stored == 120 and stats.findings == 120
    assert len(made) >= 10 and len(_TracedChunk.freed_in) == len(made)
    assert set(_TracedChunk.freed_in) == {threading.current_thread().name}


@pytest.mark.parametrize("scan_process", [False, True])
def test_findings_mark_their_conversation_row(store, tmp_path, monkeypatch, scan_process):
    """What the detectors find reaches the conversation's roll-up (its flags and counters) in
    the chunk's own transaction, whichever thread built the rest of the row."""
    from console.core.detectors import DetectorSet

    monkeypatch.setattr(jsonl, "BLOCK", 1 << 10)
    events = [
        ev("s", "conversation.start", "c-1", 0, customer_id="cus-1"),
        user("u", "c-1", 1, text="where is my parcel?"),
        ev("a", "message.assistant", "c-1", 2, turn=1, text="I wrote to grace.hopper@example.org"),
        ev(
            "t",
            "tool.call",
            "c-1",
            3,
            turn=1,
            agent_id="billing",
            tool="refund",
            risk="high",
            permission="denied",
            outcome="blocked",
        ),
        ev("g", "guardrail", "c-1", 4, turn=1, check="grounding", verdict="flag", category="grounding"),
        *[ev(f"q-{k}", "conversation.start", f"quiet-{k}", 5, customer_id="x") for k in range(20)],
    ]
    p = tmp_path / "events.jsonl"
    p.write_bytes(jl(*events))
    Ingestor(store, detectors=DetectorSet(hash_key=b"k" * 32), scan_process=scan_process).run(
        _chunks(p, lines=3)
    )
    flags, unauthorized, ungrounded = store.query(
        "SELECT flags, tool_unauthorized, ungrounded FROM conversations WHERE conversation_id = 'c-1'"
    )[0]
    assert {n for n, bit in FLAG_BITS.items() if flags & bit} >= {
        "pii",
        "pii_leak",
        "unauthorized_tool",
        "ungrounded",
    }
    assert (unauthorized, ungrounded) == (1, 1)
    assert store.query(
        "SELECT count(*) FROM conversations WHERE flags != 0 AND conversation_id != 'c-1'"
    ) == [(0,)]
