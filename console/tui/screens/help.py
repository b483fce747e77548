"""``?``: the keys in force on the view underneath, and the ``:`` commands with their aliases."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from console.tui.commands import COMMANDS
from console.tui.untrusted import join


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close")
    ]

    def __init__(self, view: str, bindings: dict[str, ActiveBinding], key_display) -> None:
        super().__init__()
        self._view = view
        self._keys_in_force = bindings
        self._key_display = key_display

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = Content(f"Keys in force: {self._view}")
            with VerticalScroll():
                yield Static(self._keys(), id="keys")
                yield Static(self._commands(), id="commands")

    def _keys(self) -> Content:
        """The console's own keys (every one has an id), view keys before the global ones."""
        view: list = []
        everywhere: list = []
        seen: set[str] = set()
        for active in self._keys_in_force.values():
            b = active.binding
            own = isinstance(active.node, Screen | App)  # a widget's keys only when it shows them
            if not b.id or not b.description or b.id in seen or not (b.show or own):
                continue
            seen.add(b.id)
            line = join(
                (f"{self._key_display(b):>10}  ", "bold"),
                (b.description, "" if active.enabled else "dim"),
                "\n",
            )
            (everywhere if b.id.startswith("app.") else view).append(line)
        return join(
            ("This view\n", "bold underline"),
            (f"{'↑ ↓ pgup pgdn':>10}  ", "bold"),
            "move\n",
            *view,
            ("\nEverywhere\n", "bold underline"),
            *everywhere,
            (f"{'ctrl+p':>10}  ", "bold"),
            "command palette\n",
        )

    def _commands(self) -> Content:
        lines: list = [("\nCommands  (type : then a command; aliases in brackets)\n", "bold underline")]
        for c in COMMANDS:
            aliases = ", ".join(c.aliases)
            lines.append(join((f"  :{c.usage}", "bold"), (f"  [{aliases}]", "dim"), f"  {c.help}\n"))
        return join(*lines)

    def action_close(self) -> None:
        self.dismiss(None)
