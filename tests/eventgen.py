"""Small, deterministic v1 event streams for ingest tests (the demo fleet makes the realistic ones)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

BASE = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def ts(ms: int) -> str:
    return (BASE + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def conversation(n: int, rng: random.Random, t0: int) -> list[dict]:
    cid = f"c{n:07d}"
    dep = ("support-assistant", "billing-agent", "rag-search")[n % 3]
    common = {"v": 1, "conversation_id": cid, "deployment": dep, "model_version": "v41"}
    evs: list[dict] = [
        {"type": "conversation.start", "customer_id": f"cust{n % 997}", "channel": "chat", "memory_enabled": True},
        {"type": "message.user", "turn": 1, "text": f"Hello, where is my order {rng.randint(1000, 9999)}?"},
        {"type": "model.call", "turn": 1, "model": "toy", "latency_ms": rng.randint(80, 900),
         "input_tokens": 40, "output_tokens": 60, "status": "ok" if rng.random() > 0.02 else "error"},
        {"type": "message.assistant", "turn": 1, "text": "It ships tomorrow."},
    ]  # fmt: skip
    if rng.random() < 0.1:
        evs.append({"type": "feedback", "turn": 1, "kind": "complaint", "score": 1, "text": "wrong answer"})
    evs.append({"type": "conversation.end", "resolved": rng.random() > 0.2})
    out = []
    for i, e in enumerate(evs):
        out.append({**common, "id": f"{cid}-{i}", "ts": ts(t0 + i * 700), **e})
    return out


def events(count: int, seed: int = 7) -> Iterator[dict]:
    rng = random.Random(seed)
    n = 0
    made = 0
    while made < count:
        for e in conversation(n, rng, n * 1000):
            if made >= count:
                return
            yield e
            made += 1
        n += 1


def lines(count: int, seed: int = 7) -> Iterator[bytes]:
    for e in events(count, seed):
        yield orjson.dumps(e)


def write(path, count: int, seed: int = 7) -> None:
    with open(path, "wb") as fh:
        for line in lines(count, seed):
            fh.write(line + b"\n")
