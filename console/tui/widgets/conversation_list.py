"""The conversation list: virtual, so no widget ever holds all the rows (Toolong's pattern).

It is a ``ScrollView`` whose height is the number of matching conversations; ``render_line``
draws only the visible rows, from pages of :data:`PAGE_SIZE` rows fetched by offset in thread
workers and kept in a small LRU cache. A row whose page has not arrived yet is drawn as
"loading…" and fills in when it does. Changing the filter starts a new generation: pages and
counts from an older one are dropped when they arrive.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from console.core.describe import stamp
from console.core.queries import ConversationFilter, ConversationSummary
from console.tui.data import DataSource
from console.tui.untrusted import join, untrusted

PAGE_SIZE = 100
CACHED_PAGES = 12

# Flag words and how loud they are: red for harm done, yellow for trouble, dim for notes.
FLAG_LOOK: dict[str, tuple[str, str]] = {
    "pii_leak": ("pii_leak", "bold red"),
    "secret": ("secret", "bold red"),
    "unauthorized_tool": ("unauth_tool", "bold red"),
    "injection": ("injection", "red"),
    "complaint": ("complaint", "yellow"),
    "escalation": ("escalated", "yellow"),
    "guardrail_block": ("blocked", "yellow"),
    "ungrounded": ("ungrounded", "yellow"),
    "error": ("error", "yellow"),
    "negative_feedback": ("neg_feedback", "dim yellow"),
    "pii": ("pii", "dim"),
}
FEEDBACK_LOOK = {
    "complaint": ("complaint", "bold red"),
    "thumbs_down": ("negative", "yellow"),
    "thumbs_up": ("positive", "green"),
    "csat": ("csat", "cyan"),
}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    short: str  # the title when the column is narrower than ``title``
    min: int
    max: int
    weight: int = 0  # share of the width left over once every column has its minimum
    right: bool = False

    def heading(self, width: int) -> str:
        return self.title if width >= len(self.title) else self.short


COLUMNS = (
    Column("time", "time", 8, 14),
    Column("deployment", "deployment", 11, 20, 2),
    Column("version", "ver", 4, 10, 1),
    Column("customer", "customer", 11, 18, 2),
    Column("turns", "turns", 5, 5, right=True),
    Column("flags", "flags", 12, 60, 6),
    Column("feedback", "feedback", 9, 9),
    Column("resolution", "resolved", 8, 10, 1),
)
_RESOLUTION = {
    None: ("open", "open", "dim"),
    True: ("resolved", "yes", "green"),
    False: ("unresolved", "no", "red"),
}
_GAP = 1


def column_widths(width: int) -> list[int]:
    widths = [c.min for c in COLUMNS]
    spare = width - sum(widths) - _GAP * (len(COLUMNS) - 1)
    if spare >= 30:  # room to spare: the date goes in front of the time
        spare -= COLUMNS[0].max - widths[0]
        widths[0] = COLUMNS[0].max
    while spare > 0:
        growable = [i for i, c in enumerate(COLUMNS) if c.weight and widths[i] < c.max]
        if not growable:
            break
        total = sum(COLUMNS[i].weight for i in growable)
        given = 0
        for i in growable:
            extra = min(COLUMNS[i].max - widths[i], max(1, spare * COLUMNS[i].weight // total))
            extra = min(extra, spare - given)
            widths[i] += extra
            given += extra
        spare -= given
        if not given:
            break
    return widths


def _fit(content: Content, width: int, right: bool = False) -> Content:
    if content.cell_length > width:
        content = content.truncate(max(0, width - 1)) + Content("…")
    pad = width - content.cell_length
    return content.pad_left(pad) if right else content.pad_right(pad)


def flags_cell(flags: list[str]) -> Content:
    names = [f for f in flags if not (f == "negative_feedback" and "complaint" in flags)]
    names.sort(key=lambda f: list(FLAG_LOOK).index(f) if f in FLAG_LOOK else 99)
    parts: list = []
    for name in names:
        word, style = FLAG_LOOK.get(name, (name, ""))
        if parts:
            parts.append(" ")
        parts.append((word, style))
    return join(*parts) if parts else Content("–").stylize("dim")


def row_cells(row: ConversationSummary, widths: list[int]) -> list[Content]:
    when = stamp(row.started_ms)  # 2026-11-30 03:00:01Z
    when = when[5:19] if widths[0] >= 14 else when[11:19]
    feedback = FEEDBACK_LOOK.get(row.feedback or "", (row.feedback, ""))
    wide, narrow, look = _RESOLUTION[row.resolved]
    resolution = Content(wide if widths[-1] >= len(wide) else narrow).stylize(look)
    return [
        Content(when),
        untrusted(row.deployment or "–", max_chars=80),
        untrusted(row.model_version or "–", max_chars=40),
        untrusted(row.customer_id or "–", max_chars=80),
        Content(str(row.turns)),
        flags_cell(row.flags),
        untrusted(feedback[0], style=feedback[1], max_chars=20)
        if row.feedback
        else Content("–").stylize("dim"),
        resolution,
    ]


class ConversationList(ScrollView, can_focus=True):
    """Rows of conversations; line 0 is the column header, which stays put while rows scroll."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "conversation-list--header",
        "conversation-list--cursor",
        "conversation-list--loading",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, id="list.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="list.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Counted(Message):
        """The number of matching conversations is known."""

        def __init__(self, total: int) -> None:
            super().__init__()
            self.total = total

    class Highlighted(Message):
        def __init__(self, row: ConversationSummary | None, index: int, total: int | None) -> None:
            super().__init__()
            self.row = row
            self.index = index
            self.total = total

    class Opened(Message):
        def __init__(self, row: ConversationSummary) -> None:
            super().__init__()
            self.row = row

    def __init__(self, source: DataSource, f: ConversationFilter, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.filter = f
        self.total: int | None = None
        self._generation = 0
        self._pages: OrderedDict[int, list[ConversationSummary]] = OrderedDict()
        self._pending: set[int] = set()
        self._widths: tuple[int, list[int]] = (-1, [])

    # -- data --------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.reload()

    def set_filter(self, f: ConversationFilter) -> None:
        self.filter = f
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.reload()

    def reload(self) -> None:
        """Drop what is cached and fetch again (new filter, or newer data)."""
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self.total = None
        self._set_height(1)
        self._count(self._generation, self.filter)
        self._request(0)
        self.refresh()

    def row(self, index: int) -> ConversationSummary | None:
        page = self._pages.get(index // PAGE_SIZE)
        if page is None:
            return None
        self._pages.move_to_end(index // PAGE_SIZE)
        offset = index % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def _request(self, page: int) -> None:
        if page in self._pages or page in self._pending or page < 0:
            return
        if self.total is not None and page * PAGE_SIZE >= max(self.total, 1):
            return
        self._pending.add(page)
        generation, f = self._generation, replace(self.filter, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
        self.app.load_then(
            lambda: self.source.conversations(f),
            lambda rows: self._page_loaded(generation, page, rows),
            node=self,
            group=f"conversation page {page}",
        )

    def _count(self, generation: int, f: ConversationFilter) -> None:
        self.app.load_then(
            lambda: self.source.count(f),
            lambda total: self._counted(generation, total),
            node=self,
            group="conversation count",
        )

    def _page_loaded(self, generation: int, page: int, rows: list[ConversationSummary]) -> None:
        if generation != self._generation:
            return  # fetched for an older filter
        self._pending.discard(page)
        self._pages[page] = rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        if self.total is None:
            self._set_height(1 + page * PAGE_SIZE + len(rows))
        self.refresh()
        if page == self.cursor // PAGE_SIZE:
            self._announce()

    def _counted(self, generation: int, total: int) -> None:
        if generation != self._generation:
            return
        self.total = total
        self._set_height(1 + total)
        self.cursor = min(self.cursor, max(0, total - 1))
        self.post_message(self.Counted(total))

    def _set_height(self, rows: int) -> None:
        self.virtual_size = Size(self.size.width, rows)

    # -- drawing -----------------------------------------------------------------------------------
    def _column_widths(self, width: int) -> list[int]:
        if self._widths[0] != width:
            self._widths = (width, column_widths(width))
        return self._widths[1]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._column_widths(width - 2)  # a cell of margin on either side
        if y == 0:
            cells = [Content(c.heading(w)) for c, w in zip(COLUMNS, widths, strict=True)]
            return self._strip(cells, widths, width, "conversation-list--header")
        index = int(self.scroll_offset.y) + y - 1
        if self.total is not None and index >= self.total:
            return Strip.blank(width, self.rich_style)
        row = self.row(index)
        if row is None:
            if self.total is None and index > 0 and 0 in self._pages:
                return Strip.blank(width, self.rich_style)
            self._request(index // PAGE_SIZE)
            loading = [Content("loading…")] + [Content("")] * (len(COLUMNS) - 1)
            return self._strip(loading, widths, width, "conversation-list--loading")
        cls = "conversation-list--cursor" if index == self.cursor and self.has_focus else ""
        return self._strip(row_cells(row, widths), widths, width, cls)

    def _strip(self, cells: list[Content], widths: list[int], width: int, component: str) -> Strip:
        line = join(" ", *(p for i, (c, w) in enumerate(zip(cells, widths, strict=True))
                      for p in ((" " * _GAP,) if i else ()) + (_fit(c, w, COLUMNS[i].right),)))  # fmt: skip
        style = self.get_visual_style(component) if component else self.get_visual_style()
        strips = Visual.to_strips(self, line, width, 1, style)
        strip = strips[0] if strips else Strip.blank(width)
        return strip.extend_cell_length(width, style.rich_style).crop(0, width)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- moving ------------------------------------------------------------------------------------
    @property
    def _rows_visible(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + self._rows_visible:
            self.scroll_to(y=new - self._rows_visible + 1, animate=False)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self.row(self.cursor), self.cursor, self.total))

    def _last(self) -> int:
        """The last row index known to exist (all of them once counted)."""
        if self.total is not None:
            return max(0, self.total - 1)
        return max(0, max((p * PAGE_SIZE + len(rows) for p, rows in self._pages.items()), default=1) - 1)

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(self._last(), self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * self._rows_visible)

    def action_jump(self, where: int) -> None:
        self.cursor = self._last() if where < 0 else 0

    def action_open(self) -> None:
        row = self.row(self.cursor)
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:  # the border or the column header
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if index <= self._last():
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    def on_resize(self) -> None:
        self._set_height(self.virtual_size.height)
