"""Deploy markers and before/after comparisons of every KPI around each deploy.

For a deploy of deployment D at time T, the KPIs of D's conversations started in [T - w, T) are
compared with those started in [T, T + w): equal windows, w up to 30 minutes, shortened so that
neither side reaches D's previous or next deploy, the present, or (before) D's first stored
conversation. Tests (see docs/kpis.md):

- rates (and ``secret_leaks``, as a share of conversations): pooled two-proportion z-test;
- ``latency_p95_ms``: the p95s are compared through the share of calls slower than the pooled
  p95 (a quantile test, the 95th-percentile cousin of Mood's median test), with the same z-test;
- ``conversations``: two Poisson counts over equal spans (traffic changed, never "worse").

A change is significant when its p-value is below 5 % divided by the number of KPIs tested for
that deploy (Bonferroni), so a deploy that changed nothing is flagged with at most 5 % chance.
A test is not run at all when the samples are too small for its normal approximation: the
comparison then says "too few to tell" instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from console.core import kpi_latency
from console.core.describe import stamp
from console.core.kpi import KPIS, MINUTE, Agg, KpiValue, rfc3339
from console.core.kpi_queries import deployment_agg, first_start
from console.core.kpi_stats import ALPHA, ZTest, p_text, two_counts, two_proportion
from console.core.store import Store

COMPARE_MAX_MS = 30 * MINUTE

WORSE, BETTER, CHANGED, NO_CHANGE, INSUFFICIENT = "worse", "better", "changed", "no_change", "insufficient"


@dataclass(frozen=True, slots=True)
class Marker:
    """A deploy or control action, to annotate plots. Strings are untrusted: show them safely."""

    id: str
    ts_ms: int
    kind: str  # "deploy" or "control"
    deployment: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    detail: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "deploy":
            return f"{self.deployment} {self.from_version or '?'} → {self.to_version}"
        return f"{self.action} {self.target}"

    def as_dict(self) -> dict:
        return {
            "id": self.id, "ts": rfc3339(self.ts_ms), "ts_ms": self.ts_ms, "kind": self.kind,
            "deployment": self.deployment, "from_version": self.from_version, "to_version": self.to_version,
            "actor": self.actor, "action": self.action, "target": self.target, "detail": self.detail,
        }  # fmt: skip


_DEPLOY_FIELDS = ("deployment", "from_version", "to_version", "actor")
_CONTROL_FIELDS = ("actor", "action", "target", "detail")


def load_markers(store: Store, since_ms: int, until_ms: int) -> list[Marker]:
    """Deploys and control actions with since ≤ ts < until, oldest first (partial index on ts)."""
    rows = store.query(
        "SELECT id, ts_ms, type, body FROM events WHERE type IN ('deploy', 'control') "
        "AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, seq",
        [since_ms, until_ms],
    )
    out = []
    for event_id, ts_ms, kind, body in rows:
        try:
            b = orjson.loads(bytes(body))
        except orjson.JSONDecodeError:
            b = {}
        g = b.get if isinstance(b, dict) else {}.get
        names = _DEPLOY_FIELDS if kind == "deploy" else _CONTROL_FIELDS
        out.append(Marker(event_id, int(ts_ms), kind, **{n: _s(g(n)) for n in names}))
    return out


def _s(v: object) -> str | None:
    return None if v is None else str(v)


# -- comparisons -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Comparison:
    kpi: str
    before: KpiValue
    after: KpiValue
    test: str | None
    p_value: float | None
    significant: bool
    verdict: str  # worse | better | changed | no_change | insufficient
    text: str

    def as_dict(self) -> dict:
        def side(v: KpiValue) -> dict:
            return {"value": v.value, "numerator": v.numerator, "denominator": v.denominator}

        change = None
        if self.before.value is not None and self.after.value is not None:
            change = self.after.value - self.before.value
        return {
            "kpi": self.kpi, "before": side(self.before), "after": side(self.after), "change": change,
            "test": self.test, "p_value": self.p_value, "significant": self.significant,
            "verdict": self.verdict, "text": self.text,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeployComparison:
    deploy: Marker
    window_ms: int
    before: tuple[int, int]
    after: tuple[int, int]
    complete: bool  # the after window no longer grows
    tests: int  # KPIs with a valid test (the Bonferroni divisor)
    comparisons: tuple[Comparison, ...]

    def by_verdict(self, verdict: str) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict == verdict]

    @property
    def worse(self) -> list[Comparison]:
        return self.by_verdict(WORSE)

    @property
    def summary(self) -> str:
        d = self.deploy
        head = f"{d.label} at {stamp(d.ts_ms)}" + (f" by {d.actor}" if d.actor else "")
        if self.window_ms < MINUTE:
            return f"{head}: under a minute of traffic on one side, nothing to compare yet"
        span = f"{_minutes(self.window_ms)} before vs {_minutes(self.window_ms)} after"
        worse = ", ".join(c.kpi for c in self.worse)
        better = ", ".join(c.kpi for c in self.by_verdict(BETTER))
        parts = []
        if worse:
            parts.append(f"worse: {worse}")
        if better:
            parts.append(f"better: {better}")
        if not parts:
            parts.append("no KPI changed significantly" if self.tests else "too little traffic to tell")
        partial = "" if self.complete else " (still filling)"
        return f"{head}: {'; '.join(parts)} ({span}{partial})"

    def as_dict(self) -> dict:
        return {
            "deploy": self.deploy.as_dict(),
            "window_ms": self.window_ms,
            "before": {"since": rfc3339(self.before[0]), "until": rfc3339(self.before[1]),
                       "since_ms": self.before[0], "until_ms": self.before[1]},
            "after": {"since": rfc3339(self.after[0]), "until": rfc3339(self.after[1]),
                      "since_ms": self.after[0], "until_ms": self.after[1]},
            "complete": self.complete,
            "tests": self.tests,
            "alpha": ALPHA,
            "summary": self.summary,
            "comparisons": [c.as_dict() for c in self.comparisons],
        }  # fmt: skip


def _minutes(ms: int) -> str:
    return f"{ms / MINUTE:.0f} min" if ms >= MINUTE else f"{ms / 1000:.0f} s"


def compare_deploy(
    store: Store, deploy: Marker, markers: Sequence[Marker], now_ms: int, max_ms: int = COMPARE_MAX_MS
) -> DeployComparison:
    """Compare ``deploy``'s deployment before and after it (``markers``: its neighbours)."""
    t = deploy.ts_ms
    same = [m.ts_ms for m in markers if m.kind == "deploy" and m.deployment == deploy.deployment]
    prev = max((x for x in same if x < t), default=None)
    nxt = min((x for x in same if x > t), default=None)
    limits = [max_ms]
    if prev is not None:
        limits.append(t - prev)
    if nxt is not None:
        limits.append(nxt - t)
    # Equal spans of traffic either side: the before window never reaches back past the data.
    first = first_start(store, deploy.deployment or "")
    w = max(0, min(*limits, now_ms - t, t - first if first is not None else 0))
    complete = now_ms - t >= min(limits)
    slot = kpi_latency.SLOT_MS
    before = deployment_agg(store, deploy.deployment or "", t - w, t, (t - w, t - slot + 1))
    after = deployment_agg(store, deploy.deployment or "", t, t + w, (t, t + w - slot + 1))
    results = {name: _test(name, before, after) for name in KPIS}
    tests = sum(1 for r in results.values() if r[0].valid)
    comps = tuple(_comparison(name, deploy, before, after, *results[name], tests) for name in KPIS)
    return DeployComparison(deploy, w, (t - w, t), (t, t + w), complete, tests, comps)


