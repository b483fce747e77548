"""The dashboard's lines of text (status, alerts, deploy comparison): repainted only on change."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class KpiText(Static):
    """A ``Static`` that repaints only when its text or its styles change (``Content.__eq__``
    compares the text alone), and can say what is still being computed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[str, tuple] | None = None

    def put(self, content: Content) -> None:
        key = (content.plain, tuple(content.spans))
        if key != self._shown:
            self._shown = key
            self.update(content)

    def wait(self, what: str) -> None:
        """Say what is being computed (never "no alerts" before the alerts are known)."""
        self.put(Content(what).stylize("italic $text-muted"))
