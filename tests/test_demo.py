"""`trustops demo --headless`: the fleet, live ingest and a summary, end to end in real processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

TRUSTOPS = [sys.executable, "-m", "console.cli"]
ROOT = Path(__file__).resolve().parent.parent


def demo(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*TRUSTOPS, "demo", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_headless_demo_ingests_everything_the_fleet_wrote(tmp_path):
    work = tmp_path / "demo"
    proc = demo(
        "--headless", "--duration", "2", "--scenario", "bad-update", "--speed", "5", "--workdir", str(work)
    )
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"ingested ([\d,]+) events \(0 rejected, 0 duplicates\) of ([\d,]+) written", proc.stdout)
    assert m, proc.stdout
    assert m.group(1) == m.group(2)
    assert int(m.group(1).replace(",", "")) > 10_000  # half an hour of history at least
    # The bad update shows in the KPI summary: v42 of the support assistant complains more than v41,
    # and the deploy comparison says so in words.
    rates = {
        line.split()[0]: float(line.split()[2].rstrip("%!"))
        for line in proc.stdout.splitlines()
        if line.startswith("support-assistant/")
    }
    assert rates["support-assistant/v42"] > 2 * rates["support-assistant/v41"], proc.stdout
    assert re.search(
        r"complaint_rate on support-assistant rose from [\d.]+% to [\d.]+% after v42", proc.stdout
    )
    assert (work / "audit.jsonl").is_file() and (work / "trustops.yaml").is_file()
    assert "TRUSTOPS_CONTROL_TOKEN" in (work / "trustops.yaml").read_text()


def test_demo_refuses_a_foreign_non_empty_workdir(tmp_path):
    (tmp_path / "precious.txt").write_text("do not delete")
    proc = demo("--headless", "--duration", "0", "--workdir", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not a trustops demo directory" in proc.stderr
    assert (tmp_path / "precious.txt").read_text() == "do not delete"


def test_demo_rejects_unknown_scenario_and_missing_duration(tmp_path):
    bad = demo("--headless", "--duration", "1", "--scenario", "nope", "--workdir", str(tmp_path / "w"))
    assert bad.returncode == 2 and "unknown scenario 'nope'" in bad.stderr and "Traceback" not in bad.stderr
    nodur = demo("--headless", "--workdir", str(tmp_path / "w2"))
    assert nodur.returncode == 2 and "--duration" in nodur.stderr
