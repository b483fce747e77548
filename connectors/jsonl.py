"""JSON Lines files as a source of raw lines: chunked reads, saved offsets, tailing.

The reader never holds more than one block plus one line in memory, however large the file:
a line over the size limit is skipped as it streams past and reported as such, not buffered.
A followed file that is truncated (copytruncate) starts over from byte 0; one that is rotated
(renamed, a new file created at the path) is drained to its end first, then the new file is read
from its start.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from console.core.errors import UserError
from console.core.events import DEFAULT_MAX_LINE_BYTES

BLOCK = 1 << 20
# Lines per chunk (one transaction each). Bigger chunks rewrite the store's busiest pages (the
# B-trees' right edges, active conversations) fewer times, but each chunk in flight in the
# ingest pipeline holds ~10 MB per 10k lines (measured: 10k is as fast as 16k, with less memory).
CHUNK_LINES = 10_000
FINGERPRINT_BYTES = 1024  # a whole first line or more: 64 bytes is often just the shared field prefix


@dataclass(slots=True)
class Chunk:
    """Consecutive complete lines of one file. ``None`` stands for a line over the size limit."""

    path: str
    first_line: int  # 1-based number of lines[0]
    lines: list[bytes | None]
    end_offset: int  # byte offset just after the last line: where a restart resumes
    fingerprint: str
    generation: int = 0  # how many times another file has taken this path


class SourceError(UserError):
    """A file cannot be read; the message names it."""


def fingerprint_of(fh, size: int) -> str:
    """Identity of a file's content: a hash of its first bytes, with how many were hashed."""
    n = min(size, FINGERPRINT_BYTES)
    head = os.pread(fh.fileno(), n, 0) if n else b""
    return f"{n}:{hashlib.sha1(head).hexdigest()[:16]}"


def matches(fh, size: int, fingerprint: str) -> bool:
    n_text, _, _ = fingerprint.partition(":")
    n = int(n_text) if n_text.isdigit() else -1
    if n < 0 or size < n:
        return False
    head = os.pread(fh.fileno(), n, 0) if n else b""
    return fingerprint == f"{n}:{hashlib.sha1(head).hexdigest()[:16]}"


