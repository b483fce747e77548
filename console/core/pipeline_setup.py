"""Builds the ingest pipeline a configuration asks for: detectors, redaction at ingest, limits."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from console.core.config import Config
from console.core.detectors import DetectorSet
from console.core.ingest import Ingestor, Reject
from console.core.keys import hash_key
from console.core.redaction import RedactionPolicy, redact_event
from console.core.store import Store


def build_ingestor(
    store: Store, cfg: Config, *, on_reject: Callable[[Reject], None] | None = None, detectors: bool = True
) -> Ingestor:
    """The pipeline as ``trustops ingest`` runs it. ``detectors=False`` only for benchmarks' baselines."""
    scanner = None
    redact = None
    if detectors:
        key = hash_key()
        scanner = DetectorSet(hash_key=key, canary_tokens=cfg.canary_tokens)
        if cfg.redact_at_ingest:
            redact = partial(redact_event, policy=RedactionPolicy.from_mapping(cfg.redaction), hash_key=key)
    return Ingestor(
        store, detectors=scanner, redact=redact, on_reject=on_reject, max_line_bytes=cfg.max_line_bytes
    )
