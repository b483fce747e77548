"""Where the console's screens get their data: one interface for the live store and for bundles.

Screens talk to a :class:`DataSource`, never to a store or a driver. :class:`StoreSource` serves a
store (live, or the private copy a bundle is unpacked into, with ``read_only=True``). Whether the
console may change anything is decided by the app from ``read_only`` alone (see
``TrustopsApp.permits``); a read-only source also refuses writes itself, so a forgotten check
fails loudly instead of writing.

Every method blocks: screens call them from thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from console.core.errors import UserError
from console.core.queries import (
    ConversationFilter,
    ConversationSummary,
    CustomerMemory,
    Trail,
    conversation_trail,
    count_conversations,
    customer_memory,
    get_conversation,
    list_conversations,
)
from console.core.search import IndexProgress, SearchIndex
from console.core.store import Store, redact_url


def _short(url: str) -> str:
    """A store URL as the header shows it: the file name, or host and database without password."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :]).name
    return redact_url(url).replace("postgresql+psycopg://", "postgresql://")


class ReadOnlySource(UserError):
    """A write was attempted on a read-only source."""


class DataSource(Protocol):
    label: str  # what the header shows: "store sqlite:///…", "bundle incident-42.tob"
    read_only: bool

    def conversations(self, f: ConversationFilter) -> list[ConversationSummary]: ...
    def count(self, f: ConversationFilter) -> int: ...
    def conversation(self, conversation_id: str) -> ConversationSummary | None: ...
    def trail(self, conversation_id: str) -> Trail | None: ...
    def customer_memory(self, customer_id: str) -> CustomerMemory: ...
    def deployments(self) -> list[str]: ...
    def index(
        self, progress: Callable[[IndexProgress], None], stop: threading.Event | None = None
    ) -> int: ...
    def log_operator(self, operator: str, action: str, target: str, detail: str) -> None: ...


class StoreSource:
    """A :class:`DataSource` over a :class:`Store`."""

    def __init__(self, store: Store, *, read_only: bool = False, label: str | None = None) -> None:
        self.store = store
        self.read_only = read_only
        self.label = label or f"store {_short(store.url)}"
        self._search = SearchIndex(store)

    def conversations(self, f: ConversationFilter) -> list[ConversationSummary]:
        return list_conversations(self.store, f)

    def count(self, f: ConversationFilter) -> int:
        return count_conversations(self.store, f)

    def conversation(self, conversation_id: str) -> ConversationSummary | None:
        return get_conversation(self.store, conversation_id)

    def trail(self, conversation_id: str) -> Trail | None:
        return conversation_trail(self.store, conversation_id)

    def customer_memory(self, customer_id: str) -> CustomerMemory:
        return customer_memory(self.store, customer_id)

    def deployments(self) -> list[str]:
        rows = self.store.query(
            "SELECT DISTINCT deployment FROM conversations WHERE deployment IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def index(self, progress: Callable[[IndexProgress], None], stop: threading.Event | None = None) -> int:
        """Bring the search index up to date (a bundle's private copy is indexed the same way)."""
        return self._search.catch_up(progress=progress, stop=stop)

    def log_operator(self, operator: str, action: str, target: str, detail: str) -> None:
        if self.read_only:
            raise ReadOnlySource(f"read-only source: not logging {action} on {target}")
        self.store.log_operator(operator, action, target, detail)