def _test(kpi: str, before: Agg, after: Agg) -> tuple[ZTest, str | None, str]:
    """(result, test name, extra words) of one KPI."""
    d = KPIS[kpi]
    if kpi == "conversations":
        return two_counts(before["conversations"], after["conversations"]), "poisson counts", ""
    if d.kind == "quantile":
        pooled = kpi_latency.merge([before.latency, after.latency])
        edge_bucket = kpi_latency.quantile_bucket(pooled, 0.95)
        if edge_bucket is None:
            return two_proportion(0, 0, 0, 0, "model calls"), "p95 exceedance", ""
        x1 = kpi_latency.count_above(before.latency, edge_bucket)
        x2 = kpi_latency.count_above(after.latency, edge_bucket)
        n1, n2 = sum(before.latency.values()), sum(after.latency.values())
        edge = kpi_latency.bucket_bounds(edge_bucket)[1]
        extra = ""
        if n1 and n2 and not math.isinf(edge):
            extra = f"; calls slower than {edge:,.0f} ms: {x1 / n1:.1%} → {x2 / n2:.1%}"
        return two_proportion(x1, n1, x2, n2, "model calls"), "p95 exceedance", extra
    num, den = d.numerator or "", d.denominator or ""
    result = two_proportion(before[num], before[den], after[num], after[den], d.per)
    return result, "two-proportion z", ""


def _comparison(
    kpi: str, deploy: Marker, before: Agg, after: Agg, result: ZTest, test: str | None, extra: str, tests: int
) -> Comparison:
    d = KPIS[kpi]
    vb, nb, db = before.value(kpi)
    va, na, da = after.value(kpi)
    b, a = KpiValue(kpi, vb, nb, db), KpiValue(kpi, va, na, da)
    significant = result.valid and tests > 0 and result.p_value is not None and result.p_value < ALPHA / tests
    where = f"{kpi} on {deploy.deployment}"
    after_what = f"after {deploy.to_version}"
    if result.unchanged:
        verdict = NO_CHANGE
        text = f"{where}: {result.reason}"
    elif not result.valid:
        verdict = INSUFFICIENT
        text = f"{where}: {b.text()} before, {a.text()} {after_what}; {result.reason}"
    elif not significant:
        verdict = NO_CHANGE
        text = f"{where}: {b.text()} before, {a.text()} {after_what}; no significant change ({p_text(result.p_value)})"
    else:
        up = (result.z or 0) > 0
        verdict = CHANGED if kpi == "conversations" else BETTER if up == d.higher_is_better else WORSE
        moved = "rose" if up else "fell"
        text = f"{where} {moved} from {b.text()} to {a.text()} {after_what}{_size(kpi, vb, va)}{extra}, {p_text(result.p_value)}"
    return Comparison(kpi, b, a, test, result.p_value, significant, verdict, text)


def _size(kpi: str, before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    kind = KPIS[kpi].kind
    if kind == "rate":
        delta = f"{(after - before) * 100:+.1f} points"
    elif kind == "quantile":
        delta = f"{after - before:+,.0f} ms"
    else:
        delta = f"{after - before:+,.0f}"
    ratio = f", {after / before:.1f}×" if before > 0 else ""
    return f" ({delta}{ratio})"
