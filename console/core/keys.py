"""The key behind findings' value hashes.

Findings keep a keyed hash of each value, never the value: equal values compare equal, and a
hash cannot be reversed by trying every SSN or phone number without the key. The key comes from
``$TRUSTOPS_HASH_KEY`` (a team sharing a PostgreSQL store sets the same one everywhere), else a
random key created once in the data directory, readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from console.core.errors import UserError
from console.core.paths import data_dir

ENV = "TRUSTOPS_HASH_KEY"


def hash_key(path: Path | None = None) -> bytes:
    env = os.environ.get(ENV)
    if env:
        return env.encode()
    path = path or data_dir() / "hash.key"
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: another process never reads a half-written key,
        # and of two first runs at once, the first link wins and the other uses its key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hash.key.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_hex(32).encode())
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise UserError(f"{path}: cannot create the hash key: {exc.strerror or exc}") from None
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UserError(f"{path}: cannot read the hash key: {exc.strerror or exc}") from None
    if not key:
        raise UserError(f"{path}: the hash key file is empty (delete it to make a new key, or set {ENV})")
    return key
