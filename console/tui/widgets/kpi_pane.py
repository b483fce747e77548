"""One KPI pane: a plot of the window for the selected row, then a row per group.

::

    ╭ complaint_rate  BREACH ─────────────────╮
    │ ▁▁▂▁▁▁▂▁┃▅▆▇▆▇█▇▆▇▆▇▇▆▇▆▇▇▆▇▆▇▆▇▆▇▆▇▆▇▆ │  plot of the selected row, deploy marked
    │ ▂▂▃▂▂▂▃▂┃█████████████████████████████▇ │
    │ 03:20   v42                       04:20 │  time axis, deploy labelled with its version
    │ all                 4.3%  WARN   ▲2.8pt │  every group: value, state in words, change
    │▸support-assistant   7.3%  BREACH ▲5.8pt │  (the selected row)
    │ billing-agent       1.2%  OK     =      │
    ╰───────────────────── Δ vs previous 1h ──╯

The border takes the colour of the worst row's state, and the title says it in words.

The pane draws with Textual's line API (Toolong's way): it keeps its lines as ``Content`` and
their rendered ``Strip``s, and after new data it repaints only the lines whose text or styles
changed. While traffic streams in, that is mostly the newest bar and a value or two, so a
refresh costs a few lines of rendering instead of a dozen full panes, and a key press never
waits long behind one. It keeps what it drew for the last few windows too: a window key puts
that drawing back, and renders again only the lines that changed since it was on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Resize
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from console.core.kpi import ALL, Group, KpiValue
from console.tui.untrusted import join, untrusted
from console.tui.widgets.kpi_model import STATE_WORDS, PaneModel, Row, delta, prom_plot
from console.tui.widgets.plot import AXIS_STYLE, STATE_STYLE, axis, bars

STATE_CLASSES = {"ok": "-ok", "warn": "-warn", "breach": "-breach", "no_data": "-no-data", "none": "-none"}
PROM_STATE_WORDS = {"ok": "OK", "stale": "STALE", "unreachable": "UNREACHABLE", "bad_query": "BAD QUERY"}
PROM_STATE_STYLE = {"ok": "$success", "stale": "$warning", "unreachable": "$error", "bad_query": "$error"}
VALUE_WIDTH = 8  # "2,456 ms", "12.34%"
STATE_WIDTH = 7  # "NO DATA"
MIN_PLOT = 2
KEPT_VIEWS = 4  # drawings kept, one per window (5m, 1h, 24h and a custom one)


@dataclass(slots=True)
class _Drawing:
    """What the pane drew for one view (window): its lines, their keys (Content's == compares
    text only), the strips rendered so far, and what they were drawn from."""

    lines: list[Content] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)
    strips: dict[int, Strip] = field(default_factory=dict)
    source: tuple = ()  # (model, selected, prometheus, focus, size) drawn


def group_label(group: Group, width: int) -> Content:
    """A row's label, cut to ``width`` cells; a version keeps its ``/v42`` and the deployment gives way."""
    if group == ALL:
        return Content("all").pad_right(max(0, width - 3))
    dep = untrusted(group.deployment, max_chars=200)
    if group.model_version is None:
        return _fit(dep, width)
    version = untrusted(group.model_version, max_chars=40)
    if version.cell_length > width // 2:
        return _fit(join(dep, "/", version), width)
    head = _fit(dep, width - version.cell_length - 1, pad=False)
    return _fit(join(head, "/", version), width)


def _fit(content: Content, width: int, *, pad: bool = True) -> Content:
    width = max(0, width)
    if content.cell_length > width:
        content = content.truncate(width, ellipsis=True)
    return content.pad_right(width - content.cell_length) if pad else content


def state_word(state: str) -> Content:
    word = STATE_WORDS.get(state, "")
    style = STATE_STYLE.get(state, "")
    return Content(word.ljust(STATE_WIDTH)).stylize(f"bold {style}" if state in ("warn", "breach") else style)


