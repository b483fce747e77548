"""The dashboard's status line: how fresh the data is and the state of every source.

::

    ● store ok  ● live ingest ok: last batch 0.4 s ago  ● prometheus unreachable: complaint_rate: … │ now 03:20:00Z │ last event 03:19:59Z, lag 1 s │ 41,915 events

A dot's colour and a word give each source's state; reasons (from drivers, servers) are shown
literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from textual.content import Content

from console.core.kpi_engine import Freshness
from console.tui.untrusted import join, untrusted
from console.tui.widgets.kpi_text import KpiText

STATE_STYLE = {
    "ok": "$success",
    "stale": "$warning",
    "idle": "$warning",
    "unreachable": "$error",
    "bad_query": "$error",
    "error": "$error",
    "stopped": "$error",
    "off": "$text-muted",
}


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str  # the console's word: "store", "live ingest", "prometheus"
    state: str  # a key of STATE_STYLE
    detail: str = ""  # untrusted: error texts come from drivers and servers


def age_text(ms: float) -> str:
    s = max(0.0, ms / 1000)
    if s < 1:
        return "0 s" if s == 0 else f"{s:.1f} s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.0f} h" if s < 172800 else f"{s / 86400:.0f} d"


def clock_text(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%H:%M:%SZ")


DETAIL_CHARS = 60


class KpiStatus(KpiText):
    DEFAULT_CSS = """
    KpiStatus {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(
        self, now_ms: int | None, fresh: Freshness | None, sources: Sequence[SourceState], note: str = ""
    ) -> None:
        """Sources first (a problem must not be cut off at the right edge), then freshness."""
        bar = (" │ ", "$text-muted")
        parts: list = []
        for source in sources:
            style = STATE_STYLE.get(source.state, "")
            dot = "○" if source.state == "off" else "●"
            if parts:
                parts.append("  ")
            parts += [
                (f"{dot} ", style),
                (source.name, "$text"),
                " ",
                (source.state.replace("_", " "), style),
            ]
            if source.detail:
                parts += [": ", untrusted(source.detail, max_chars=DETAIL_CHARS)]
        if note:
            parts += [bar, (note, "italic $text")]
        if now_ms is not None:
            parts += [bar, "now ", (clock_text(now_ms), "$text")]
        if fresh is not None:
            if fresh.last_event_ms is None:
                parts += [bar, ("no events yet", "$warning")]
            else:
                lag = (now_ms or fresh.last_event_ms) - fresh.last_event_ms
                parts += [bar, "last event ", (clock_text(fresh.last_event_ms), "$text"), ", lag ",
                          (age_text(lag), "$text"), bar, (f"{fresh.events:,}", "$text"), " events"]  # fmt: skip
        content = join(*parts) if parts else Content("starting…")
        self.put(content)
