"""One conversation's audit trail, turn by turn, with its findings inline.

Redacted by default; ``v`` reveals (confirmed and logged). Enter or ``j`` shows an event's raw
JSON, ``c`` copies its id, ``o`` follows a memory read to the conversation the item came from,
``m`` opens the customer's memory, ``n``/``N`` jump between flagged events.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.core.describe import clock, stamp
from console.core.queries import Trail, TrailEvent
from console.tui.commands import PaletteEntry
from console.tui.event_view import TYPE_LOOK, EventView
from console.tui.screens.base import ConsoleScreen
from console.tui.screens.pick import PickScreen
from console.tui.screens.raw_event import RawEventScreen
from console.tui.screens.reveal import ask_reveal
from console.tui.untrusted import join, untrusted
from console.tui.widgets.conversation_list import FEEDBACK_LOOK, flags_cell


class TrailScreen(ConsoleScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "raw", "Raw JSON", id="trail.raw"),
        Binding("c", "copy_id", "Copy id", show=False, id="trail.copy_id"),
        Binding("o", "follow_origin", "Origin", id="trail.origin"),
        Binding("m", "customer_memory", "Memory", id="trail.memory"),
        Binding("n", "next_flagged(1)", "Next flag", id="trail.next_flagged"),
        Binding("N", "next_flagged(-1)", "Previous flag", show=False, id="trail.previous_flagged"),
        Binding("v", "reveal", "Reveal", id="trail.reveal"),
    ]

    def __init__(
        self, conversation_id: str, *, focus_event: str | None = None, focus_memory: str | None = None
    ) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.trail: Trail | None = None
        self.revealed = False
        self._focus_event = focus_event
        self._focus_memory = focus_memory

    def compose_body(self) -> ComposeResult:
        yield Static(Content("loading…"), id="summary")
        yield OptionList(id="events")

    def on_mount(self) -> None:
        self.query_one("#summary", Static).border_title = join(
            "conversation ", untrusted(self.conversation_id, max_chars=80)
        )
        self.query_one("#events", OptionList).border_title = Content("audit trail")
        self.focus_default()
        self.app.load_then(lambda: self.app.source.trail(self.conversation_id), self._loaded, group="trail")

    def focus_default(self) -> None:
        self.set_focus(self.query_one("#events", OptionList))

    # -- showing -----------------------------------------------------------------------------------
    def _loaded(self, trail: Trail | None) -> None:
        if trail is None:
            self.query_one("#summary", Static).update(
                join(
                    "no conversation ",
                    untrusted(self.conversation_id, style="bold", max_chars=80),
                    " in the store",
                )
            )
            return
        self.trail = trail
        self._render_events()
        events = self.query_one("#events", OptionList)
        target = next((i for i, e in enumerate(trail.events) if self._is_focus(e)), 0)
        events.highlighted = target
        if target:
            events.scroll_to_highlight(top=True)

    def _is_focus(self, e: TrailEvent) -> bool:
        if self._focus_event is not None:
            return e.id == self._focus_event
        return (
            self._focus_memory is not None
            and e.type == "memory.write"
            and e.data.get("memory_id") == self._focus_memory
        )

    def _render_events(self) -> None:
        trail = self.trail
        if trail is None:
            return
        self.query_one("#summary", Static).update(self._summary(trail))
        view = EventView(trail.conversation.customer_id, reveal=self.revealed, masking=self.app.masking)
        events = self.query_one("#events", OptionList)
        keep = events.highlighted
        events.clear_options()
        events.add_options([Option(view.render(e), id=str(i)) for i, e in enumerate(trail.events)])
        if keep is not None:
            events.highlighted = keep
        events.border_subtitle = Content(
            "REVEALED · logged · v hides again" if self.revealed else "redacted · v reveals"
        ).stylize("bold red" if self.revealed else "dim")
        self.refresh_bindings()

    def _summary(self, trail: Trail) -> Content:
        c = trail.conversation
        resolution = {None: ("open", "dim"), True: ("resolved", "green"), False: ("unresolved", "bold red")}[
            c.resolved
        ]
        feedback = FEEDBACK_LOOK.get(c.feedback or "", (c.feedback or "no feedback", "dim"))
        flagged = sum(1 for e in trail.events if e.findings)
        return join(
            ("customer ", "dim"), untrusted(c.customer_id or "–", style="bold", max_chars=80),
            ("  deployment ", "dim"), untrusted(c.deployment or "–", style="bold", max_chars=60),
            ("  version ", "dim"), untrusted(c.model_version or "–", style="bold", max_chars=30),
            ("  channel ", "dim"), untrusted(c.channel or "–", max_chars=30), "\n",
            ("started ", "dim"), stamp(c.started_ms), ("  turns ", "dim"), str(c.turns),
            ("  events ", "dim"), str(len(trail.events)), "  ", resolution,
            "  ", untrusted(feedback[0], style=feedback[1], max_chars=20), "\n",
            ("flags ", "dim"), flags_cell(c.flags), ("   flagged events ", "dim"), str(flagged),
        )  # fmt: skip

    def crumbs(self) -> list[Content]:
        out = [untrusted(self.conversation_id, max_chars=40)]
        event = self.selected
        if event is not None and self.is_current:  # only the view on top names its event
            label = TYPE_LOOK.get(event.type, (event.type, ""))[0].lower()
            out.append(Content(f"{label} {clock(event.ts_ms)}"))
        return out

    @property
    def selected(self) -> TrailEvent | None:
        if self.trail is None:
            return None
        index = self.query_one("#events", OptionList).highlighted
        return self.trail.events[index] if index is not None and index < len(self.trail.events) else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_crumbs()
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_raw()

    # -- actions -----------------------------------------------------------------------------------
    def available(self, action: str) -> bool | None:
        event = self.selected
        if action in ("raw", "copy_id"):
            return event is not None or None
        if action == "follow_origin":
            return (event is not None and bool(_origins(event))) or None
        if action == "reveal":
            return (
                self.trail is not None
                and any(self.app.masking.hides(f) for e in self.trail.events for f in e.findings)
            ) or None
        return True

    def action_raw(self) -> None:
        event = self.selected
        if event is None:
            return
        data = self.app.masking.event(event.data, event.findings, reveal=self.revealed)
        state = "revealed" if self.revealed else "redacted"
        title = join(f"{event.type} ", untrusted(event.id, max_chars=60), f" · {state}")
        self.app.push_screen(RawEventScreen(title, data, event.id))

    def action_copy_id(self) -> None:
        event = self.selected
        if event is not None:
            self.app.copy_event_id(event.id)

    def action_follow_origin(self) -> None:
        event = self.selected
        origins = _origins(event) if event is not None else []
        if not origins:
            return
        if len(origins) == 1:
            self._open_origin(origins[0])
            return
        choices = [
            (str(i), join(untrusted(mid, style="bold", max_chars=40), "  from ", untrusted(conv, max_chars=40),
                          "  customer ", untrusted(cust or "–", max_chars=30)))
            for i, (mid, conv, cust) in enumerate(origins)
        ]  # fmt: skip

        def chosen(key: str | None) -> None:
            if key is not None:
                self._open_origin(origins[int(key)])

        self.app.push_screen(PickScreen(Content("Follow which memory item?"), choices), chosen)

    def _open_origin(self, origin: tuple[str, str, str | None]) -> None:
        memory_id, conversation_id, _customer = origin
        self.app.navigator.trail(conversation_id, focus_memory=memory_id)

    def action_customer_memory(self) -> None:
        event = self.selected
        customer = None
        if event is not None and event.type == "memory.read":
            customer = next((c for _, _, c in _origins(event) if c), None)
        if customer is None and self.trail is not None:
            customer = self.trail.conversation.customer_id
        if customer:
            self.app.navigator.memory(customer)

    def action_next_flagged(self, step: int) -> None:
        if self.trail is None:
            return
        events = self.query_one("#events", OptionList)
        n = len(self.trail.events)
        start = events.highlighted if events.highlighted is not None else -step
        for k in range(1, n + 1):
            i = (start + step * k) % n
            if self.trail.events[i].findings:
                events.highlighted = i
                return
        self.app.tell("no flagged events in this conversation", title="Trail")

    def action_reveal(self) -> None:
        if self.trail is None:
            return
        if self.revealed:
            self.revealed = False
            self._render_events()
            return
        findings = [f for e in self.trail.events for f in e.findings]

        def show() -> None:
            self.revealed = True
            self._render_events()

        ask_reveal(self.app, findings, f"conversation {self.conversation_id}", show)

    def palette_entries(self) -> list[PaletteEntry]:
        entries = [
            PaletteEntry("trail", Content("raw JSON of the selected event"), self.action_raw, "redacted unless revealed"),
            PaletteEntry("trail", Content("copy the selected event id"), self.action_copy_id, "to the clipboard"),
            PaletteEntry("trail", Content("next flagged event"), lambda: self.action_next_flagged(1), "jump"),
            PaletteEntry("trail", Content("reveal or hide redacted values"), self.action_reveal,
                         "asks first; logged", action="reveal"),
        ]  # fmt: skip
        if self.trail is not None and self.trail.conversation.customer_id:
            customer = self.trail.conversation.customer_id
            entries.append(
                PaletteEntry("customer", join("memory of ", untrusted(customer, max_chars=60)),
                             lambda: self.app.navigator.memory(customer), "memory items and where they went")
            )  # fmt: skip
        return entries


def _origins(event: TrailEvent) -> list[tuple[str, str, str | None]]:
    """(memory id, origin conversation, origin customer) of a memory read's items, first of each."""
    if event.type != "memory.read":
        return []
    out: dict[tuple[str, str], tuple[str, str, str | None]] = {}
    for item in event.data.get("items") or []:
        if isinstance(item, dict) and item.get("origin_conversation_id"):
            mid, conv = str(item.get("memory_id")), str(item["origin_conversation_id"])
            cust = item.get("origin_customer_id")
            out.setdefault((mid, conv), (mid, conv, None if cust is None else str(cust)))
    return list(out.values())
