"""The base of every error a user can cause: the CLI turns it into one line on stderr and exit 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, bad arguments, something missing or unreachable: the message says what and where."""
