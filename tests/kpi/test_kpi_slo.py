"""SLO thresholds (config over defaults), states, and the multi-window burn-rate rules."""

from __future__ import annotations

import pytest

from console.core.errors import UserError
from console.core.kpi import ALL, KPIS, Group, KpiValue
from console.core.kpi_slo import DEFAULT_SLOS, SloSet, evaluate_alerts


def test_every_kpi_but_traffic_has_a_default():
    slos = SloSet.defaults()
    assert set(DEFAULT_SLOS) == set(KPIS) - {"conversations"}
    assert slos.state("conversations", 123) == "none"
    assert not slos["complaint_rate"].higher_is_better and slos["resolution_rate"].higher_is_better


@pytest.mark.parametrize(
    ("kpi", "value", "state"),
    [
        ("complaint_rate", 0.01, "ok"),
        ("complaint_rate", 0.03, "warn"),  # at the warn level counts
        ("complaint_rate", 0.049, "warn"),
        ("complaint_rate", 0.05, "breach"),
        ("complaint_rate", None, "no_data"),
        ("resolution_rate", 0.9, "ok"),
        ("resolution_rate", 0.7, "warn"),
        ("resolution_rate", 0.6, "breach"),
        ("latency_p95_ms", 1200, "ok"),
        ("latency_p95_ms", 6000, "breach"),
        ("secret_leaks", 0, "ok"),
        ("secret_leaks", 1, "warn"),
        ("secret_leaks", 7, "breach"),
    ],
)
def test_states(kpi, value, state):
    assert SloSet.defaults().state(kpi, value) == state


def test_config_overrides_and_direction():
    slos = SloSet.from_config(
        {
            "complaint_rate": {"warn": 0.01, "breach": 0.02},
            "escalation_rate": {"breach": 0.5},  # lone level: warn keeps its default 0.10
            "error_rate": {"warn": 0.5},  # crosses the default breach (0.05): breach dropped
            "conversations": {"warn": 100, "breach": 10},  # warn above breach: higher is better
        }
    )
    assert (slos["complaint_rate"].warn, slos["complaint_rate"].breach) == (0.01, 0.02)
    assert (slos["escalation_rate"].warn, slos["escalation_rate"].breach) == (0.10, 0.5)
    assert (slos["error_rate"].warn, slos["error_rate"].breach) == (0.5, None)
    assert slos.state("error_rate", 0.9) == "warn"
    assert slos["conversations"].higher_is_better and slos.state("conversations", 5) == "breach"
    assert slos.state("conversations", 50) == "warn"
    with pytest.raises(UserError, match=r"slos\.error_rate"):
        SloSet.from_config({"error_rate": {"warn": -1}})


def _v(kpi: str, value: float, den: int = 1000) -> KpiValue:
    return KpiValue(kpi, value, None, den)


def _values(**windows: float) -> dict:
    return {
        name.replace("w", ""): {ALL: {"complaint_rate": _v("complaint_rate", v)}}
        for name, v in windows.items()
    }


def test_fast_burn_pages_only_when_both_windows_breach():
    slos = SloSet.defaults()  # complaint_rate warn 3 %, breach 5 %
    (alert,) = evaluate_alerts({"1h": _values(w1h=0.06)["1h"], "5m": _values(w5m=0.09)["5m"]}, slos)
    assert (alert.severity, alert.rule, alert.level, alert.threshold) == ("page", "fast burn", "breach", 0.05)
    assert alert.burn_long == pytest.approx(2.0) and alert.burn_short == pytest.approx(3.0)
    assert alert.text.startswith("PAGE: complaint_rate is 6.0% over 1h and 9.0% over 5m")
    # The problem is over (5m back to normal), or it is a blip (1h still fine): no page.
    assert evaluate_alerts({"1h": _values(w1h=0.06)["1h"], "5m": _values(w5m=0.01)["5m"]}, slos) == []
    assert evaluate_alerts({"1h": _values(w1h=0.02)["1h"], "5m": _values(w5m=0.5)["5m"]}, slos) == []


def test_slow_burn_tickets_and_page_wins():
    slos = SloSet.defaults()
    vals = {"24h": _values(w24h=0.035)["24h"], "1h": _values(w1h=0.04)["1h"], "5m": _values(w5m=0.01)["5m"]}
    (ticket,) = evaluate_alerts(vals, slos)
    assert (ticket.severity, ticket.long_window, ticket.short_window) == ("ticket", "24h", "1h")
    vals["1h"], vals["5m"] = _values(w1h=0.07)["1h"], _values(w5m=0.07)["5m"]
    (page,) = evaluate_alerts(vals, slos)  # both rules fire: the page alone is reported
    assert page.severity == "page"


def test_tiny_samples_never_alert_and_groups_are_kept_apart():
    slos = SloSet.defaults()
    small = {
        "1h": {ALL: {"complaint_rate": _v("complaint_rate", 0.5, den=4)}},
        "5m": {ALL: {"complaint_rate": _v("complaint_rate", 1.0, den=1)}},
    }
    assert evaluate_alerts(small, slos) == []
    g = Group("billing")
    two = {
        "1h": {
            ALL: {"resolution_rate": _v("resolution_rate", 0.9)},
            g: {"resolution_rate": _v("resolution_rate", 0.5)},
        },
        "5m": {
            ALL: {"resolution_rate": _v("resolution_rate", 0.9)},
            g: {"resolution_rate": _v("resolution_rate", 0.4)},
        },
    }
    (alert,) = evaluate_alerts(two, slos)
    assert alert.group == g and "at or below the breach level 60.0%" in alert.text
    assert alert.as_dict()["group"] == "billing"
