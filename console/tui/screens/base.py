"""What every console view shares: the top bar and breadcrumbs, the ``:`` command line, the footer,
and the read-only rule, which each view inherits from here and never decides itself."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer

from console.tui.commands import PaletteEntry
from console.tui.widgets.command_line import CommandLine
from console.tui.widgets.top_bar import Breadcrumbs, TopBar


class ConsoleScreen(Screen):
    """Subclasses implement ``compose_body`` and ``crumbs``; ``available`` refines which of
    their actions make sense right now (never whether writing is allowed: that is the app's)."""

    def compose(self) -> ComposeResult:
        yield TopBar()
        yield from self.compose_body()
        yield CommandLine()
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def crumbs(self) -> list[Content]:
        return []

    def palette_entries(self) -> list[PaletteEntry]:
        return []

    def available(self, action: str) -> bool | None:
        """True: enabled; None: shown but greyed out; False: hidden."""
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.app.permits(action, parameters):
            return False
        return self.available(action)

    def focus_default(self) -> None:
        """Give the focus back to the view's main widget (after the command line closes)."""
        self.focus_next()

    def on_screen_resume(self) -> None:
        self.refresh_crumbs()

    def refresh_crumbs(self) -> None:
        if self.is_current:
            self.query_one(Breadcrumbs).show(self.app.navigator.crumbs())
