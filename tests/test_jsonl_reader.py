"""The JSONL reader (connectors/jsonl.py) on real files: chunks, line numbers, offsets, CRLF, the
unterminated last line, oversize lines, resume with a fingerprint, and flat memory on a big file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connectors import jsonl
from connectors.jsonl import FileReader, SourceError, read_files
from tests import eventgen

ROOT = Path(__file__).resolve().parent.parent


def numbered(n: int, width: int = 40, start: int = 1) -> list[bytes]:
    """Distinct lines (not JSON: the reader does not care), of varying length."""
    return [f"line-{i:06d}-".encode() + b"x" * ((i * 7) % width) for i in range(start, start + n)]


def read_all(reader: FileReader, *, final: bool = True) -> list[jsonl.Chunk]:
    return list(reader.read(final=final))


def flatten(chunks) -> list[bytes | None]:
    return [line for c in chunks for line in c.lines]


def check_contiguous(chunks, *, first: int = 1, start_offset: int = 0, raw: bytes | None = None) -> None:
    """Chunks follow each other with no gap, and each end_offset is just after its last line."""
    expect_first, offset = first, start_offset
    for c in chunks:
        assert c.first_line == expect_first
        expect_first += len(c.lines)
        if raw is not None:
            # end_offset: just after the last line's newline (or at end of file for a final line)
            n = len(c.lines)
            pos = offset
            for _ in range(n):
                nl = raw.find(b"\n", pos)
                pos = len(raw) if nl < 0 else nl + 1
            assert c.end_offset == pos
        offset = c.end_offset


@pytest.fixture
def small_blocks(monkeypatch):
    """Read in tiny blocks, so lines straddle block boundaries everywhere."""

    def use(size: int) -> None:
        monkeypatch.setattr(jsonl, "BLOCK", size)

    return use


# -- chunks and numbering -------------------------------------------------------------------------


@pytest.mark.parametrize("block", [1, 5, 64, 4096])
def test_chunks_number_lines_and_end_offsets_exactly(tmp_path, small_blocks, block):
    small_blocks(block)
    lines = numbered(500)
    raw = b"".join(line + b"\n" for line in lines)
    p = tmp_path / "a.jsonl"
    p.write_bytes(raw)
    reader = FileReader(p, chunk_lines=37)
    reader.open()
    chunks = read_all(reader)
    assert len(chunks) > 1
    assert flatten(chunks) == lines
    check_contiguous(chunks, raw=raw)
    assert chunks[-1].end_offset == len(raw)
    assert all(c.path == str(p.absolute()) for c in chunks)
    # nothing more to read, and a second read yields nothing
    assert read_all(reader) == []
    reader.close()


@pytest.mark.parametrize("block", [7, 64, 300, 4096])
def test_plain_blocks_and_blocks_with_cr_or_oversize_lines_read_alike(tmp_path, small_blocks, block):
    # Plain blocks are taken whole (checked in C), a block with a CR or an oversize line line by
    # line: a file mixing both, read in blocks of several sizes, gives each line and offset as a
    # line-by-line reading would.
    small_blocks(block)
    limit = 60
    lines = numbered(400, width=50)
    for i in range(0, 400, 37):
        lines[i] = lines[i] + b"\r"  # CRLF
    for i in range(5, 400, 53):
        lines[i] = b"y" * (limit + 10)  # over the limit
    raw = b"".join(line + b"\n" for line in lines)
    expected = [None if len(x.removesuffix(b"\r")) > limit else x.removesuffix(b"\r") for x in lines]
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(raw)
    reader = FileReader(p, chunk_lines=41, max_line_bytes=limit)
    reader.open()
    chunks = read_all(reader)
    assert flatten(chunks) == expected
    check_contiguous(chunks, raw=raw)
    assert chunks[-1].end_offset == len(raw)
    reader.close()


def test_real_block_size_chunks(tmp_path):
    lines = numbered(50_000, width=90)
    raw = b"".join(line + b"\n" for line in lines)
    assert len(raw) > 2 * jsonl.BLOCK
    p = tmp_path / "big.jsonl"
    p.write_bytes(raw)
    chunks = list(read_files([str(p)], lambda _p: None))
    assert len(chunks) >= 2
    assert flatten(chunks) == lines
    check_contiguous(chunks, raw=raw)
    assert chunks[-1].end_offset == len(raw)


def test_empty_file_gives_no_chunk(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_bytes(b"")
    assert list(read_files([str(p)], lambda _p: None)) == []


def test_blank_lines_are_lines(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"a\n\n\nb\n   \nc\n")
    (chunk,) = list(read_files([str(p)], lambda _p: None))
    assert chunk.lines == [b"a", b"", b"", b"b", b"   ", b"c"]
    assert chunk.end_offset == 12


# -- CRLF and the last line -----------------------------------------------------------------------


@pytest.mark.parametrize("block", [1, 2, 3, 4096])
def test_crlf_lines(tmp_path, small_blocks, block):
    small_blocks(block)
    raw = b"one\r\ntwo\r\n\r\nthree\nfo\rur\r\n"
    p = tmp_path / "crlf.jsonl"
    p.write_bytes(raw)
    chunks = list(read_files([str(p)], lambda _p: None))
    lines, end = flatten(chunks), chunks[-1].end_offset
    # a lone CR inside a line is data; only the CR of a CRLF ending goes
    assert lines == [b"one", b"two", b"", b"three", b"fo\rur"]
    assert end == len(raw)


def test_final_line_without_newline_counts_when_final(tmp_path):
    raw = b"a\nb\nlast"
    p = tmp_path / "a.jsonl"
    p.write_bytes(raw)
    chunks = list(read_files([str(p)], lambda _p: None))
    assert flatten(chunks) == [b"a", b"b", b"last"]
    assert chunks[-1].end_offset == len(raw)


def test_final_line_with_cr_only_ending(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"a\r\nlast\r")
    chunks = list(read_files([str(p)], lambda _p: None))
    assert flatten(chunks) == [b"a", b"last"]
    assert chunks[-1].end_offset == 8


@pytest.mark.parametrize("block", [2, 4096])
def test_unterminated_line_held_back_while_following(tmp_path, small_blocks, block):
    small_blocks(block)
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"first\nsecond\nthi")
    reader = FileReader(p)
    reader.open()
    chunks = read_all(reader, final=False)
    assert flatten(chunks) == [b"first", b"second"]
    assert chunks[-1].end_offset == 13
    assert (reader.offset, reader.line) == (13, 2)
    # nothing new yet
    assert read_all(reader, final=False) == []
    with p.open("ab") as fh:
        fh.write(b"rd\r\nfourth\nfif")
    chunks = read_all(reader, final=False)
    assert [(c.first_line, c.lines) for c in chunks] == [(3, [b"third", b"fourth"])]
    assert chunks[0].end_offset == len(b"first\nsecond\nthird\r\nfourth\n")
    with p.open("ab") as fh:
        fh.write(b"th\n")
    (chunk,) = read_all(reader, final=False)
    assert (chunk.first_line, chunk.lines, chunk.end_offset) == (5, [b"fifth"], p.stat().st_size)
    reader.close()


# -- oversize lines -------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [3, 50, 4096])
def test_oversize_lines_are_none_with_the_right_numbers(tmp_path, small_blocks, block):
    small_blocks(block)
    limit = 100
    lines = [b"short", b"y" * 101, b"exactly" + b"z" * 93, b"w" * 5000, b"", b"after", b"v" * 250]
    assert len(lines[2]) == limit
    raw = b"\n".join(lines) + b"\n" + b"tail"
    p = tmp_path / "a.jsonl"
    p.write_bytes(raw)
    reader = FileReader(p, max_line_bytes=limit, chunk_lines=3)
    reader.open()
    chunks = read_all(reader)
    assert flatten(chunks) == [b"short", None, lines[2], None, b"", b"after", None, b"tail"]
    check_contiguous(chunks, raw=raw)
    assert chunks[-1].end_offset == len(raw)
    reader.close()


def test_a_crlf_line_exactly_at_the_limit_is_not_oversize(tmp_path, small_blocks):
    small_blocks(7)
    limit = 20
    raw = b"a" * limit + b"\r\n" + b"b" * (limit + 1) + b"\r\n" + b"c\r\n" + b"d" * (limit + 1)
    p = tmp_path / "crlf.jsonl"
    p.write_bytes(raw)
    reader = FileReader(p, max_line_bytes=limit)
    reader.open()
    chunks = read_all(reader)
    assert flatten(chunks) == [b"a" * limit, None, b"c", None]
    check_contiguous(chunks, raw=raw)
    reader.close()


def test_oversize_unterminated_last_line(tmp_path, small_blocks):
    small_blocks(16)
    p = tmp_path / "a.jsonl"
    raw = b"ok\n" + b"q" * 300
    p.write_bytes(raw)
    reader = FileReader(p, max_line_bytes=100)
    reader.open()
    following = read_all(reader, final=False)
    assert flatten(following) == [b"ok"]
    final = read_all(reader, final=True)
    assert [(c.first_line, c.lines, c.end_offset) for c in final] == [(2, [None], len(raw))]
    reader.close()


def test_oversize_line_completed_while_following(tmp_path, small_blocks):
    small_blocks(16)
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"ok\n" + b"q" * 300)
    reader = FileReader(p, max_line_bytes=100)
    reader.open()
    assert flatten(read_all(reader, final=False)) == [b"ok"]
    with p.open("ab") as fh:
        fh.write(b"q" * 200)
    assert read_all(reader, final=False) == []
    with p.open("ab") as fh:
        fh.write(b"q\nnext\n")
    chunks = read_all(reader, final=False)
    assert [(c.first_line, c.lines) for c in chunks] == [(2, [None, b"next"])]
    assert chunks[-1].end_offset == p.stat().st_size
    reader.close()


def test_line_longer_than_the_read_block(tmp_path):
    """Default limit (1 MiB), one line of 2.5 MiB: skipped as it streams past, offsets still exact."""
    big = b'{"v":1,"pad":"' + b"p" * (5 * jsonl.BLOCK // 2) + b'"}'
    before = [b'{"n":1}', b'{"n":2}']
    after = [b'{"n":3}', b"x" * (jsonl.BLOCK - 1), b'{"n":4}']
    raw = b"\n".join([*before, big, *after]) + b"\n"
    p = tmp_path / "big-line.jsonl"
    p.write_bytes(raw)
    chunks = list(read_files([str(p)], lambda _p: None))
    assert flatten(chunks) == [*before, None, *after]
    check_contiguous(chunks, raw=raw)
    assert chunks[-1].end_offset == len(raw)


def test_oversize_line_offset_is_a_valid_resume_point(tmp_path, small_blocks):
    small_blocks(8)
    p = tmp_path / "a.jsonl"
    raw = b"a\n" + b"b" * 500 + b"\nc\nd\n"
    p.write_bytes(raw)
    reader = FileReader(p, max_line_bytes=100, chunk_lines=1)
    reader.open()
    chunks = read_all(reader)
    reader.close()
    at = next(c for c in chunks if None in c.lines)
    assert raw[at.end_offset - 1 : at.end_offset] == b"\n"
    assert raw[at.end_offset :].startswith(b"c\n")
    resumed = FileReader(p, resume=(at.end_offset, at.first_line - 1 + len(at.lines), at.fingerprint))
    resumed.open()
    rest = read_all(resumed)
    resumed.close()
    assert rest[0].first_line == 3
    assert flatten(rest) == [b"c", b"d"]


# -- resume ---------------------------------------------------------------------------------------


def _saved(chunk) -> tuple[int, int, str]:
    return (chunk.end_offset, chunk.first_line - 1 + len(chunk.lines), chunk.fingerprint)


@pytest.mark.parametrize("stop_after", [1, 3, 6])
def test_resume_from_a_saved_position_continues_exactly(tmp_path, small_blocks, stop_after):
    small_blocks(64)
    lines = numbered(300)
    raw = b"".join(line + b"\n" for line in lines)
    p = tmp_path / "a.jsonl"
    p.write_bytes(raw)
    reader = FileReader(p, chunk_lines=40)
    reader.open()
    it = reader.read(final=True)
    done = [next(it) for _ in range(stop_after)]
    reader.close()
    saved = _saved(done[-1])
    resumed = FileReader(p, resume=saved, chunk_lines=40)
    resumed.open()
    rest = read_all(resumed)
    resumed.close()
    assert rest[0].first_line == saved[1] + 1
    assert flatten(done) + flatten(rest) == lines
    check_contiguous(rest, first=saved[1] + 1, start_offset=saved[0], raw=raw)


def test_resume_after_the_file_grew(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"".join(line + b"\n" for line in numbered(10)))
    (chunk,) = list(read_files([str(p)], lambda _p: None))
    with p.open("ab") as fh:
        fh.write(b"".join(line + b"\n" for line in numbered(5, start=11)))
    rest = list(read_files([str(p)], lambda _p: _saved(chunk)))
    assert [(c.first_line, c.lines) for c in rest] == [(11, numbered(5, start=11))]


def test_resume_of_a_file_that_was_tiny_when_saved(tmp_path):
    """The fingerprint of a file shorter than the fingerprint window still matches once it grows."""
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"{}\n")
    (chunk,) = list(read_files([str(p)], lambda _p: None))
    with p.open("ab") as fh:
        fh.write(b"x" * 100 + b"\nnext\n")
    rest = list(read_files([str(p)], lambda _p: _saved(chunk)))
    assert [(c.first_line, c.lines) for c in rest] == [(2, [b"x" * 100, b"next"])]


def test_resume_at_end_reads_nothing(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"a\nb\n")
    (chunk,) = list(read_files([str(p)], lambda _p: None))
    assert list(read_files([str(p)], lambda _p: _saved(chunk))) == []


def test_resume_lookup_uses_the_absolute_path(tmp_path, monkeypatch):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"a\nb\n")
    asked = []
    monkeypatch.chdir(tmp_path)
    list(read_files(["a.jsonl"], lambda path: asked.append(path)))
    assert asked == [str(p)]


def test_different_file_at_the_same_path_starts_from_zero(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"".join(b'{"id":"old-%04d"}\n' % i for i in range(50)))
    (chunk,) = list(read_files([str(p)], lambda _p: None))
    saved = _saved(chunk)
    new = [b'{"id":"new-%04d"}' % i for i in range(80)]  # longer than the saved offset
    p.write_bytes(b"".join(line + b"\n" for line in new))
    assert p.stat().st_size > saved[0]
    chunks = list(read_files([str(p)], lambda _p: saved))
    assert chunks[0].first_line == 1
    assert flatten(chunks) == new


def test_truncated_file_starts_from_zero(tmp_path):
    p = tmp_path / "a.jsonl"
    lines = numbered(100)
    p.write_bytes(b"".join(line + b"\n" for line in lines))
    (chunk,) = list(read_files([str(p)], lambda _p: None))
    # same beginning, shorter: a truncated (or rewritten) file
    p.write_bytes(b"".join(line + b"\n" for line in lines[:30]))
    chunks = list(read_files([str(p)], lambda _p: _saved(chunk)))
    assert chunks[0].first_line == 1
    assert flatten(chunks) == lines[:30]


@pytest.mark.parametrize("fingerprint", ["", "garbage", "-1:abc", "64:0000000000000000", "999999:ab"])
def test_unusable_fingerprint_starts_from_zero(tmp_path, fingerprint):
    p = tmp_path / "a.jsonl"
    lines = numbered(20)
    p.write_bytes(b"".join(line + b"\n" for line in lines))
    chunks = list(read_files([str(p)], lambda _p: (40, 2, fingerprint)))
    assert flatten(chunks) == lines


# -- errors ---------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        list(read_files([str(tmp_path / "nope.jsonl")], lambda _p: None))


def test_directory(tmp_path):
    with pytest.raises(SourceError, match="directory"):
        list(read_files([str(tmp_path)], lambda _p: None))


# -- memory ---------------------------------------------------------------------------------------

_MEMORY_PROBE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from connectors.jsonl import read_files

    def rss_kib(field):
        for row in open("/proc/self/status"):
            if row.startswith(field + ":"):
                return int(row.split()[1])

    path = sys.argv[1]
    # warm up: imports, one chunk of the same file, so the baseline has the reader's working set
    for _ in zip(range(2), read_files([path], lambda _p: None)):
        pass
    base = rss_kib("VmRSS")
    lines = none = 0
    for chunk in read_files([path], lambda _p: None):
        lines += len(chunk.lines)
        none += chunk.lines.count(None)
    print(lines, none, rss_kib("VmHWM") - base)
    """
)


