"""Following files (``follow_files`` + watchfiles, and ``trustops ingest --follow``) while a real writer
appends, rotates (rename + new file) and truncates (copytruncate): every event stored exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from connectors.jsonl import follow_files
from console.core.ingest import Ingestor, Reject
from console.core.store import Store
from tests import eventgen

ROOT = Path(__file__).resolve().parent.parent
TRUSTOPS = ROOT / ".venv" / "bin" / "trustops"
DEADLINE = 15.0


def line(id_: str, n: int = 0) -> bytes:
    obj = {
        "v": 1,
        "id": id_,
        "ts": eventgen.ts(n * 10),
        "type": "message.user",
        "conversation_id": f"conv-{id_.split('-')[0]}",
        "deployment": "support-assistant",
        "model_version": "v41",
        "turn": 1,
        "text": f"message {id_}",
    }
    return orjson.dumps(obj) + b"\n"


def lines(prefix: str, n: int, start: int = 0) -> tuple[bytes, list[str]]:
    ids = [f"{prefix}-{i:05d}" for i in range(start, start + n)]
    return b"".join(line(i, k) for k, i in enumerate(ids)), ids


def wait_for(what: str, predicate: Callable[[], bool], timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Follower:
    """``follow_files`` feeding an Ingestor in a thread, as ``trustops ingest --follow`` does."""

    def __init__(self, url: str, paths: list[Path], poll_ms: int = 100) -> None:
        self.store = Store.open(url)
        self.rejects: list[Reject] = []
        self.ingestor = Ingestor(self.store, on_reject=self.rejects.append)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        chunks = follow_files([str(p) for p in paths], self.ingestor.resume_of, self.stop, poll_ms=poll_ms)
        self.thread = threading.Thread(target=self._run, args=(chunks,), daemon=True)
        self.thread.start()

    def _run(self, chunks) -> None:
        try:
            self.ingestor.run(chunks)
        except BaseException as exc:  # reported by close()
            self.error = exc

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        alive = self.thread.is_alive()
        if not alive:
            self.store.close()
        assert not alive, "follow_files did not stop within 10 s of stop being set"
        if self.error is not None:
            raise self.error


@pytest.fixture
def follow():
    started: list[Follower] = []

    def start(url: str, paths: list[Path], **kw) -> Follower:
        f = Follower(url, paths, **kw)
        started.append(f)
        return f

    yield start
    for f in started:
        if f.thread.is_alive():
            f.close()


def stored_ids(store: Store) -> list[str]:
    return [r[0] for r in store.query("SELECT id FROM events ORDER BY id")]


def count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM events") or 0)


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(data)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}"


# -- appends ----------------------------------------------------------------------------------------


def test_appends_and_a_line_written_in_two_pieces(store_url, store, tmp_path, follow):
    p = tmp_path / "audit.jsonl"
    data, ids = lines("a", 10)
    p.write_bytes(data)
    f = follow(store_url, [p])
    wait_for("the first 10 events", lambda: count(store) == 10)

    for k in range(3):  # several small appends
        more, more_ids = lines("b", 4, start=k * 4)
        append(p, more)
        ids += more_ids
    wait_for("22 events", lambda: count(store) == 22)

    # complete lines plus the first half of one more, in one write: the half waits for its end
    last = line("c-00000")
    more, more_ids = lines("b", 3, start=100)
    append(p, more + last[:37])
    ids += more_ids
    wait_for("25 events", lambda: count(store) == 25)
    append(p, last[37:])
    ids.append("c-00000")
    wait_for("the event written in two pieces", lambda: count(store) == 26)

    f.close()
    assert stored_ids(store) == sorted(ids)
    assert f.rejects == []
    assert (f.ingestor.stats.stored, f.ingestor.stats.duplicates) == (26, 0)
    assert store.offset(str(p))[:2] == (p.stat().st_size, 26)


def test_rejects_while_following_have_their_line_numbers(sqlite_url, tmp_path, follow):
    p = tmp_path / "audit.jsonl"
    p.write_bytes(lines("a", 5)[0])
    f = follow(sqlite_url, [p])
    wait_for("5 events", lambda: f.ingestor.stats.stored == 5)
    more = lines("b", 3)[0]
    append(p, b"oops\n" + more + b'{"v":1}\n')
    wait_for("the appended lines", lambda: f.ingestor.stats.lines == 10)
    f.close()
    assert [(r.line, r.reason.split(":")[0]) for r in f.rejects] == [(6, "not valid JSON"), (10, "type")]
    assert f.ingestor.stats.stored == 8


def test_a_file_created_after_the_follow_started(sqlite_url, tmp_path, follow):
    p = tmp_path / "later" / "audit.jsonl"
    f = follow(sqlite_url, [p])
    time.sleep(0.2)  # let the follower reach its wait
    p.write_bytes(lines("a", 7)[0])
    wait_for("7 events", lambda: f.ingestor.stats.stored == 7)
    append(p, lines("b", 2)[0])
    wait_for("9 events", lambda: f.ingestor.stats.stored == 9)
    f.close()
    assert f.rejects == []


def test_two_files_followed_at_once(sqlite_url, tmp_path, follow):
    p1, p2 = tmp_path / "one.jsonl", tmp_path / "sub" / "two.jsonl"
    p2.parent.mkdir()
    p1.write_bytes(lines("a", 3)[0])
    p2.write_bytes(lines("b", 4)[0])
    f = follow(sqlite_url, [p1, p2])
    wait_for("7 events", lambda: f.ingestor.stats.stored == 7)
    append(p2, lines("b", 2, start=10)[0])
    append(p1, lines("a", 2, start=10)[0])
    wait_for("11 events", lambda: f.ingestor.stats.stored == 11)
    f.close()
    assert set(f.ingestor.stats.files) == {str(p1), str(p2)}


def test_restart_of_a_follow_resumes_from_the_saved_offset(sqlite_url, tmp_path, follow):
    p = tmp_path / "audit.jsonl"
    half = line("h-00000")
    p.write_bytes(lines("a", 10)[0] + half[:30])
    f = follow(sqlite_url, [p])
    wait_for("10 events", lambda: f.ingestor.stats.stored == 10)
    f.close()
    # written while nobody follows: the rest of the half line and more lines
    append(p, half[30:] + lines("b", 5)[0])
    g = follow(sqlite_url, [p])
    wait_for("the 6 new events", lambda: g.ingestor.stats.stored == 6)
    g.close()
    s = g.ingestor.stats
    # resumed exactly: the half line read once, whole, as line 11; nothing read twice
    assert (s.duplicates, s.lines, g.rejects) == (0, 6, [])
    assert store_ids(sqlite_url)[-6:] == ["b-00000", "b-00001", "b-00002", "b-00003", "b-00004", "h-00000"]


def store_ids(url: str) -> list[str]:
    check = Store.open(url)
    try:
        return stored_ids(check)
    finally:
        check.close()


# -- rotation and truncation -----------------------------------------------------------------------


def test_rotation_rename_and_new_file(store_url, store, tmp_path, follow):
    p = tmp_path / "audit.jsonl"
    f = None
    writer = p.open("ab")
    try:
        data, ids = lines("a", 20)
        writer.write(data)
        writer.flush()
        f = follow(store_url, [p])
        wait_for("20 events", lambda: count(store) == 20)

        more, more_ids = lines("b", 5)
        writer.write(more)
        writer.flush()
        ids += more_ids
        os.rename(p, p.with_name("audit.jsonl.1"))
        # the application still writes to its old handle until it reopens
        more, more_ids = lines("c", 5)
        writer.write(more)
        writer.flush()
        ids += more_ids
    finally:
        writer.close()
    data, new_ids = lines("d", 10)
    p.write_bytes(data)
    ids += new_ids
    wait_for("40 events", lambda: count(store) == 40)
    more, more_ids = lines("e", 5)
    append(p, more)
    ids += more_ids
    wait_for("45 events", lambda: count(store) == 45)
    f.close()
    assert stored_ids(store) == sorted(ids)
    assert (f.ingestor.stats.stored, f.ingestor.stats.duplicates, f.rejects) == (45, 0, [])
    # the saved position is the new file's
    assert store.offset(str(p))[:2] == (p.stat().st_size, 15)


def test_rotation_twice_in_a_row(sqlite_url, tmp_path, follow):
    p = tmp_path / "audit.jsonl"
    data, ids = lines("a", 5)
    p.write_bytes(data)
    f = follow(sqlite_url, [p])
    wait_for("5 events", lambda: f.ingestor.stats.stored == 5)
    for gen, prefix in enumerate(("b", "c"), start=1):
        os.rename(p, p.with_name(f"audit.jsonl.{gen}"))
        data, more = lines(prefix, 4)
        p.write_bytes(data)
        ids += more
        n = len(ids)
        wait_for(f"rotation {gen}", lambda: f.ingestor.stats.stored == n)  # noqa: B023 - waited for here
    f.close()
    assert f.ingestor.stats.duplicates == 0 and f.rejects == []


def _copytruncate(p: Path, rotated: Path) -> None:
    shutil.copyfile(p, rotated)
    with p.open("r+b") as fh:
        fh.truncate(0)


def test_copytruncate_then_fewer_bytes(store_url, store, tmp_path, follow):
    p = tmp_path / "audit.jsonl"
    data, ids = lines("a", 20)
    p.write_bytes(data)
    f = follow(store_url, [p])
    wait_for("20 events", lambda: count(store) == 20)
    _copytruncate(p, tmp_path / "audit.jsonl.1")
    time.sleep(0.3)  # the follower sees the empty file
    more, more_ids = lines("b", 5)
    append(p, more)
    ids += more_ids
    wait_for("25 events", lambda: count(store) == 25)
    more, more_ids = lines("b", 5, start=5)
    append(p, more)
    ids += more_ids
    wait_for("30 events", lambda: count(store) == 30)
    f.close()
    assert stored_ids(store) == sorted(ids)
    assert (f.ingestor.stats.duplicates, f.rejects) == (0, [])
    assert store.offset(str(p))[:2] == (p.stat().st_size, 10)


def test_copytruncate_then_more_bytes_at_once(sqlite_url, tmp_path, follow):
    """The writer refills the truncated file past the old offset before the follower looks."""
    p = tmp_path / "audit.jsonl"
    data, ids = lines("a", 10)
    p.write_bytes(data)
    f = follow(sqlite_url, [p])
    wait_for("10 events", lambda: f.ingestor.stats.stored == 10)
    old_size = p.stat().st_size
    more, more_ids = lines("b", 25)
    with p.open("r+b") as fh:
        fh.truncate(0)
        fh.write(more)
    assert p.stat().st_size > old_size
    ids += more_ids
    wait_for("35 events", lambda: f.ingestor.stats.stored == 35, timeout=5)
    f.close()
    assert (f.ingestor.stats.duplicates, f.rejects) == (0, [])
    assert store_ids(sqlite_url) == sorted(ids)


def test_rotate_then_truncate_under_steady_writes(sqlite_url, tmp_path, follow):
    """A writer keeps going while the file is rotated then copytruncated: nothing lost, nothing twice."""
    p = tmp_path / "audit.jsonl"
    p.write_bytes(b"")
    f = follow(sqlite_url, [p])
    written: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            with lock:
                data, ids = lines("w", 3, start=k)
                append(p, data)
                written.extend(ids)
            k += 3
            time.sleep(0.01)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        wait_for("some events", lambda: f.ingestor.stats.stored >= 30)
        with lock:  # rename + new file between two writes
            os.rename(p, p.with_name("audit.jsonl.1"))
            p.write_bytes(b"")
            at = len(written)
        wait_for("events after rotation", lambda: f.ingestor.stats.stored >= at + 30)
        with lock:  # copytruncate between two writes, once the follower has caught up
            wait_for("catch-up", lambda: f.ingestor.stats.stored == len(written))
            _copytruncate(p, p.with_name("audit.jsonl.2"))
            time.sleep(0.3)
            at = len(written)
        wait_for("events after truncation", lambda: f.ingestor.stats.stored >= at + 30)
    finally:
        stop.set()
        t.join(timeout=5)
    wait_for("the last events", lambda: f.ingestor.stats.stored == len(written))
    f.close()
    assert store_ids(sqlite_url) == sorted(written)
    assert (f.ingestor.stats.duplicates, f.rejects) == (0, [])


# -- the command ------------------------------------------------------------------------------------


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTOPS_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    return env


def _db_count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5)
        try:
            return con.execute("SELECT count(*) FROM events").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_trustops_ingest_follow_stops_cleanly_on_a_signal(tmp_path, sig):
    p = tmp_path / "audit.jsonl"
    db = tmp_path / "store.db"
    p.write_bytes(lines("a", 10)[0])
    proc = subprocess.Popen(
        [str(TRUSTOPS), "ingest", str(p), "--follow", "--store", f"sqlite:///{db}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    try:
        wait_for("10 events", lambda: _db_count(db) == 10)
        more = lines("b", 5)[0]
        append(p, more + b"junk\n" + line("c-00000")[:20])
        wait_for("15 events", lambda: _db_count(db) == 15)
        append(p, line("c-00000")[20:])
        wait_for("16 events", lambda: _db_count(db) == 16)
        assert proc.poll() is None, "--follow must keep running"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in err
    assert err.splitlines()[0].startswith(f"{p}:16: not valid JSON")
    if sig == signal.SIGTERM:
        assert len(err.splitlines()) == 1, err
        assert proc.returncode == 1  # a line was rejected
        assert "16 events stored, 0 duplicates skipped, 1 lines rejected" in out
    else:
        assert proc.returncode in (1, 130)
    assert _db_count(db) == 16
