"""The ``:`` command line at the foot of every view (k9s style), completing command names."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import SuggestFromList
from textual.widgets import Input

from console.tui.commands import command_words


class CommandLine(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="command.close")]

    def __init__(self) -> None:
        super().__init__(
            placeholder="command — conversations, trail ID, memory CUSTOMER, flag F, search TEXT, help, quit",
            suggester=SuggestFromList(command_words(), case_sensitive=False),
            id="command-line",
        )
        self.display = False

    def open(self) -> None:
        self.value = ""
        self.display = True
        self.screen.set_focus(self)  # at once: the next key typed must land here

    def action_close(self) -> None:
        self.display = False
        self.screen.focus_default()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value
        self.action_close()
        self.app.run_command_line(line)
