"""The statistics behind deploy comparisons: two-proportion z-tests, honest about small samples."""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05  # family-wise, per deploy: see kpi_deploys (Bonferroni over the KPIs tested)
MIN_N = 30  # observations a side before a normal approximation is used at all
MIN_EXPECTED = 5  # the usual rule: every cell's expected count under "no change" at least 5
MIN_COUNTS = 20  # events over both windows before two counts are compared


@dataclass(frozen=True, slots=True)
class ZTest:
    """``valid`` is False when the samples are too small for the test to mean anything;
    ``unchanged`` marks the one untestable case that still has an answer: none on either side."""

    z: float | None
    p_value: float | None
    valid: bool
    reason: str = ""
    unchanged: bool = False


def normal_two_sided(z: float) -> float:
    """P(|Z| ≥ |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def two_proportion(x1: int, n1: int, x2: int, n2: int, unit: str = "observations") -> ZTest:
    """Pooled two-proportion z-test of x1/n1 against x2/n2 (two-sided); ``unit`` names what n counts."""
    if n1 == 0 and n2 == 0:
        return ZTest(None, None, False, f"no {unit} either side")
    if n1 < MIN_N or n2 < MIN_N:
        return ZTest(None, None, False, f"too few {unit} to tell ({n1:,} before, {n2:,} after)")
    if x1 == 0 and x2 == 0:
        return ZTest(None, None, False, f"none before or after (of {n1:,} and {n2:,} {unit})", unchanged=True)
    pooled = (x1 + x2) / (n1 + n2)
    expected = min(n1 * pooled, n2 * pooled, n1 * (1 - pooled), n2 * (1 - pooled))
    if expected < MIN_EXPECTED:
        return ZTest(
            None, None, False, f"too few to tell ({x1:,} of {n1:,} {unit} before, {x2:,} of {n2:,} after)"
        )
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x2 / n2 - x1 / n1) / se
    return ZTest(z, normal_two_sided(z), True)


def two_counts(x1: int, x2: int) -> ZTest:
    """Equal-length windows, Poisson counts: under "same rate" x2 given x1 + x2 is Binomial(n, ½)."""
    n = x1 + x2
    if n < MIN_COUNTS:
        return ZTest(None, None, False, f"too few conversations to tell ({x1:,} before, {x2:,} after)")
    z = (x2 - x1) / math.sqrt(n)
    return ZTest(z, normal_two_sided(z), True)


def p_text(p: float | None) -> str:
    if p is None:
        return "p n/a"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"