class FileReader:
    """Reads one path from a saved position, detecting rotation and truncation when followed."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        resume: tuple[int, int, str] | tuple[int, int, str, int] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        chunk_lines: int = CHUNK_LINES,
    ) -> None:
        self.path = str(Path(path).absolute())
        self.max_line = max_line_bytes
        self.chunk_lines = chunk_lines
        self._fh = None
        self._resume = resume
        self.offset = 0  # bytes consumed (complete lines only)
        self.line = 0  # lines consumed
        self._pending = b""  # an incomplete trailing line
        self._skipping = False  # inside an oversize line, discarding until its newline
        self._skipped = 0  # bytes of that line discarded so far
        self.fingerprint = "0:"
        # Each new file at the path (rotation, truncation, replacement) is a new generation, so
        # its line numbers never collide with the previous file's in the rejects table.
        self.generation = resume[3] if resume is not None and len(resume) > 3 else 0

    # -- opening ---------------------------------------------------------------------------------
    def open(self, *, required: bool = True) -> bool:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - held open across calls on purpose
        except FileNotFoundError:
            if required:
                raise SourceError(f"{self.path}: no such file") from None
            return False
        except IsADirectoryError:
            raise SourceError(f"{self.path}: is a directory, not a file") from None
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        self._fh = fh
        size = os.fstat(fh.fileno()).st_size
        resume, self._resume = self._resume, None
        if resume is not None and resume[0] <= size and matches(fh, size, resume[2]):
            self.offset, self.line = resume[0], resume[1]
        else:
            if resume is not None:
                self.generation += 1
            self.offset, self.line = 0, 0
        self._pending, self._skipping, self._skipped = b"", False, 0
        fh.seek(self.offset)
        self.fingerprint = fingerprint_of(fh, size)
        return True

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    # -- reading ---------------------------------------------------------------------------------
    def read(self, *, final: bool) -> Iterator[Chunk]:
        """Yield chunks of the complete lines available now.

        ``final``: the file will not grow any more, so an unterminated last line counts as a line.
        """
        if self._fh is None and not self.open(required=False):
            return
        fh = self._fh
        assert fh is not None
        lines: list[bytes | None] = []
        first = self.line + 1
        pos = self.offset  # just after the last complete line handled; pending data starts here
        while True:
            block = fh.read(BLOCK)
            if not block:
                break
            data = self._pending + block if self._pending else block
            parts = data.split(b"\n")
            self._pending = parts.pop()
            if not self._skipping and b"\r" not in data and max(map(len, parts), default=0) <= self.max_line:
                lines += parts  # the usual block (no line to skip, no CR to drop): checked in C
                pos += len(data) - len(self._pending)
            else:
                pos += self._take(parts, lines)
            if len(self._pending) > self.max_line + 1:  # + 1: room for a CR before the newline
                self._skipped += len(self._pending)
                self._pending, self._skipping = b"", True
            if len(lines) >= self.chunk_lines:
                yield self._emit(lines, first, pos)
                first, lines = self.line + 1, []
        if final and (self._pending or self._skipping):
            tail = self._pending
            text = tail[:-1] if tail.endswith(b"\r") else tail
            lines.append(None if self._skipping or len(text) > self.max_line else text)
            pos += len(tail) + self._skipped
            self._pending, self._skipping, self._skipped = b"", False, 0
        if lines:
            yield self._emit(lines, first, pos)

    def _take(self, parts: list[bytes], lines: list[bytes | None]) -> int:
        """Add a block's lines one by one (a line over the limit is None, a CR before the
        newline is dropped); the bytes they took."""
        taken = 0
        for part in parts:
            size = len(part) + 1
            if self._skipping:
                size += self._skipped
                self._skipping, self._skipped = False, 0
                lines.append(None)
            elif len(part) > self.max_line and not (
                len(part) == self.max_line + 1 and part.endswith(b"\r")  # the CR is not content
            ):
                lines.append(None)
            else:
                lines.append(part[:-1] if part.endswith(b"\r") else part)
            taken += size
        return taken

    def _emit(self, lines: list[bytes | None], first: int, end: int) -> Chunk:
        self.offset = end
        self.line += len(lines)
        if not self.fingerprint.startswith(f"{FINGERPRINT_BYTES}:"):
            self.fingerprint = fingerprint_of(self._fh, os.fstat(self._fh.fileno()).st_size)
        return Chunk(self.path, first, lines, end, self.fingerprint, self.generation)

    def check_replaced(self) -> bool:
        """While following: has the file been truncated or rotated away?"""
        return self.replacement() is not None

    def replacement(self) -> str | None:
        """While following: ``"rotated"`` (another file now at the path), ``"truncated"`` (this file
        shrank, or was rewritten in place: its first bytes changed) or None."""
        if self._fh is None:
            return None  # not open yet: the next read() opens it and reads it from its start
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None  # renamed, the new file not there yet: keep draining the old one
        own = os.fstat(self._fh.fileno())
        if (st.st_dev, st.st_ino) != (own.st_dev, own.st_ino):
            return "rotated"
        if own.st_size < self.offset + len(self._pending) + self._skipped:
            return "truncated"
        if not matches(self._fh, own.st_size, self.fingerprint):
            # copytruncate, then written past the old end before we looked: the size alone misses it
            return "truncated"
        return None

    def reopen(self) -> None:
        self.close()
        self.generation += 1
        self.open(required=False)


def read_files(
    paths: list[str], resume_of, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[Chunk]:
    """Read each file once, to its end. ``resume_of(path)`` gives a saved position or None."""
    for p in paths:
        reader = FileReader(p, resume=resume_of(str(Path(p).absolute())), max_line_bytes=max_line_bytes)
        reader.open()
        try:
            yield from reader.read(final=True)
        finally:
            reader.close()


def follow_files(
    paths: list[str],
    resume_of,
    stop: threading.Event,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    poll_ms: int = 500,
) -> Iterator[Chunk]:
    """Tail files until ``stop`` is set, waking on file-system events (watchfiles) or a poll."""
    from watchfiles import watch

    readers = [
        FileReader(p, resume=resume_of(str(Path(p).absolute())), max_line_bytes=max_line_bytes) for p in paths
    ]
    for r in readers:
        r.open(required=False)
        Path(r.path).parent.mkdir(parents=True, exist_ok=True)
    dirs = sorted({str(Path(r.path).parent) for r in readers})
    watcher = watch(*dirs, stop_event=stop, rust_timeout=poll_ms, yield_on_timeout=True, debounce=20, step=20)
    try:
        while not stop.is_set():
            for r in readers:
                # Checked before reading too: a file truncated and refilled past the old offset must
                # not be read from that offset.
                yield from _pick_up(r)
                yield from r.read(final=False)
                yield from _pick_up(r)
            if stop.is_set():
                break
            next(watcher, None)
    finally:
        for r in readers:
            r.close()


def _pick_up(r: FileReader) -> Iterator[Chunk]:
    """Follow a rotation or truncation of ``r``'s path, if there was one."""
    what = r.replacement()
    if what is None:
        return
    if what == "rotated":
        yield from r.read(final=True)  # what is left in the old file is complete
    # truncated: the handle now shows the new content, so nothing more is read from it; start over
    r.reopen()
    yield from r.read(final=False)
