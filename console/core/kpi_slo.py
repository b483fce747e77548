"""SLOs per KPI (ok / warn / breach) and multi-window burn-rate alerts.

Thresholds come from the config's ``slos`` (``complaint_rate: {warn: 0.02, breach: 0.05}``), over
built-in defaults for every KPI. A value *at or beyond* a threshold is in that state: for
lower-is-better KPIs at or above it, for higher-is-better ones (``resolution_rate``) at or below.

Burn-rate alerts follow the Google SRE multi-window pattern, with the ``warn`` level read as the
objective (the error budget, spent over a day) and ``breach`` as the level that hurts customers.
The burn rate over a window is ``value / warn`` (for higher-is-better KPIs ``(1 - value) /
(1 - warn)``, the shortfall against the allowed shortfall). Two rules, each needing *both* of its
windows, so an alert starts only on a sustained problem and stops soon after a fix:

- fast burn, severity ``page``: the 1 h and the 5 min values are both at or beyond ``breach``
  (burn rate ≥ breach / warn on both);
- slow burn, severity ``ticket``: the 24 h and the 1 h values are both at or beyond ``warn``
  (burn rate ≥ 1 on both: the day's budget runs out before the day does).

A window counts only with enough behind it (``MIN_SAMPLES``: 30 in the long window, 10 in the
short one, of the KPI's denominator) so that one complaint in two conversations never pages.
Only the most severe alert per KPI and group is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.core.errors import UserError
from console.core.kpi import KPIS, Group, KpiValue, format_value

OK, WARN, BREACH, NO_DATA, NONE = "ok", "warn", "breach", "no_data", "none"
_RANK = {NONE: 0, NO_DATA: 0, OK: 0, WARN: 1, BREACH: 2}

# Built-in thresholds: the demo fleet's calm traffic sits inside "ok" on every KPI, its incidents
# cross "breach". Rates are fractions (0.02 = 2 %), latency is in ms, secret_leaks counts
# conversations with a leaked credential in the window.
DEFAULT_SLOS: dict[str, dict[str, float]] = {
    "complaint_rate": {"warn": 0.03, "breach": 0.05},
    "negative_feedback_rate": {"warn": 0.10, "breach": 0.15},
    "escalation_rate": {"warn": 0.10, "breach": 0.20},
    "injection_rate": {"warn": 0.02, "breach": 0.05},
    "pii_leak_rate": {"warn": 0.002, "breach": 0.01},
    "secret_leaks": {"warn": 1, "breach": 5},
    "unauthorized_tool_rate": {"warn": 0.01, "breach": 0.03},
    "guardrail_block_rate": {"warn": 0.05, "breach": 0.10},
    "ungrounded_rate": {"warn": 0.05, "breach": 0.10},
    "error_rate": {"warn": 0.02, "breach": 0.05},
    "latency_p95_ms": {"warn": 2500, "breach": 5000},
    "resolution_rate": {"warn": 0.75, "breach": 0.60},
}


@dataclass(frozen=True, slots=True)
class Slo:
    kpi: str
    warn: float | None
    breach: float | None
    higher_is_better: bool

    def beyond(self, value: float, threshold: float) -> bool:
        return value <= threshold if self.higher_is_better else value >= threshold

    def state(self, value: float | None) -> str:
        if self.warn is None and self.breach is None:
            return NONE
        if value is None:
            return NO_DATA
        if self.breach is not None and self.beyond(value, self.breach):
            return BREACH
        if self.warn is not None and self.beyond(value, self.warn):
            return WARN
        return OK

    def level(self, name: str) -> float | None:
        return self.breach if name == BREACH else self.warn

    def burn(self, value: float | None) -> float | None:
        """How many times faster than the objective (``warn``) the budget is being spent."""
        if value is None or not self.warn:
            return None
        if self.higher_is_better:
            allowed = 1.0 - self.warn
            return (1.0 - value) / allowed if allowed > 0 else None
        return value / self.warn

    def as_dict(self) -> dict:
        return {"warn": self.warn, "breach": self.breach, "higher_is_better": self.higher_is_better}


class SloSet:
    """The SLO of every KPI (defaults merged with the configuration)."""

    def __init__(self, slos: Mapping[str, Slo]) -> None:
        self._slos = dict(slos)

    @classmethod
    def defaults(cls) -> SloSet:
        return cls.from_config(None)

    @classmethod
    def from_config(cls, configured: Mapping[str, Mapping[str, float]] | None) -> SloSet:
        """Defaults, with each configured level replacing the default one.

        A KPI with both levels configured takes its direction from them (warn above breach means
        higher is better); a lone configured level keeps the KPI's usual direction and drops a
        default other level that would contradict it.
        """
        configured = configured or {}
        slos: dict[str, Slo] = {}
        for name, d in KPIS.items():
            given = configured.get(name) or {}
            default = DEFAULT_SLOS.get(name, {})
            warn = given.get("warn", default.get("warn"))
            breach = given.get("breach", default.get("breach"))
            higher = d.higher_is_better
            if "warn" in given and "breach" in given:
                if warn != breach:
                    higher = warn > breach
            elif warn is not None and breach is not None and warn != breach and (warn > breach) != higher:
                # A lone configured level crossed the default other one: keep only what was asked.
                warn, breach = (warn, None) if "warn" in given else (None, breach)
            for level in (warn, breach):
                if level is not None and level < 0:
                    raise UserError(f"slos.{name}: thresholds cannot be negative")
            slos[name] = Slo(name, warn, breach, higher)
        return cls(slos)

    def __getitem__(self, kpi: str) -> Slo:
        return self._slos[kpi]

    def state(self, kpi: str, value: float | None) -> str:
        return self._slos[kpi].state(value)

    def as_dict(self) -> dict:
        return {k: s.as_dict() for k, s in self._slos.items()}


def worst(states: list[str]) -> str:
    return max(states, key=lambda s: _RANK.get(s, 0), default=NONE)


# -- burn-rate alerts ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BurnRule:
    name: str
    severity: str
    long_window: str
    short_window: str
    level: str  # the SLO level both windows must reach


BURN_RULES = (
    BurnRule("fast burn", "page", "1h", "5m", BREACH),
    BurnRule("slow burn", "ticket", "24h", "1h", WARN),
)
ALERT_WINDOWS = ("5m", "1h", "24h")
MIN_SAMPLES = {"long": 30, "short": 10}


@dataclass(frozen=True, slots=True)
class Alert:
    kpi: str
    group: Group
    rule: str
    severity: str
    level: str
    threshold: float
    long: KpiValue
    short: KpiValue
    long_window: str
    short_window: str
    burn_long: float | None
    burn_short: float | None
    text: str

    def as_dict(self) -> dict:
        return {
            "kpi": self.kpi,
            "group": self.group.label,
            **self.group.as_dict(),
            "rule": self.rule,
            "severity": self.severity,
            "level": self.level,
            "threshold": self.threshold,
            "windows": {
                self.long_window: {**self.long.as_dict(), "burn_rate": self.burn_long},
                self.short_window: {**self.short.as_dict(), "burn_rate": self.burn_short},
            },
            "text": self.text,
        }


def _enough(v: KpiValue, which: str) -> bool:
    if v.value is None:
        return False
    if KPIS[v.kpi].kind == "count":
        return True
    return (v.denominator or 0) >= MIN_SAMPLES[which]


def evaluate_alerts(
    values: Mapping[str, Mapping[Group, Mapping[str, KpiValue]]], slos: SloSet
) -> list[Alert]:
    """Alerts from KPI values per window name ("5m", "1h", "24h") and group."""
    found: dict[tuple[str, Group], Alert] = {}
    for rule in BURN_RULES:
        long_vals, short_vals = values.get(rule.long_window), values.get(rule.short_window)
        if not long_vals or not short_vals:
            continue
        for group, kpis in long_vals.items():
            for kpi, lv in kpis.items():
                slo = slos[kpi]
                threshold = slo.level(rule.level)
                sv = short_vals.get(group, {}).get(kpi)
                if threshold is None or sv is None or (kpi, group) in found:
                    continue
                if not (_enough(lv, "long") and _enough(sv, "short")):
                    continue
                if slo.beyond(lv.value, threshold) and slo.beyond(sv.value, threshold):  # type: ignore[arg-type]
                    found[(kpi, group)] = _alert(rule, kpi, group, threshold, lv, sv, slo)
    return sorted(found.values(), key=lambda a: (a.severity != "page", a.group.label, a.kpi))


def _alert(
    rule: BurnRule, kpi: str, group: Group, threshold: float, lv: KpiValue, sv: KpiValue, slo: Slo
) -> Alert:
    where = "" if group.deployment is None and group.model_version is None else f" on {group.label}"
    side = "at or below" if slo.higher_is_better else "at or above"
    bl, bs = slo.burn(lv.value), slo.burn(sv.value)
    text = (
        f"{rule.severity.upper()}: {kpi}{where} is {lv.text()} over {rule.long_window} and {sv.text()} "
        f"over {rule.short_window}, {side} the {rule.level} level {format_value(kpi, threshold)}"
    )
    if KPIS[kpi].kind != "count" and bl and bs:
        text += f" ({rule.name}: burn rate {bl:.1f}× / {bs:.1f}× the {format_value(kpi, slo.warn)} objective)"
    return Alert(
        kpi, group, rule.name, rule.severity, rule.level, threshold, lv, sv, rule.long_window,
        rule.short_window, bl, bs, text,
    )  # fmt: skip