class KpiPane(Widget, can_focus=True):
    """A pane for one KPI; the dashboard feeds it :class:`PaneModel`s and the selected group."""

    DEFAULT_CSS = """
    KpiPane {
        height: 1fr;
        padding: 0;
        text-wrap: nowrap;
        text-overflow: clip;
        border: round $foreground 25%;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
    }
    KpiPane.-warn { border: round $warning; }
    KpiPane.-breach { border: round $error; }
    KpiPane:focus { border: heavy $primary; background: $boost; }
    KpiPane.-warn:focus { border: heavy $warning; }
    KpiPane.-breach:focus { border: heavy $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Conversations", id="dashboard.drill"),
    ]

    class Drill(Message):
        """Enter on a pane: show the conversations behind this KPI."""

        def __init__(self, kpi: str) -> None:
            super().__init__()
            self.kpi = kpi

    def __init__(self, kpi: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kpi = kpi
        self.model: PaneModel | None = None
        self.selected: Group = ALL
        self.use_prometheus = False
        self.view = ""  # the window shown
        self._drawing = _Drawing()  # the view's
        self._drawings: dict[str, _Drawing] = {self.view: self._drawing}
        self.border_title = Content(kpi)
        self.paints = 0  # lines repainted (for tests and the benchmark)

    # -- what to show ------------------------------------------------------------------------------
    def show(
        self, model: PaneModel, selected: Group, *, use_prometheus: bool = False, view: str = ""
    ) -> bool:
        """Show ``model``, of the window ``view``; False (and no repaint) when nothing the pane
        shows has changed."""
        if (
            view == self.view
            and model == self.model
            and selected == self.selected
            and use_prometheus == self.use_prometheus
        ):
            return False
        if self.model is None or model.state != self.model.state:
            self.set_class(True, STATE_CLASSES.get(model.state, "-none"))
            for state, cls in STATE_CLASSES.items():
                if state != model.state:
                    self.remove_class(cls)
            self.border_title = self._title(model.state)
        subtitle = Content(f"Δ vs {model.baseline_name}") if _has_change(model) else Content("")
        if self.model is None or subtitle.plain != self.border_subtitle:
            self.border_subtitle = subtitle
        self.model, self.selected, self.use_prometheus = model, selected, use_prometheus
        if view != self.view:
            self._switch(view)
        self._redraw()
        return True

    def _switch(self, view: str) -> None:
        """Put back what was drawn for ``view`` (or start a drawing for it); the whole pane is
        painted again, from the strips kept for the lines that have not changed."""
        drawings = self._drawings
        drawing = drawings.pop(view, None) or _Drawing()
        while len(drawings) >= KEPT_VIEWS:
            del drawings[next(iter(drawings))]  # the least recently shown
        drawings[view] = self._drawing = drawing
        self.view = view
        self.refresh()
        self.paints += len(drawing.lines)

    def _title(self, state: str) -> Content:
        word = STATE_WORDS.get(state, "")
        if not word:
            return Content(self.kpi)
        badge = Content(f" {word} ").stylize(f"bold reverse {STATE_STYLE.get(state, '')}")
        return join((self.kpi, "bold"), " ", badge)

    @property
    def row_groups(self) -> list[Group]:
        return [r.group for r in self.model.rows] if self.model else [ALL]

    def action_drill(self) -> None:
        self.post_message(self.Drill(self.kpi))

    def on_focus(self) -> None:
        self._redraw()

    def on_blur(self) -> None:
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        self._redraw()

    # -- drawing -----------------------------------------------------------------------------------
    def _redraw(self) -> None:
        """Draw the lines again and repaint those that changed (all of them after a resize)."""
        drawing = self._drawing
        size = self.size
        source = (self.model, self.selected, self.use_prometheus, self.has_focus, size)
        if source == drawing.source:
            return
        width, height = size
        lines = self._draw(width, height)
        keys = [(line.plain, tuple(line.spans)) for line in lines]
        if not drawing.source or source[-1] != drawing.source[-1] or len(keys) != len(drawing.keys):
            changed = list(range(len(keys)))
            drawing.strips.clear()
            self.refresh()
        else:
            changed = [y for y, (old, new) in enumerate(zip(drawing.keys, keys, strict=True)) if old != new]
            for y in changed:
                drawing.strips.pop(y, None)
            if changed:
                self.refresh(*(Region(0, y, width, 1) for y in changed))
        drawing.lines, drawing.keys, drawing.source = lines, keys, source
        self.paints += len(changed)

    @property
    def lines(self) -> list[Content]:
        """The lines on screen."""
        return self._drawing.lines

    def notify_style_update(self) -> None:
        super().notify_style_update()
        for drawing in self._drawings.values():  # the theme's colours are baked into the strips
            drawing.strips.clear()

    def render_line(self, y: int) -> Strip:
        strips = self._drawing.strips
        strip = strips.get(y)
        if strip is None:
            width = self.size.width
            lines = self._drawing.lines
            if y < len(lines):
                strip = Visual.to_strips(self, lines[y], width, 1, self.visual_style, pad=True)[0]
            else:
                strip = Strip.blank(width, self.visual_style.rich_style)
            strips[y] = strip
        return strip

    def _draw(self, width: int, height: int) -> list[Content]:
        model = self.model
        if width <= 0 or height <= 0:
            return []
        if model is None:
            return [Content("loading…").stylize(AXIS_STYLE)]
        rows = list(model.rows)
        prom_line = model.prom is not None
        row_space = max(0, height - 1 - MIN_PLOT)  # what the rows may take, leaving the axis and a plot
        shown = _visible_rows(
            rows, self.selected, row_space - (1 if prom_line and row_space > len(rows) else 0)
        )
        plot_h = max(1, height - 1 - len(shown) - (1 if prom_line and len(shown) == len(rows) else 0))
        plot = model.plot
        if self.use_prometheus and model.prom is not None:
            plot = prom_plot(model.prom, self.kpi, model.plot) or plot
        lines = [*bars(plot, width, plot_h), axis(plot, width)]
        compact = width < 44
        has_change = _has_change(model)
        for row in shown:
            lines.append(self._row(row, width, compact, has_change))
        if prom_line and len(lines) < height:
            lines.append(self._prom_row(width))
        return lines[:height]

    def _row(self, row: Row, width: int, compact: bool, has_change: bool) -> Content:
        selected = row.group == self.selected
        change, direction = delta(self.kpi, row.value.value, row.baseline.value if row.baseline else None,
                                  compact=compact)  # fmt: skip
        label_width, change_width = _columns(width, compact, has_change)
        if not change_width:
            change = ""
        pointer = Content("▸" if selected else " ").stylize("bold $accent")
        value = Content(_value_text(row.value).rjust(VALUE_WIDTH)).stylize("bold")
        change_style = {1: "$error", -1: "$success"}.get(direction, AXIS_STYLE)
        parts = [pointer, group_label(row.group, label_width), " ", value, " ", state_word(row.state)]
        if change:
            parts += [" ", Content(change.ljust(change_width)[:change_width]).stylize(change_style)]
        line = join(*parts)
        if selected:
            line = line.pad_right(max(0, width - line.cell_length))
            line = line.stylize("on $primary 35%" if self.has_focus else "on $foreground 8%")
        return line

    def _prom_row(self, width: int) -> Content:
        prom = self.model.prom if self.model else None
        assert prom is not None
        if prom.state == "ok":
            label_width, _ = _columns(width, width < 44, True)
            value = KpiValue(self.kpi, prom.value, None, None, prom.value_state)
            text = Content(_value_text(value).rjust(VALUE_WIDTH)).stylize("bold")
            label = _fit(Content("prometheus").stylize("italic"), label_width)
            line = join(" ", label, " ", text, " ", state_word(prom.value_state))
        else:
            word = Content(PROM_STATE_WORDS.get(prom.state, prom.state.upper()))
            word = word.stylize(f"bold {PROM_STATE_STYLE.get(prom.state, '')}")
            line = join(" ", ("prometheus ", "italic"), word, ": ", untrusted(prom.reason, max_chars=200))
        return line.truncate(width, ellipsis=True)


def _columns(width: int, compact: bool, has_change: bool) -> tuple[int, int]:
    """(label width, change width) of a row; with no baseline, or in a narrow pane, the change
    column gives its room to the name."""
    change_width = 7 if compact else 11
    without = width - 1 - (1 + VALUE_WIDTH) - (1 + STATE_WIDTH)  # pointer, label, value, state
    if without - (1 + change_width) < 6 or not has_change:
        return without, 0
    return without - (1 + change_width), change_width


def _has_change(model: PaneModel) -> bool:
    return any(r.baseline is not None and r.baseline.value is not None for r in model.rows)


def _value_text(value: KpiValue) -> str:
    return value.text() if value.value is not None else "–"


def _visible_rows(rows: list[Row], selected: Group, space: int) -> list[Row]:
    """The rows that fit in ``space`` lines, always including the selected one."""
    if space >= len(rows):
        return rows
    if space <= 0:
        return []
    index = next((i for i, r in enumerate(rows) if r.group == selected), 0)
    start = min(max(0, index - space + 1), len(rows) - space)
    return rows[start : start + space]
