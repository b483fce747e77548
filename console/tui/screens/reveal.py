"""Revealing redacted values: an explicit key, a confirmation naming what will show, and an
operator-log entry (who, when, which findings: ids and types, never the values) written before
anything is shown. Trail and memory views share it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from textual.app import App
from textual.content import Content

from console.core.masking import reveal_detail
from console.core.queries import StoredFinding
from console.tui.screens.confirm import ConfirmScreen
from console.tui.untrusted import join, untrusted


def ask_reveal(app: App, findings: list[StoredFinding], target: str, on_revealed: Callable[[], None]) -> None:
    """Confirm, log, then call ``on_revealed``; nothing is shown if logging fails."""
    masked = [f for f in findings if app.masking.hides(f)]
    if not masked:
        app.tell("nothing is redacted here", title="Reveal")
        return
    kinds = Counter(f"{f.category}:{f.type}" for f in masked)
    listing = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in sorted(kinds.items()))
    body = join(
        f"{len(masked)} redacted finding(s) will be shown unmasked: ", untrusted(listing, style="bold"), "\n\n",
        "in ", untrusted(target, style="bold", max_chars=120), "\n\n",
        "This is written to the operator log as ", untrusted(app.operator, style="bold", max_chars=60), ".",
    )  # fmt: skip

    def confirmed(yes: bool | None) -> None:
        if not yes:
            return
        detail = reveal_detail(masked)
        operator = app.operator

        def log() -> None:
            app.source.log_operator(operator, "reveal", target, detail)

        def logged(_: None) -> None:
            on_revealed()
            app.tell(f"{len(masked)} value(s) revealed; logged as {operator}", title="Reveal")

        app.load_then(log, logged, group="reveal")

    app.push_screen(
        ConfirmScreen(Content("Reveal redacted values?"), body, yes="Reveal", no="Keep hidden"), confirmed
    )
