"""The rows `make bench` prints: a figure, the same run's baseline, their ratio, and the target."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    figure: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    # "ratio" is how many times slower/bigger than the baseline (>1 = worse) unless
    # higher_is_better, in which case it is baseline/figure as well: always "times the baseline cost".
    higher_is_better: bool = False
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.figure or not self.baseline:
            return None
        return self.baseline / self.figure if self.higher_is_better else self.figure / self.baseline


def render(rows: list[Row]) -> str:
    """A Markdown table, so the same text goes into the README."""
    head = "| benchmark | figure | baseline (same run) | ratio | target | ok |\n|---|---:|---|---:|---|---|"
    lines = [head]
    for r in rows:
        base = f"{r.baseline_name} {_fmt(r.baseline)}" if r.baseline is not None else r.baseline_name
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "–"
        ok = "–" if r.ok is None else ("yes" if r.ok else "**NO**")
        lines.append(f"| {r.name} | {_fmt(r.figure)} {r.unit} | {base} | {ratio} | {r.target} | {ok} |")
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"
