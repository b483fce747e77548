"""The bar at the top of every screen: environment (in its colour), data source, operator,
search-index state, and the breadcrumbs of where the operator is."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from console.tui.untrusted import join, untrusted

# Named environments get a fixed colour; production is always red.
_ENV_COLOURS = {"production": "#b00020", "prod": "#b00020", "staging": "#9a6700", "demo": "#1f6f43"}
_DEFAULT_COLOUR = "#1f4f8f"


def environment_colour(name: str, configured: str | None, production: bool) -> str:
    if production:
        return _ENV_COLOURS["production"]
    return configured or _ENV_COLOURS.get(name.lower(), _DEFAULT_COLOUR)


class EnvironmentBar(Static):
    """One line: ``trustops │ ENVIRONMENT │ store … │ operator … │ search index …``."""

    def on_mount(self) -> None:
        app = self.app
        self.styles.background = app.environment_colour
        self.watch(app, "index_status", self._refresh_status)

    def _refresh_status(self, _status: str) -> None:
        app = self.app
        parts: list = [
            (" trustops ", "bold"),
            "│ ",
            untrusted(app.environment.upper(), style="bold reverse", max_chars=24),
            " │ ",
            untrusted(app.source.label, max_chars=60),
        ]
        if app.source.read_only:
            parts += [" │ ", ("READ-ONLY", "bold")]
        parts += [" │ operator ", untrusted(app.operator, max_chars=24)]
        if app.index_status:
            parts += [" │ ", Content(app.index_status)]
        self.update(join(*parts))


class Breadcrumbs(Static):
    """``conversations › conv-… › tool 03:00:01`` from the screen stack; when the trail is longer
    than the line, the middle gives way to ``…`` (the first and the last crumbs always show)."""

    def show(self, crumbs: list[Content]) -> None:
        self._crumbs = crumbs
        self.refresh()

    def render(self) -> Content:
        crumbs: list[Content] = getattr(self, "_crumbs", [])
        width = max(10, self.size.width - 2)
        head, middle, last = crumbs[:1], crumbs[1:-1], crumbs[-1:] if len(crumbs) > 1 else []
        gap: list[Content] = []
        while middle and _crumb_line([*head, *gap, *middle, *last]).cell_length > width:
            middle.pop(0)
            gap = [Content("…")]
        return _crumb_line([*head, *gap, *middle, *last])


def _crumb_line(crumbs: list[Content]) -> Content:
    parts: list = [" "]
    for i, crumb in enumerate(crumbs):
        if i:
            parts.append((" › ", "dim"))
        parts.append(crumb.stylize("bold") if i == len(crumbs) - 1 else crumb)
    return join(*parts)


class TopBar(Vertical):
    def compose(self) -> ComposeResult:
        yield EnvironmentBar(id="environment")
        yield Breadcrumbs(id="crumbs")
