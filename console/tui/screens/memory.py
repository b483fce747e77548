"""One customer's memory: every item written about them, and every conversation it was read
back in (another customer's is the incident). Enter opens a conversation, ``p`` starts the
``purge-memory`` playbook for the customer, ``v`` reveals redacted values (confirmed, logged)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.core.describe import stamp
from console.core.queries import CustomerMemory, MemoryItemHistory
from console.tui.commands import PaletteEntry
from console.tui.event_view import CATEGORY_STYLE
from console.tui.screens.base import ConsoleScreen
from console.tui.screens.pick import PickScreen
from console.tui.screens.reveal import ask_reveal
from console.tui.untrusted import join, join_text, untrusted, untrusted_text

_BAD = "bold red"


class MemoryScreen(ConsoleScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "purge", "Purge memory", id="memory.purge"),
        Binding("v", "reveal", "Reveal", id="memory.reveal"),
    ]

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.memory: CustomerMemory | None = None
        self.revealed = False

    def compose_body(self) -> ComposeResult:
        yield Static(Content("loading…"), id="summary")
        yield OptionList(id="items")

    def on_mount(self) -> None:
        self.query_one("#summary", Static).border_title = join(
            "memory of customer ", untrusted(self.customer_id, max_chars=80)
        )
        self.query_one("#items", OptionList).border_title = Content("memory items · where each was read back")
        self.focus_default()
        self.app.load_then(
            lambda: self.app.source.customer_memory(self.customer_id), self._loaded, group="memory"
        )

    def focus_default(self) -> None:
        self.set_focus(self.query_one("#items", OptionList))

    def crumbs(self) -> list[Content]:
        return [join("memory of ", untrusted(self.customer_id, max_chars=40))]

    def _loaded(self, memory: CustomerMemory) -> None:
        self.memory = memory
        self._render_items()

    def _render_items(self) -> None:
        memory = self.memory
        if memory is None:
            return
        leaked = [h for h in memory.items if h.leaked_to]
        others = sorted({c for h in leaked for c in h.leaked_to})
        summary = [
            ("conversations ", "dim"), str(memory.conversations),
            ("   memory items ", "dim"), str(len(memory.items)),
            ("   read back to other customers ", "dim"),
            (str(len(leaked)), _BAD if leaked else "green"),
        ]  # fmt: skip
        if others:
            summary += [("  → ", "dim"), untrusted(", ".join(others), style=_BAD, max_chars=200)]
        self.query_one("#summary", Static).update(join(*summary))
        items = self.query_one("#items", OptionList)
        keep = items.highlighted
        items.clear_options()
        if memory.items:
            options: list[Option | None] = []
            for i, h in enumerate(memory.items):
                options += [Option(self._item(h), id=str(i)), None]  # None: a divider between items
            items.add_options(options[:-1])
        else:
            items.add_option(
                Option(Content("no memory items about this customer in the store"), disabled=True)
            )
        items.highlighted = keep if keep is not None else 0
        items.border_subtitle = Content(
            "REVEALED · logged · v hides again" if self.revealed else "redacted · v reveals"
        ).stylize("bold red" if self.revealed else "dim")
        self.refresh_bindings()

    def _item(self, h: MemoryItemHistory) -> Table:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=20, no_wrap=True)
        grid.add_column(ratio=1)
        written = (
            join_text("written ", stamp(h.written_ms), " in ", untrusted_text(h.written_in or "–"))
            if h.written_ms is not None
            else join_text("written before the store's data, in ", untrusted_text(h.written_in or "?"))
        )
        grid.add_row(untrusted_text(h.memory_id, style="bold magenta", max_chars=60), written)
        text = Text()
        for piece in self.app.masking.pieces(h.text, h.findings, reveal=self.revealed):
            style = CATEGORY_STYLE.get(piece.finding.category, "reverse") if piece.finding else ""
            text.append_text(untrusted_text(piece.text, style=style, multiline=True))
        grid.add_row(Text(), text)
        if not h.reads:
            grid.add_row(Text(), Text("never read back", style="dim"))
        for r in h.reads:
            other = r.customer_id != h.owner
            who = (
                join_text(("ANOTHER CUSTOMER ", _BAD), untrusted_text(r.customer_id or "?", style=_BAD))
                if other
                else Text("this customer", style="dim")
            )
            grid.add_row(Text("  read back", style="dim"),
                         join_text(stamp(r.ts_ms), "  ", untrusted_text(r.conversation_id), "  ", who))  # fmt: skip
        return grid

    @property
    def selected(self) -> MemoryItemHistory | None:
        index = self.query_one("#items", OptionList).highlighted
        if self.memory is None or index is None or index >= len(self.memory.items):
            return None
        return self.memory.items[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        h = self.selected
        if h is None:
            return
        places: list[tuple[str, Content]] = []
        if h.written_in:
            places.append(
                (h.written_in, join("written in ", untrusted(h.written_in, style="bold", max_chars=60)))
            )
        for r in h.reads:
            who = "this customer" if r.customer_id == h.owner else f"customer {r.customer_id or '?'}"
            places.append((r.conversation_id, join("read in ", untrusted(r.conversation_id, style="bold", max_chars=60),
                                                   "  ", untrusted(who, max_chars=60))))  # fmt: skip

        def chosen(conversation_id: str | None) -> None:
            if conversation_id:
                self.app.navigator.trail(conversation_id, focus_memory=h.memory_id)

        if len(places) == 1:
            chosen(places[0][0])
        elif places:
            self.app.push_screen(PickScreen(Content("Open which conversation?"), places), chosen)

    def available(self, action: str) -> bool | None:
        if action == "reveal":
            return (
                self.memory is not None and any(self.app.masking.hides(f) for f in self._findings())
            ) or None
        return True

    def _findings(self):
        if self.memory is None:
            return []
        return [
            f for h in self.memory.items for f in (*h.findings, *(f for r in h.reads for f in r.findings))
        ]

    def action_purge(self) -> None:
        self.app.start_playbook("purge-memory", {"customer_id": self.customer_id})

    def action_reveal(self) -> None:
        if self.revealed:
            self.revealed = False
            self._render_items()
            return

        def show() -> None:
            self.revealed = True
            self._render_items()

        ask_reveal(self.app, self._findings(), f"memory of customer {self.customer_id}", show)

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("playbook", join("purge-memory for ", untrusted(self.customer_id, max_chars=60)),
                         self.action_purge, "remove this customer's memory items", action="playbook"),
            PaletteEntry("memory", Content("reveal or hide redacted values"), self.action_reveal,
                         "asks first; logged", action="reveal"),
        ]  # fmt: skip