def test_memory_stays_flat_on_a_200_mb_file(tmp_path):
    line = (
        b'{"v":1,"id":"%08d","ts":"2026-11-30T03:00:00Z","type":"message.user","text":"'
        + b"t" * 150
        + b'"}\n'
    )
    block = b"".join(line.replace(b"%08d", b"%08d" % i) for i in range(5000))
    big = b"b" * (3 * jsonl.BLOCK) + b"\n"  # also one oversize line per repetition block
    p = tmp_path / "huge.jsonl"
    reps = (200 << 20) // len(block) + 1
    try:
        with p.open("wb") as fh:
            for i in range(reps):
                fh.write(block)
                if i % 40 == 0:
                    fh.write(big)
        size = p.stat().st_size
        assert size >= 200 << 20
        probe = tmp_path / "probe.py"
        probe.write_text(_MEMORY_PROBE.format(root=str(ROOT)))
        out = subprocess.run(
            [sys.executable, str(probe), str(p)], capture_output=True, text=True, timeout=120, check=True
        ).stdout.split()
        lines, oversize, growth_kib = (int(x) for x in out)
        n_big = len(range(0, reps, 40))
        assert lines == reps * 5000 + n_big
        assert oversize == n_big
        assert growth_kib < 20 * 1024, (
            f"peak RSS grew by {growth_kib / 1024:.1f} MiB reading {size >> 20} MiB"
        )
    finally:
        if p.exists():
            os.unlink(p)


def test_new_file_that_begins_like_the_old_one_starts_from_zero(tmp_path):
    """Two audit logs of the same application share their first bytes (same field order, same first
    conversation id): a new file at the path must still be read from its start, not from the old offset."""
    p = tmp_path / "audit.jsonl"
    eventgen.write(p, 300, seed=1)
    old = p.read_bytes()
    chunks = list(read_files([str(p)], lambda _p: None))
    saved = _saved(chunks[-1])
    eventgen.write(p, 600, seed=2)  # another run of the application, same path
    new = p.read_bytes()
    assert new[:200] == old[:200] and new != old
    chunks = list(read_files([str(p)], lambda _p: saved))
    assert chunks[0].first_line == 1
    assert flatten(chunks) == new.splitlines()
