"""One event's raw JSON: pretty-printed, redacted unless revealed, every character visible."""

from __future__ import annotations

from typing import ClassVar

import orjson
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from console.tui.untrusted import untrusted

MAX_CHARS = 200_000


class RawEventScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,j,q", "close", "Close", id="raw.close"),
        Binding("c", "copy", "Copy event id", id="raw.copy"),
    ]

    def __init__(self, title: Content, data: dict, event_id: str) -> None:
        super().__init__()
        self._title = title
        self._data = data
        self._event_id = event_id

    def compose(self) -> ComposeResult:
        text = orjson.dumps(self._data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
        with Vertical(id="dialog") as box:
            box.border_title = self._title
            with VerticalScroll():
                yield Static(untrusted(text, multiline=True, max_chars=MAX_CHARS), id="json")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_copy(self) -> None:
        self.app.copy_event_id(self._event_id)
