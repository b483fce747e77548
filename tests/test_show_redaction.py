"""`trustops show`: findings marked inline, values redacted unless --reveal, and every reveal logged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import orjson

EMAIL = "dana.leak@corp.example"


def _events() -> list[dict]:
    common = {"v": 1, "conversation_id": "c-1", "deployment": "support-assistant", "model_version": "v42"}
    rows = [
        {"type": "conversation.start", "customer_id": "cust-a", "channel": "chat", "memory_enabled": True},
        {"type": "message.user", "turn": 1, "text": "Where is my parcel?"},
        {"type": "message.assistant", "turn": 1, "text": f"I have emailed {EMAIL} about it."},
    ]
    return [{**common, "id": f"e{i}", "ts": f"2026-11-30T03:00:0{i}.000Z", **r} for i, r in enumerate(rows)]


def _trustops(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_show_redacts_by_default_and_logs_reveal(tmp_path, monkeypatch):
    log = tmp_path / "a.jsonl"
    log.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in _events()))
    db = tmp_path / "s.db"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TRUSTOPS_STORE": f"sqlite:///{db}",
        "TRUSTOPS_HASH_KEY": "test-key",
        "TRUSTOPS_OPERATOR": "alice",
    }
    assert _trustops("ingest", str(log), env=env).returncode == 0

    hidden = _trustops("show", "c-1", env=env)
    assert hidden.returncode == 0, hidden.stderr
    assert EMAIL not in hidden.stdout
    assert "⚑ pii:email" in hidden.stdout and "⚑ pii_leak:assistant_unsupplied" in hidden.stdout
    as_json = json.loads(_trustops("show", "c-1", "--json", env=env).stdout)
    assert as_json["redacted"] is True and EMAIL not in json.dumps(as_json)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM operator_log").fetchone()[0] == 0

    shown = _trustops("show", "c-1", "--reveal", env=env)
    assert EMAIL in shown.stdout
    ((operator, action, target, detail),) = (
        sqlite3.connect(db).execute("SELECT operator, action, target, detail FROM operator_log").fetchall()
    )
    # The same entry the console writes for a reveal: target and detail in one format.
    assert (operator, action, target) == ("alice", "reveal", "conversation c-1")
    revealed = json.loads(detail)["findings"]
    assert {(f["event_id"], f["category"], f["type"]) for f in revealed} == {("e2", "pii", "email")}
    assert EMAIL not in detail
    # The findings themselves never hold the value.
    rows = sqlite3.connect(db).execute("SELECT * FROM findings").fetchall()
    assert rows and all(EMAIL not in str(r) for r in rows)
