"""The burn-rate alerts in words, newest first, pages before tickets at the same moment.

The engine writes each alert as a sentence ("PAGE: complaint_rate on support-assistant is 7.3%
over 1h and 7.9% over 5m, …"); the strip puts the severity in a coloured badge in front and shows
the rest literally (deployment names come from data). When there are more alerts than lines,
the last line counts the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content

from console.core.kpi_slo import Alert
from console.tui.untrusted import join, untrusted
from console.tui.widgets.kpi_text import KpiText

SEVERITY_STYLE = {"page": "bold reverse $error", "ticket": "bold reverse $warning"}
AlertKey = tuple[str, str, str]  # severity, kpi, group label


def alert_key(alert: Alert) -> AlertKey:
    return (alert.severity, alert.kpi, alert.group.label)


def newest_first(alerts: Sequence[Alert], first_seen: Mapping[AlertKey, int]) -> list[Alert]:
    """Newest first (by when the console first saw each one), pages before tickets on a tie."""
    order = {id(a): i for i, a in enumerate(alerts)}
    return sorted(
        alerts,
        key=lambda a: (-first_seen.get(alert_key(a), 0), a.severity != "page", order[id(a)]),
    )


def _sentence(alert: Alert) -> str:
    prefix = f"{alert.severity.upper()}: "
    return alert.text[len(prefix) :] if alert.text.startswith(prefix) else alert.text


def _badge(severity: str) -> Content:
    return Content(f" {severity.upper():<6} ").stylize(SEVERITY_STYLE.get(severity, "reverse"))


class AlertsStrip(KpiText):
    DEFAULT_CSS = """
    AlertsStrip {
        height: auto;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    AlertsStrip.-quiet { color: $text-muted; }
    """

    def show(self, alerts: Sequence[Alert], first_seen: Mapping[AlertKey, int], max_lines: int) -> None:
        ordered = newest_first(alerts, first_seen)
        if not ordered:
            content = join(("✓ ", "$success"), "no burn-rate alerts")
        else:
            fits = ordered if len(ordered) <= max_lines else ordered[: max(0, max_lines - 1)]
            lines = [join(_badge(a.severity), " ", untrusted(_sentence(a), max_chars=400)) for a in fits]
            rest = ordered[len(fits) :]
            if rest:
                pages = sum(a.severity == "page" for a in rest)
                counts = ", ".join(
                    f"{n} {word}{'s' if n > 1 else ''}"
                    for n, word in ((pages, "page"), (len(rest) - pages, "ticket"))
                    if n
                )
                names = ", ".join(dict.fromkeys(a.kpi for a in rest))
                lines.append(Content(f" +{len(rest)} more ({counts}): {names}").stylize("$text-muted"))
            content = Content("\n").join(lines)
        self.set_class(not ordered, "-quiet")
        self.put(content)
