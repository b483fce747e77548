"""The audit log: SPEC section 3 events appended as JSON Lines while they happen."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson


class AuditLog:
    """Appends one event per line with one unbuffered ``write``, so a tail never sees half a line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        self.written = 0
        self._lock = threading.Lock()
        self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed by close()

    def write(self, event: dict) -> None:
        line = orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            self._file.write(line)
            self.written += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()
