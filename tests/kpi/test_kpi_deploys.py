"""Deploy comparisons: a planted rise is found and stated in words; noise and tiny samples are not flagged."""

from __future__ import annotations

import random

import pytest
from kpi_events import T0, M, deploy, ingest, traffic

from console.core.kpi_deploys import BETTER, INSUFFICIENT, WORSE, compare_deploy, load_markers
from console.core.kpi_engine import KpiEngine, kpi_report
from console.core.kpi_stats import two_proportion

DEPLOY_AT = T0 + 30 * M


def _world(seed: int, *, before_p: float, after_p: float, before_ms: float, after_ms: float, n: int = 500):
    rng = random.Random(seed)
    return [
        *traffic(rng, "b", "support", "v41", T0, DEPLOY_AT, n, complaint_p=before_p, latency_median=before_ms),
        deploy("d1", DEPLOY_AT, "support", "v41", "v42"),
        *traffic(rng, "a", "support", "v42", DEPLOY_AT, DEPLOY_AT + 30 * M, n, complaint_p=after_p,
                 latency_median=after_ms),
    ]  # fmt: skip


def test_planted_rise_is_found_and_worded(store):
    ingest(store, _world(1, before_p=0.02, after_p=0.12, before_ms=400, after_ms=900))
    snap = KpiEngine(store).refresh(DEPLOY_AT + 30 * M)
    (comp,) = snap.comparisons
    assert comp.complete and comp.window_ms == 30 * M
    by_kpi = {c.kpi: c for c in comp.comparisons}
    complaint = by_kpi["complaint_rate"]
    assert complaint.verdict == WORSE and complaint.p_value < 0.001
    assert complaint.text.startswith("complaint_rate on support rose from ")
    assert "after v42" in complaint.text and complaint.text.endswith("p < 0.001")
    assert by_kpi["latency_p95_ms"].verdict == WORSE
    assert {c.kpi for c in comp.worse} <= {"complaint_rate", "negative_feedback_rate", "latency_p95_ms"}
    assert by_kpi["conversations"].verdict == "no_change"
    assert by_kpi["pii_leak_rate"].verdict == "no_change"  # none either side
    assert (
        by_kpi["pii_leak_rate"].text
        == "pii_leak_rate on support: none before or after (of 500 and 500 conversations)"
    )
    assert by_kpi["unauthorized_tool_rate"].verdict == INSUFFICIENT  # no tool calls at all
    assert "worse: complaint_rate" in comp.summary and "30 min before vs 30 min after" in comp.summary
    # The markers and the fast-burn alert that the same incident raises.
    (marker,) = snap.markers_in("1h", "deploy")
    assert marker.label == "support v41 → v42"
    pages = [a for a in snap.alerts if a.severity == "page" and a.kpi == "complaint_rate"]
    assert pages and all(a.group.deployment in (None, "support") for a in pages)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_noise_is_not_flagged(store, seed):
    ingest(store, _world(seed, before_p=0.05, after_p=0.05, before_ms=500, after_ms=500))
    report = kpi_report(store, window="1h", now_ms=DEPLOY_AT + 30 * M)
    (comp,) = report.comparisons
    assert [c.kpi for c in comp.comparisons if c.verdict in (WORSE, BETTER)] == []
    assert "no KPI changed significantly" in comp.summary


def test_tiny_samples_say_so(store):
    ingest(store, _world(5, before_p=0.0, after_p=0.5, before_ms=400, after_ms=400, n=12))
    (comp,) = kpi_report(store, window="1h", now_ms=DEPLOY_AT + 30 * M).comparisons
    complaint = next(c for c in comp.comparisons if c.kpi == "complaint_rate")
    assert complaint.verdict == INSUFFICIENT and complaint.p_value is None
    assert "too few conversations to tell (12 before, 12 after)" in complaint.text


def test_window_stops_at_neighbouring_deploys_and_now(store):
    events = _world(6, before_p=0.02, after_p=0.02, before_ms=400, after_ms=400, n=100)
    events.append(deploy("d0", DEPLOY_AT - 10 * M, "support", "v40", "v41"))
    events.append(deploy("other", DEPLOY_AT - 20 * M, "billing", "v1", "v2"))  # another deployment: no bound
    ingest(store, events)
    markers = load_markers(store, T0 - 60 * M, DEPLOY_AT + 60 * M)
    d1 = next(m for m in markers if m.id == "d1")
    assert compare_deploy(store, d1, markers, DEPLOY_AT + 60 * M).window_ms == 10 * M
    young = compare_deploy(store, d1, markers, DEPLOY_AT + 4 * M)
    assert young.window_ms == 4 * M and not young.complete and "still filling" in young.summary


def test_two_proportion_reference_values():
    # 30/1000 vs 60/1000: pooled 4.5 %, se = sqrt(.045 · .955 · 2/1000) = .00927, z = 3.236, p = .00121.
    r = two_proportion(30, 1000, 60, 1000)
    assert (
        r.valid and r.z == pytest.approx(3.236, abs=0.001) and r.p_value == pytest.approx(0.00121, rel=0.01)
    )
    assert not two_proportion(0, 100, 3, 100).valid  # expected counts below 5
    assert not two_proportion(5, 20, 9, 20).valid  # fewer than 30 a side
