"""How one audit event reads in the trail: time, turn, what happened, and its findings inline.

Each event becomes a two-column Rich grid (when / what), so long texts wrap under their own
column. Every value from the event goes through ``untrusted_text``; values a finding covers are
highlighted in the finding's colour and masked (PII, secrets) unless the operator revealed them.
Fields the format does not define are kept and shown, dimmed.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from console.core.describe import clock
from console.core.masking import Masking, field_findings
from console.core.queries import StoredFinding, TrailEvent
from console.tui.untrusted import DEFAULT_MAX_CHARS, TRUNCATED_STYLE, join_text, untrusted_text

DOC_CHARS = 600  # a retrieved document's text in the trail (all of it is in the raw JSON)

CATEGORY_STYLE = {
    "pii": "bold white on dark_orange3",
    "pii_leak": "bold white on red3",
    "secret": "bold white on red3",
    "injection": "bold black on yellow3",
    "unauthorized_tool": "bold white on red3",
    "ungrounded": "bold black on khaki3",
}
TYPE_LOOK = {
    "conversation.start": ("START", "dim"),
    "message.user": ("USER", "bold cyan"),
    "message.assistant": ("ASSISTANT", "bold green"),
    "retrieval": ("RETRIEVAL", "bold blue"),
    "memory.read": ("MEMORY READ", "bold magenta"),
    "memory.write": ("MEMORY WRITE", "magenta"),
    "model.call": ("MODEL", "bold"),
    "tool.call": ("TOOL", "bold yellow"),
    "guardrail": ("GUARDRAIL", "bold"),
    "feedback": ("FEEDBACK", "bold"),
    "escalation": ("ESCALATION", "bold red"),
    "conversation.end": ("END", "dim"),
}
TRUST_STYLE = {"internal": "green", "partner": "cyan", "public": "yellow", "user_upload": "magenta"}
_GOOD, _BAD, _WARN = "green", "bold red", "yellow"
_COMMON = frozenset(("v", "id", "ts", "type", "conversation_id", "deployment", "model_version", "turn"))
_KNOWN = {
    "conversation.start": {"customer_id", "channel", "memory_enabled"},
    "message.user": {"text"},
    "message.assistant": {"text"},
    "retrieval": {"query", "documents"},
    "memory.read": {"items"},
    "memory.write": {"memory_id", "text"},
    "model.call": {"model", "latency_ms", "input_tokens", "output_tokens", "status", "error"},
    "tool.call": {"agent_id", "tool", "args", "risk", "permission", "approved_by", "outcome"},
    "guardrail": {"check", "verdict", "category", "score", "detail"},
    "feedback": {"kind", "score", "text"},
    "escalation": {"reason"},
    "conversation.end": {"resolved"},
}


class EventView:
    """Renders the events of one conversation (``customer_id`` marks cross-customer memory)."""

    def __init__(self, customer_id: str | None, *, reveal: bool, masking: Masking) -> None:
        self.customer_id = customer_id
        self.reveal = reveal
        self.masking = masking

    def render(self, event: TrailEvent) -> RenderableType:
        data = event.data
        kind = str(data.get("type"))
        label, label_style = TYPE_LOOK.get(kind, (kind.upper(), "bold"))
        head = Text()
        head.append(label, style=label_style)
        body = [
            *self._body(kind, data, event.findings),
            *self._extra(kind, data),
            *self._flags(event.findings),
        ]
        if body and isinstance(body[0], Text):
            head.append("  ")
            head.append_text(body.pop(0))
        turn = data.get("turn")
        return EventBlock(event.ts_ms, turn if isinstance(turn, int) and turn > 0 else None, head, body)

    # -- pieces ------------------------------------------------------------------------------------
    def value(
        self,
        data: dict,
        path: str,
        findings: list[StoredFinding],
        *,
        style: str = "",
        limit: int = DEFAULT_MAX_CHARS,
    ) -> Text:
        """The string at ``path`` with its findings highlighted (masked unless revealed); the
        raw-JSON view has what is past ``limit`` characters."""
        raw = _at(data, path)
        if raw is None:
            return Text("–", style="dim")
        text = raw if isinstance(raw, str) else str(raw)
        out = Text(style=style)
        pieces = self.masking.pieces(text, field_findings(findings, path), reveal=self.reveal)
        room = limit  # cut after the pieces, so a value is never half-shown across the cut
        for piece in pieces:
            if room <= 0:
                break
            shown = piece.text if piece.hidden else piece.text[:room]
            look = CATEGORY_STYLE.get(piece.finding.category, "reverse") if piece.finding else ""
            out.append_text(untrusted_text(shown, style=look, multiline=True, max_chars=None))
            room -= len(shown)
        left = sum(len(p.text) for p in pieces) - (limit - room)
        if left > 0:
            out.append(f" … {left:,} more characters (j: raw JSON)", style=TRUNCATED_STYLE)
        return out

    @staticmethod
    def plain(value: object, style: str = "") -> Text:
        return untrusted_text("–" if value is None else value, style=style, max_chars=200)

    def _body(self, kind: str, d: dict, fs: list[StoredFinding]) -> list[RenderableType]:
        p = self.plain
        if kind in ("message.user", "message.assistant"):
            return [self.value(d, "text", fs)]
        if kind == "conversation.start":
            memory = (
                Text("memory on", style=_WARN) if d.get("memory_enabled") else Text("memory off", style="dim")
            )
            return [
                join_text(
                    "customer ", p(d.get("customer_id"), "bold"), " via ", p(d.get("channel")), " · ", memory
                )
            ]
        if kind == "retrieval":
            docs = d.get("documents") or []
            out = [join_text(f"{len(docs)} document(s) for ", self.value(d, "query", fs, style="italic"))]
            for i, doc in enumerate(docs):
                if not isinstance(doc, dict):
                    continue
                trust = doc.get("trust")
                out.append(join_text("• ", p(doc.get("doc_id"), "bold"), "  ", p(trust, TRUST_STYLE.get(str(trust), "")),
                                 "  ", p(doc.get("source"), "dim")))  # fmt: skip
                out.append(_indent(self.value(d, f"documents.{i}.text", fs, style="dim", limit=DOC_CHARS)))
            return out
        if kind == "memory.read":
            items = d.get("items") or []
            out = [Text(f"{len(items)} item(s)")]
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                origin = item.get("origin_customer_id")
                other = origin is not None and self.customer_id is not None and origin != self.customer_id
                who = p(origin, _BAD if other else "")
                warn = Text("  ANOTHER CUSTOMER", style=_BAD) if other else Text()
                out.append(join_text("• ", p(item.get("memory_id"), "bold"), "  from ", p(item.get("origin_conversation_id")),
                                 "  customer ", who, warn))  # fmt: skip
                out.append(_indent(self.value(d, f"items.{i}.text", fs)))
            return out
        if kind == "memory.write":
            return [join_text(p(d.get("memory_id"), "bold"), "  ", self.value(d, "text", fs))]
        if kind == "model.call":
            status = d.get("status")
            out = [join_text(p(d.get("model"), "bold"), " · version ", p(d.get("model_version")), " · ",
                             p(d.get("latency_ms")), " ms · ", p(d.get("input_tokens")), "→", p(d.get("output_tokens")),
                             " tokens · ", p(status, _GOOD if status == "ok" else _BAD))]  # fmt: skip
            if d.get("error"):
                out.append(join_text("error: ", self.value(d, "error", fs, style="red")))
            return out
        if kind == "tool.call":
            return self._tool(d, fs)
        if kind == "guardrail":
            verdict = d.get("verdict")
            look = {"pass": _GOOD, "flag": _WARN, "block": _BAD}.get(str(verdict), "")
            out = [join_text(p(d.get("check"), "bold"), "  ", p(verdict, look), "  ", p(d.get("category")),
                         "  score ", p(d.get("score")))]  # fmt: skip
            if d.get("detail"):
                out.append(self.value(d, "detail", fs, style="dim"))
            return out
        if kind == "feedback":
            fb = d.get("kind")
            look = {"complaint": _BAD, "thumbs_down": _WARN, "thumbs_up": _GOOD}.get(str(fb), "")
            out = [join_text(p(fb, look), "  score ", p(d.get("score")))]
            if d.get("text"):
                out.append(self.value(d, "text", fs))
            return out
        if kind == "escalation":
            return [join_text("to a human: ", self.value(d, "reason", fs))]
        if kind == "conversation.end":
            return [Text("resolved", style=_GOOD) if d.get("resolved") else Text("not resolved", style=_BAD)]
        return []

    def _tool(self, d: dict, fs: list[StoredFinding]) -> list[RenderableType]:
        p = self.plain
        args = d.get("args")
        call = join_text(p(d.get("agent_id"), "bold"), " → ", p(d.get("tool"), "bold"))
        out = [call]
        if isinstance(args, dict):
            for key in list(args)[:12]:
                out.append(
                    _indent(join_text(p(key, "dim"), " = ", self.value(d, f"args.{key}", fs, limit=300)))
                )
        elif args is not None:
            out.append(join_text("  args ", p(args)))
        risk, permission, outcome = d.get("risk"), d.get("permission"), d.get("outcome")
        approver = d.get("approved_by")
        out.append(join_text(
            "risk ", p(risk, _BAD if risk == "high" else ""),
            " · permission ", p(permission, _BAD if permission == "denied" else _GOOD),
            " · approver ", p(approver) if approver else Text("none", style=_WARN if risk == "high" else "dim"),
            " · outcome ", p(outcome, {"ok": _GOOD, "error": _BAD, "blocked": _WARN}.get(str(outcome), "")),
        ))  # fmt: skip
        return out

    def _extra(self, kind: str, d: dict) -> list[Text]:
        known = _KNOWN.get(kind)
        if known is None:
            return [
                join_text(self.plain(k, "dim"), " = ", self.plain(v))
                for k, v in d.items()
                if k not in _COMMON
            ]
        return [
            join_text(self.plain(k, "dim italic"), " = ", self.plain(v, "dim"))
            for k, v in d.items()
            if k not in _COMMON and k not in known
        ]

    @staticmethod
    def _flags(findings: list[StoredFinding]) -> list[Text]:
        """One line per kind of finding (same category, type, field and detail), with a count."""
        counts = Counter((f.category, f.type, f.field, f.detail) for f in findings)
        out = []
        for (category, type_, where, detail), n in counts.items():
            line = Text("⚑ ", style="bold red")
            line.append_text(
                untrusted_text(
                    f"{category}:{type_}", style=CATEGORY_STYLE.get(category, "reverse"), max_chars=80
                )
            )
            if n > 1:
                line.append(f" ×{n}", style="bold")
            if where:
                line.append_text(untrusted_text(f" in {where}", style="dim", max_chars=80))
            if detail:
                line.append("  ")
                line.append_text(untrusted_text(detail, style="dim", max_chars=200))
            out.append(line)
        return out


class EventBlock:
    """One event as a when / what grid; the when column narrows (no milliseconds) on small screens."""

    NARROW = 90

    def __init__(self, ts_ms: int, turn: int | None, head: Text, body: list[RenderableType]) -> None:
        self.ts_ms = ts_ms
        self.turn = turn
        self.head = head
        self.body = body

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        narrow = options.max_width < self.NARROW
        when = Text(clock(self.ts_ms)[: 8 if narrow else 12], style="dim")
        when.append(f" t{self.turn}" if self.turn is not None else "   ")
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=when.cell_len, no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(when, self.head)
        for line in self.body:
            grid.add_row(Text(), line)
        yield grid


def render_events(
    events: list[TrailEvent], customer_id: str | None, *, reveal: bool, masking: Masking
) -> list[RenderableType]:
    view = EventView(customer_id, reveal=reveal, masking=masking)
    return [view.render(e) for e in events]


def _indent(renderable: RenderableType) -> Padding:
    return Padding(renderable, (0, 0, 0, 2))


def _at(data: dict, path: str) -> object:
    node: object = data
    for key in path.split("."):
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node
