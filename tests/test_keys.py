"""The hash key behind findings: made once, whole, the same for every process that starts at once."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from console.core.errors import UserError
from console.core.keys import ENV, hash_key


def _key_of(path: str, start, out) -> None:
    start.wait()
    try:
        out.put(hash_key(Path(path)))
    except BaseException as exc:  # reported to the test, which fails on it
        out.put(repr(exc))


def test_first_runs_at_once_share_one_whole_key(tmp_path, monkeypatch):
    """Several commands started together on a fresh machine (the CLI error tests do): each gets
    the same key, never an empty one read while another process was still writing it."""
    monkeypatch.delenv(ENV, raising=False)
    path = tmp_path / "data" / "hash.key"
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_key_of, args=(str(path), start, out)) for _ in range(8)]
    for p in procs:
        p.start()
    start.set()
    keys = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    assert len(set(keys)) == 1 and isinstance(keys[0], bytes) and len(keys[0]) == 64, keys
    assert path.read_bytes() == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["hash.key"]  # no temporary file left


def test_an_empty_key_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    path = tmp_path / "hash.key"
    path.write_bytes(b"\n")
    with pytest.raises(UserError, match="hash key file is empty"):
        hash_key(path)


def test_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "team-key")
    assert hash_key(tmp_path / "never-made.key") == b"team-key"
    assert not (tmp_path / "never-made.key").exists()
