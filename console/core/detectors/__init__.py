"""Detectors run at ingest on every event: PII, PII leaks, secrets, prompt injection, unauthorized
tool calls and ungrounded answers. Rules and validated recognizers only; a model-based detector
plugs in as a :class:`TextRecognizer`. See README.md in this package for what each one catches
and what it does not.
"""

from __future__ import annotations

from .base import Hit, Origin, TextRecognizer
from .hashing import normalise, value_hash
from .pii import PII_TYPES
from .scan import DetectorSet
from .secrets import SECRET_TYPES

__all__ = [
    "PII_TYPES",
    "SECRET_TYPES",
    "DetectorSet",
    "Hit",
    "Origin",
    "TextRecognizer",
    "normalise",
    "value_hash",
]
