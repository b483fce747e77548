"""Where the console goes: the first screen, drill-downs, and the breadcrumbs of the way there.

The first screen is :func:`home_screen`: the KPI dashboard, which opens the explorer on a
KPI's flag and deployment with::

    app.navigator.conversations(ConversationFilter(flags=("pii_leak",), deployment="billing-agent"))

Drill-downs push screens (Enter goes in, Esc comes back); breadcrumbs are read from the stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.screen import Screen

from console.core.queries import ConversationFilter

if TYPE_CHECKING:
    from console.tui.app import TrustopsApp


def home_screen(app: TrustopsApp) -> Screen:
    """The console's first screen: the live KPI dashboard; the explorer when the console was
    opened on a filter, or on a source with no store to compute KPIs from."""
    from console.tui.screens.explorer import ExplorerScreen

    if app.initial_filter is not None or getattr(app.source, "store", None) is None:
        return ExplorerScreen(app.initial_filter or ConversationFilter())
    from console.tui.screens.dashboard import DashboardScreen

    return DashboardScreen(first_look=app.first_look)


class Navigator:
    """Opens the console's views; one per app (``app.navigator``)."""

    def __init__(self, app: TrustopsApp) -> None:
        self.app = app

    def conversations(self, f: ConversationFilter | None = None) -> None:
        """The conversation explorer with ``f`` applied: the one on screen is refiltered, else one is pushed."""
        from console.tui.screens.explorer import ExplorerScreen

        screen = self.app.screen
        if isinstance(screen, ExplorerScreen):
            screen.apply_filter(f or ConversationFilter())
            return
        self.app.push_screen(ExplorerScreen(f or ConversationFilter()))

    def trail(
        self, conversation_id: str, *, event_id: str | None = None, focus_memory: str | None = None
    ) -> None:
        """A conversation's trail, on one event, or on the write of one memory item."""
        from console.tui.screens.trail import TrailScreen

        self.app.push_screen(TrailScreen(conversation_id, focus_event=event_id, focus_memory=focus_memory))

    def memory(self, customer_id: str) -> None:
        from console.tui.screens.memory import MemoryScreen

        self.app.push_screen(MemoryScreen(customer_id))

    def crumbs(self) -> list[Content]:
        """The crumbs of every view on the stack, home first (modal screens have none)."""
        return [c for s in self.app.screen_stack for c in getattr(s, "crumbs", list)()]
