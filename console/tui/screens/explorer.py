"""The conversation explorer: every conversation matching a filter, newest first, virtual.

Opened with a filter already applied when it comes from a KPI (``ExplorerScreen(filter)``);
the filter is shown in the list's border title and edited with ``/`` (the filter line), ``f``
(a flag), ``d`` (a deployment), ``s`` (sort) and ``x`` (clear). Enter opens the trail.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input, Static

from console.core.describe import stamp
from console.core.queries import FLAG_CHOICES, SORTS, ConversationFilter
from console.tui.commands import PaletteEntry
from console.tui.filters import FilterError, describe_filter, format_filter, is_filtered, parse_filter
from console.tui.screens.base import ConsoleScreen
from console.tui.screens.pick import PickScreen
from console.tui.untrusted import join, untrusted
from console.tui.widgets.conversation_list import FLAG_LOOK, ConversationList


class FilterLine(Input):
    """``/``: the whole filter as one editable line."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="filter.close")]

    def __init__(self) -> None:
        super().__init__(placeholder="flag:pii_leak dep:NAME ver:V customer:ID since:1h until:TIME sort:turns words…",
                         id="filter-line")  # fmt: skip
        self.display = False

    def action_close(self) -> None:
        self.display = False
        self.screen.focus_default()


class ExplorerScreen(ConsoleScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "edit_filter", "Filter", priority=True, id="explorer.filter"),  # see app.command
        Binding("f", "pick_flag", "Flag", id="explorer.flag"),
        Binding("d", "pick_deployment", "Deploy", id="explorer.deployment"),
        Binding("s", "cycle_sort", "Sort", id="explorer.sort"),
        Binding("x", "clear_filter", "Clear", show=False, id="explorer.clear"),
        Binding("m", "customer_memory", "Memory", id="explorer.memory"),
        Binding("r", "reload", "Reload", show=False, id="explorer.reload"),
    ]

    def __init__(self, f: ConversationFilter | None = None) -> None:
        super().__init__()
        self.filter = f or ConversationFilter()
        self._highlighted = None

    def compose_body(self) -> ComposeResult:
        yield FilterLine()
        yield ConversationList(self.app.source, self.filter, id="conversations")
        yield Static(id="selection")

    def on_mount(self) -> None:
        self._show_filter()
        self.focus_default()

    def focus_default(self) -> None:
        self.set_focus(self.query_one(ConversationList))

    def crumbs(self) -> list[Content]:
        if not is_filtered(self.filter):
            return [Content("conversations")]
        return [join("conversations (", describe_filter(self.filter), ")")]

    # -- the filter --------------------------------------------------------------------------------
    def apply_filter(self, f: ConversationFilter) -> None:
        self.filter = replace(f, offset=0)
        self.query_one(ConversationList).set_filter(self.filter)
        self._show_filter()

    def _show_filter(self) -> None:
        listing = self.query_one(ConversationList)
        listing.border_title = describe_filter(self.filter)
        self._show_count(listing.total)
        self.refresh_crumbs()

    def _show_count(self, total: int | None) -> None:
        listing = self.query_one(ConversationList)
        if total is None:
            listing.border_subtitle = Content("counting…")
        else:
            noun = "conversation" if total == 1 else "conversations"
            listing.border_subtitle = Content(f"{total:,} {noun}")

    def action_edit_filter(self) -> None:
        line = self.query_one(FilterLine)
        line.value = format_filter(self.filter)
        line.display = True
        self.set_focus(line)  # at once: the next key typed must land in the line
        line.action_end()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, FilterLine):
            return
        event.stop()
        try:
            f = parse_filter(event.value, self.app.now_ms(), self.filter)
        except FilterError as exc:
            self.app.tell(str(exc), severity="warning", title="Filter")
            return
        event.input.action_close()
        self.apply_filter(f)

    def action_pick_flag(self) -> None:
        choices = [(flag, Content(FLAG_LOOK[flag][0]).stylize(FLAG_LOOK[flag][1])) for flag in FLAG_CHOICES]
        choices.append(("", Content("any flag (remove flag filters)")))

        def chosen(flag: str | None) -> None:
            if flag is None:
                return
            flags = () if not flag else tuple(dict.fromkeys((*self.filter.flags, flag)))
            self.apply_filter(replace(self.filter, flags=flags))

        self.app.push_screen(PickScreen(Content("Only conversations flagged"), choices), chosen)

    def action_pick_deployment(self) -> None:
        self.app.load_then(self.app.source.deployments, self._pick_deployment, group="deployments")

    def _pick_deployment(self, deployments: list[str]) -> None:
        choices = [(d, untrusted(d, max_chars=60)) for d in deployments]
        choices.append(("\x00all", Content("all deployments")))

        def chosen(dep: str | None) -> None:
            if dep is not None:
                self.apply_filter(replace(self.filter, deployment=None if dep == "\x00all" else dep))

        self.app.push_screen(PickScreen(Content("Only the deployment"), choices), chosen)

    def action_cycle_sort(self) -> None:
        order = list(SORTS)
        self.sort_by(order[(order.index(self.filter.sort) + 1) % len(order)])

    def sort_by(self, sort: str) -> None:
        self.apply_filter(replace(self.filter, sort=sort))
        self.app.tell(f"sorted by {sort}", title="Conversations")

    def action_clear_filter(self) -> None:
        self.apply_filter(ConversationFilter(sort=self.filter.sort))

    def action_reload(self) -> None:
        self.query_one(ConversationList).reload()
        self._show_count(None)

    def action_customer_memory(self) -> None:
        row = self._highlighted
        if row is not None and row.customer_id:
            self.app.navigator.memory(row.customer_id)

    def available(self, action: str) -> bool | None:
        if action == "edit_filter":  # a '/' typed into an input is just a character
            return not isinstance(self.focused, Input)
        if action == "customer_memory":
            return None if self._highlighted is None or not self._highlighted.customer_id else True
        if action == "clear_filter":
            return True if is_filtered(self.filter) else None
        return True

    # -- the list ----------------------------------------------------------------------------------
    def on_conversation_list_counted(self, message: ConversationList.Counted) -> None:
        self._show_count(message.total)

    def on_conversation_list_highlighted(self, message: ConversationList.Highlighted) -> None:
        self._highlighted = message.row
        self.query_one("#selection", Static).update(self._describe(message.row))
        self.refresh_bindings()

    def on_conversation_list_opened(self, message: ConversationList.Opened) -> None:
        self.app.navigator.trail(message.row.conversation_id)

    def _describe(self, row) -> Content:
        if row is None:
            return Content("")
        resolved = {None: "open", True: "resolved", False: "unresolved"}[row.resolved]
        return join(
            (" conversation ", "dim"), untrusted(row.conversation_id, style="bold", max_chars=80),
            ("  channel ", "dim"), untrusted(row.channel or "–", max_chars=30),
            ("  started ", "dim"), stamp(row.started_ms),
            ("  events ", "dim"), str(row.events),
            ("  ", ""), resolved,
        )  # fmt: skip

    def palette_entries(self) -> list[PaletteEntry]:
        entries = [
            PaletteEntry("filter", Content("edit the filter line"), self.action_edit_filter, "flags, deployment, time, words"),
            PaletteEntry("filter", Content("clear"), self.action_clear_filter, "all conversations"),
        ]  # fmt: skip
        row = self._highlighted
        if row is not None:
            entries.append(
                PaletteEntry("conversation", join("open ", untrusted(row.conversation_id, max_chars=60)),
                             lambda: self.app.navigator.trail(row.conversation_id), "its audit trail")
            )  # fmt: skip
            if row.customer_id:
                entries.append(
                    PaletteEntry("customer", join("memory of ", untrusted(row.customer_id, max_chars=60)),
                                 lambda: self.app.navigator.memory(row.customer_id), "memory items and where they went")
                )  # fmt: skip
        return entries
