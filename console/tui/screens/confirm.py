"""The reusable confirmation: what will happen, in words; ``y`` / ``n`` / ``escape``; the safe
answer has the focus, so a stray Enter never confirms."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on ``y`` or the confirm button."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
    ]

    def __init__(
        self, title: Content, body: Content, *, yes: str = "Yes", no: str = "No", danger: bool = True
    ) -> None:
        super().__init__(classes="-danger" if danger else "")
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = self._title
            yield Static(self._body, id="body")
            with Horizontal(id="buttons"):
                yield Button(Content(f"{self._no}  [n]"), id="no", variant="primary")
                yield Button(Content(f"{self._yes}  [y]"), id="yes", variant="error")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#no", Button))  # synchronous: a key typed at once meets it

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
