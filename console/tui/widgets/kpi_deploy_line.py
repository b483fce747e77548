"""Under the panes: the newest deploy in the window and what it did to the focused pane's KPI.

::

    DEPLOY support-assistant v41 → v42 at 2026-11-30 03:03:00Z by ci-pipeline: worse: complaint_rate, …
           complaint_rate on support-assistant rose from 3.1% to 9.5% after v42 (+6.3 points, 3.0×), p = 0.003

Both sentences are the engine's (two-proportion tests, Bonferroni across the KPIs tested); they
hold deployment names, versions and actors from data, so they are shown literally.
"""

from __future__ import annotations

from textual.content import Content

from console.core.kpi import Group
from console.core.kpi_deploys import BETTER, WORSE, DeployComparison
from console.tui.untrusted import join, untrusted
from console.tui.widgets.kpi_text import KpiText

VERDICT_STYLE = {WORSE: "$error", BETTER: "$success"}


class DeployLine(KpiText):
    DEFAULT_CSS = """
    DeployLine {
        height: auto;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        color: $text;
    }
    """

    def show(self, comparison: DeployComparison | None, kpi: str | None, window: str, group: Group) -> None:
        badge = Content(" DEPLOY ").stylize("bold reverse $primary")
        if comparison is None:
            of = join(" of ", untrusted(group.deployment, max_chars=80)) if group.deployment else Content("")
            content = join("no deploy", of, f" in the last {window}").stylize("$text-muted")
        else:
            lines = [join(badge, " ", untrusted(comparison.summary, max_chars=400))]
            found = next((c for c in comparison.comparisons if c.kpi == kpi), None)
            if found is not None:
                style = VERDICT_STYLE.get(found.verdict, "$text-muted")
                lines.append(join(" " * 9, untrusted(found.text, max_chars=400, style=style)))
            content = Content("\n").join(lines)
        self.put(content)
