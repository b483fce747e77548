"""``trustops kpi``: the table, --json with its stable schema, and input errors as one line with exit 2."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest
from kpi_events import T0, M, crafted, deploy, ingest, ts

from console.cli import main
from console.core.store import Store

SINCE, UNTIL = ts(T0), ts(T0 + 5 * M)


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('kpi-cli') / 'store.db'}"
    store = Store.open(url)
    ingest(store, [*crafted(), deploy("d1", T0 + 2 * M, "support", "v1", "v2")])
    store.close()
    return url


def test_table(store_url, capsys):
    assert main(["kpi", "--store", store_url, "--since", SINCE, "--until", UNTIL, "--by", "deployment"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("KPIs, range: 2026-11-30 03:00:00Z → 2026-11-30 03:05:00Z (10 s buckets)")
    header, overall, billing, support = out[1:5]
    assert header.split()[:4] == ["group", "conv", "complaint", "negative"]
    assert overall.split()[:3] == ["all", "6", "33.3%!!"]
    assert billing.split()[0] == "billing" and support.split()[0] == "support"
    text = "\n".join(out)
    assert "support v1 → v2 at 2026-11-30 03:02:00Z by ci" in text
    assert "alerts at 2026-11-30 03:05:00Z:" in text
    # 33 % complaints of 6 conversations is too small a sample to page; a leaked secret is a count.
    assert "PAGE" not in text
    assert (
        "TICKET: secret_leaks on support is 1 over 24h and 1 over 1h, at or above the warn level 1\n"
        in text + "\n"
    )


def test_json_schema(store_url, capsys):
    assert main(["kpi", "--store", store_url, "--since", SINCE, "--until", UNTIL, "--json"]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert set(doc) == {"schema", "window", "by", "slos", "groups", "deploys", "alerts"}
    assert doc["schema"] == "trustops.kpi/1"
    assert doc["window"]["since"] == "2026-11-30T03:00:00Z" and doc["window"]["step_ms"] == 10_000
    assert doc["groups"]["all"]["complaint_rate"] == {
        "value": 2 / 6,
        "numerator": 2,
        "denominator": 6,
        "state": "breach",
    }
    assert doc["groups"]["all"]["conversations"]["state"] == "none"
    (dep,) = doc["deploys"]
    assert dep["deploy"]["to_version"] == "v2" and dep["deploy"]["ts"] == "2026-11-30T03:02:00Z"
    assert {c["kpi"] for c in dep["comparisons"]} == set(doc["groups"]["all"])
    assert {c["verdict"] for c in dep["comparisons"]} <= {
        "worse",
        "better",
        "changed",
        "no_change",
        "insufficient",
    }
    assert [(a["kpi"], a["severity"], a["group"]) for a in doc["alerts"]] == [
        ("secret_leaks", "ticket", "all"),
        ("secret_leaks", "ticket", "support"),
    ]


def test_window_from_config_slos(store_url, capsys, tmp_path):
    cfg = tmp_path / "trustops.yaml"
    cfg.write_text("slos:\n  complaint_rate: {warn: 0.30, breach: 0.50}\n")
    args = ["kpi", "--store", store_url, "--config", str(cfg), "--window", "5m", "--until", UNTIL, "--json"]
    assert main(args) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["window"]["name"] == "5m"
    assert doc["groups"]["all"]["complaint_rate"]["state"] == "warn"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "5x"], "--window: not a duration: '5x'"),
        (["--window", "0m"], "shorter than the 10 s resolution"),
        (["--since", "yesterday"], "--since: not an RFC 3339 time"),
        (["--since", UNTIL, "--until", SINCE], "--until must be after --since"),
        (["--window", "1h", "--since", SINCE], "give --window or --since, not both"),
        (["--by", "customer"], "invalid choice: 'customer'"),
    ],
)
def test_bad_arguments_exit_2(store_url, capsys, args, message):
    assert _exit_code(["kpi", "--store", store_url, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_store_exit_2(tmp_path, capsys):
    assert main(["kpi", "--store", f"sqlite:///{tmp_path / 'nope.db'}"]) == 2
    assert "no such database file" in capsys.readouterr().err


def test_installed_command_help():
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", "kpi", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--by {deployment,model_version}" in proc.stdout


def _exit_code(argv: list[str]) -> int:
    """main()'s return value, or the code argparse exits with (usage errors)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
