"""The key behind findings' value hashes.

Findings keep a keyed hash of each value, never the value: equal values compare equal, and a
hash cannot be reversed by trying every SSN or phone number without the key. The key comes from
``$TRUSTOPS_HASH_KEY`` (a team sharing a PostgreSQL store sets the same one everywhere), else a
random key created once in the data directory, readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
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
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UserError(f"{path}: cannot read the hash key: {exc.strerror or exc}") from None
    key = secrets.token_hex(32).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()  # another process made it first: use theirs
    except OSError as exc:
        raise UserError(f"{path}: cannot create the hash key: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
