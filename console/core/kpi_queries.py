"""The SQL behind the KPIs: one aggregate over the conversations table, one over the latency roll-up.

Both run unchanged on SQLite and PostgreSQL (on SQLite, their rows come back packed in one JSON
value: see :func:`rows_of`). Bucket numbers are computed in SQL from integers the engine chooses
(never from input), so they are written into the statement; times are parameters.
"""

from __future__ import annotations

import orjson

from console.core.flags import FLAG_BITS
from console.core.kpi import FIELDS, FLAG_FIELDS, Agg, Range
from console.core.store import Store

Key = tuple[str | None, str | None]  # (deployment, model_version)

# One expression per kpi.FIELDS entry, in that order. Bit tests as shifts and the boolean as a cast:
# portable, and cheaper in SQLite than CASE expressions.
AGGREGATES = ", ".join(
    [
        "count(*)",
        *(f"sum((flags >> {FLAG_BITS[f].bit_length() - 1}) & 1)" for f in FLAG_FIELDS),
        "sum(CAST(resolved AS INTEGER))",
        "count(resolved)",
        *(f"sum({c})" for c in FIELDS[FIELDS.index("tool_calls") :]),
    ]
)
assert AGGREGATES.count("sum(") + 2 == len(FIELDS)


def rows_of(store: Store, sql: str, params: list, columns: int) -> list:
    """The rows of ``sql`` (``columns`` wide), each a sequence.

    On SQLite they come back packed in one JSON array. Python's sqlite3 releases the GIL around
    every row it steps to and must win it back for the next: a query run from a worker thread
    while the UI thread is busy (drawing, or importing at start) then waits for it once per row,
    and the dashboard's queries return thousands of rows (the 1 h latency histograms of a million
    events: 3,600 rows, 14 ms alone, 12 s beside a busy thread). Packed, they wait once, and
    orjson unpacks them without releasing it. Values are the same for integers, text and NULL,
    what the KPI queries return (not for REAL: SQLite's JSON keeps 15 significant digits).
    """
    if store.dialect != "sqlite":
        return store.query(sql, params)
    names = ", ".join(f"c{i}" for i in range(columns))
    packed = store.scalar(
        f"WITH t({names}) AS ({sql}) SELECT json_group_array(json_array({names})) FROM t", params
    )
    return orjson.loads(packed) if packed else []


def query_cells(store: Store, rng: Range, first: int, last: int) -> dict[int, dict[Key, Agg]]:
    """Buckets ``first``..``last`` (absolute bucket numbers of ``rng``), each group's Agg in each.

    Buckets with no traffic are present and empty, so a caller can cache them as known.
    """
    since, until = rng.clip(first, last)
    step = int(rng.step_ms)
    origin = int(first * step)
    cells: dict[int, dict[Key, Agg]] = {i: {} for i in range(first, last + 1)}
    if until <= since:
        return cells
    for row in rows_of(
        store,
        f"SELECT (started_ms - {origin}) / {step}, deployment, model_version, {AGGREGATES} FROM conversations "
        "WHERE started_ms >= ? AND started_ms < ? GROUP BY 1, 2, 3",
        [since, until],
        3 + len(FIELDS),
    ):
        cells[first + int(row[0])][(row[1], row[2])] = Agg([int(v or 0) for v in row[3:]], {})
    for rel, dep, ver, bucket, calls in rows_of(
        store,
        f"SELECT (slot_ms - {origin}) / {step}, deployment, model_version, bucket, sum(calls) FROM latency_rollup "
        "WHERE slot_ms >= ? AND slot_ms < ? GROUP BY 1, 2, 3, 4",
        [since, until],
        5,
    ):
        cell = cells[first + int(rel)]
        agg = cell.get((dep, ver))
        if agg is None:
            agg = cell[(dep, ver)] = Agg()
        agg.latency[int(bucket)] = int(calls)
    return cells


def deployment_agg(
    store: Store, deployment: str, since_ms: int, until_ms: int, latency: tuple[int, int]
) -> Agg:
    """One deployment's conversations started in [since, until) and the latency of the 10 s slots
    starting in [latency[0], latency[1])."""
    row = store.query(
        f"SELECT {AGGREGATES} FROM conversations WHERE deployment = ? AND started_ms >= ? AND started_ms < ?",
        [deployment, since_ms, until_ms],
    )[0]
    hist = {
        int(b): int(n)
        for b, n in store.query(
            "SELECT bucket, sum(calls) FROM latency_rollup WHERE deployment = ? AND slot_ms >= ? AND slot_ms < ? "
            "GROUP BY bucket",
            [deployment, latency[0], latency[1]],
        )
    }
    return Agg([int(v or 0) for v in row], hist)


def last_seq(store: Store) -> int:
    return int(store.scalar("SELECT max(seq) FROM events") or 0)


def touched_spans(store: Store, after_seq: int, upto_seq: int) -> list[tuple[int, int]]:
    """[started_ms, last_ms] of every conversation that received an event with after < seq ≤ upto.

    A conversation's KPIs count in the bucket where it started, and its model calls' latencies in
    the slots where they happened: both lie inside this span. The span (not just the start) is
    returned because a late, earlier event moves the start, and the old bucket must be redone too.
    Costs in proportion to the new events (primary-key range, then primary-key lookups).
    """
    rows = store.query(
        "SELECT started_ms, last_ms FROM conversations WHERE conversation_id IN "
        "(SELECT conversation_id FROM events WHERE seq > ? AND seq <= ? AND conversation_id IS NOT NULL)",
        [after_seq, upto_seq],
    )
    return merge_spans((int(a), int(b)) for a, b in rows)


def merge_spans(spans, gap: int = 0) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + gap:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def first_start(store: Store, deployment: str) -> int | None:
    """When the deployment's first stored conversation started (index on deployment, started_ms)."""
    v = store.scalar("SELECT min(started_ms) FROM conversations WHERE deployment = ?", [deployment])
    return None if v is None else int(v)


def newest_start(store: Store) -> int | None:
    v = store.scalar("SELECT max(started_ms) FROM conversations")
    return None if v is None else int(v)
