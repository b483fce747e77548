"""A compact bar plot of one KPI over a window, drawn with Unicode eighth blocks.

Why not plotext: its canvas comes with axes, ticks and a legend that a 36-column pane cannot
spare, it returns ANSI text that has to be decoded back into styles on every repaint, and its
colours ignore the console's theme. A KPI pane needs less and needs it exact: one column per
time slot, each bar coloured by the SLO state of its own bucket, the breach level as a faint
line, deploys as a vertical mark labelled with the version, and a time axis. That is a few dozen
lines here and costs microseconds per pane.

Everything returns ``Content``; the only strings from data are marker labels (versions), which
go through :func:`console.tui.untrusted.untrusted`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.cells import cell_len
from textual.content import Content, Span

from console.tui.untrusted import untrusted

BLOCKS = " ▁▂▃▄▅▆▇█"
MARKER = "┃"
THRESHOLD = "╌"
# State → style. Theme variables, so the plot follows the console's theme.
STATE_STYLE = {
    "ok": "$success",
    "warn": "$warning",
    "breach": "$error",
    "none": "$primary",
    "no_data": "$text-muted",
}
MARKER_STYLE = "bold $foreground"
THRESHOLD_STYLE = "$error 60%"
AXIS_STYLE = "$text-muted"
HEADROOM = 1.25  # the breach line sits at 80 % of the height when the data stays below it


@dataclass(frozen=True, slots=True)
class PlotMarker:
    ts_ms: int
    label: str  # untrusted (a version from the data)


@dataclass(frozen=True, slots=True)
class PlotData:
    """Evenly spaced values over [since_ms, until_ms), with a state per value."""

    values: tuple[float | None, ...]
    states: tuple[str, ...]
    weights: tuple[int | None, ...]  # denominators, to merge buckets into one column fairly
    since_ms: int
    until_ms: int
    kind: str  # "rate" | "count" | "quantile"
    threshold: float | None = None  # the breach level, drawn as a line
    markers: tuple[PlotMarker, ...] = ()


def columns(data: PlotData, width: int) -> list[tuple[float | None, str]]:
    """One (value, state) per column: buckets merged when there are more than columns (rates
    weighted by their denominators, counts summed, quantiles by their maximum), stretched when
    there are fewer, so a column always stands for the same slice of time."""
    n = len(data.values)
    if width <= 0 or n == 0:
        return [(None, "no_data")] * max(width, 0)
    out: list[tuple[float | None, str]] = []
    for col in range(width):
        lo = col * n // width
        hi = max(lo + 1, (col + 1) * n // width)
        out.append(_merge(data, lo, hi))
    return out


_RANK = {"breach": 4, "warn": 3, "ok": 2, "none": 1, "no_data": 0}


def _merge(data: PlotData, lo: int, hi: int) -> tuple[float | None, str]:
    if hi - lo == 1:
        return data.values[lo], data.states[lo]
    values = [(v, w) for v, w in zip(data.values[lo:hi], data.weights[lo:hi], strict=True) if v is not None]
    state = max(data.states[lo:hi], key=lambda s: _RANK.get(s, 0))
    if not values:
        return None, state
    if data.kind == "count":
        return sum(v for v, _ in values), state
    if data.kind == "quantile":
        return max(v for v, _ in values), state
    total = sum(w or 0 for _, w in values)
    if not total:
        return sum(v for v, _ in values) / len(values), state
    return sum(v * (w or 0) for v, w in values) / total, state


def marker_columns(data: PlotData, width: int) -> list[tuple[int, PlotMarker]]:
    span = max(1, data.until_ms - data.since_ms)
    out = []
    for m in data.markers:
        if data.since_ms <= m.ts_ms <= data.until_ms:
            out.append((min(width - 1, (m.ts_ms - data.since_ms) * width // span), m))
    return out


def bars(data: PlotData, width: int, height: int) -> list[Content]:
    """``height`` lines of ``width`` cells, top line first."""
    if width <= 0 or height <= 0:
        return []
    cols = columns(data, width)
    present = [v for v, _ in cols if v is not None and math.isfinite(v)]
    top = max([*present, (data.threshold or 0) * HEADROOM, 0.0])
    levels = height * 8
    eighths = [_eighths(v, top, levels) for v, _ in cols]
    threshold_row = None
    if data.threshold and top:
        threshold_row = min(height - 1, int(data.threshold / top * levels) // 8)
    marks = dict(marker_columns(data, width))
    lines = []
    for row in range(height - 1, -1, -1):  # top line first
        cells: list[tuple[str, str]] = []
        for col, ((value, state), e) in enumerate(zip(cols, eighths, strict=True)):
            if col in marks:
                cells.append((MARKER, MARKER_STYLE))
                continue
            fill = 0 if e is None else max(0, min(8, e - row * 8))
            if fill:
                style = STATE_STYLE.get(state, "")
                cells.append((BLOCKS[fill], f"{style} 50%" if value == 0 else style))
            elif row == threshold_row:
                cells.append((THRESHOLD, THRESHOLD_STYLE))
            else:
                cells.append((" ", ""))
        lines.append(_runs(cells))
    return lines


def _eighths(value: float | None, top: float, levels: int) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    if value <= 0 or not top:
        return 1  # a floor tick: "measured, and zero" differs from "nothing measured"
    return max(1, min(levels, round(value / top * levels)))


def _runs(cells: list[tuple[str, str]]) -> Content:
    """One Content with a span per run of equal style (a few spans per line, not one per cell)."""
    text = "".join(c for c, _ in cells)
    spans = []
    start = 0
    for i in range(1, len(cells) + 1):
        if i == len(cells) or cells[i][1] != cells[start][1]:
            if cells[start][1]:
                spans.append(Span(start, i, cells[start][1]))
            start = i
    return Content(text, spans)


def axis(data: PlotData, width: int) -> Content:
    """Start time, deploy labels under their marks, end time: labels never overlap."""
    if width <= 0:
        return Content("")
    cells = [" "] * width
    styles: list[str] = [""] * width
    taken = [False] * width

    def place(start: int, text: str, style: str) -> bool:
        start = max(0, min(start, width - len(text)))
        end = start + len(text)
        if start < 0 or end > width or any(taken[max(0, start - 1) : min(width, end + 1)]):
            return False
        for i, ch in enumerate(text):
            cells[start + i] = ch
            styles[start + i] = style
            taken[start + i] = True
        return True

    for col, m in marker_columns(data, width):
        label = untrusted(m.label, max_chars=12).plain
        if cell_len(label) == len(label):  # wide characters would shift every cell after them
            place(col, label, MARKER_STYLE)
    fmt = _time_format(data.until_ms - data.since_ms)
    place(0, _clock(data.since_ms, fmt), AXIS_STYLE)
    place(width, _clock(data.until_ms, fmt), AXIS_STYLE)
    return _runs(list(zip(cells, styles, strict=True)))


def _time_format(span_ms: int) -> str:
    if span_ms <= 15 * 60_000:
        return "%H:%M:%S"
    if span_ms <= 12 * 3_600_000:
        return "%H:%M"
    if span_ms <= 7 * 86_400_000:
        return "%a %H:%M"
    return "%d %b"


def _clock(ts_ms: int, fmt: str) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime(fmt)
