"""`python -m bench.pacing`, the diagnostic that says which ingest stage sets the pace: it runs,
loads each stage in turn (a renamed stage function would make it measure nothing), and reports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pacing_loads_each_stage_and_reports_every_thread():
    out = subprocess.run(
        [sys.executable, "-m", "bench.pacing", "--events", "20000", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert re.search(r"ingest of 20,000 events, detectors on, median of 1: \d+\.\d+ s", out)
    added = dict(re.findall(r"^  (\w+) +([-+]\d+\.\d+) s$", out, re.M))
    assert set(added) == {"reader", "detectors", "findings", "writer"}
    assert re.search(
        r"^the detectors' scan skipped \(nothing found, nothing stored\): [-+]\d+\.\d+ s$", out, re.M
    )
    threads = re.findall(r"^  (\w+) +(\d+\.\d+) s / ", out, re.M)
    assert {name for name, _ in threads} == {"reader", "detectors", "findings", "writer"}
    # The stages with real work on 20,000 events show it; the findings thread's few milliseconds
    # (two chunks' findings) may print as 0.00 s.
    assert all(float(cpu) > 0 for name, cpu in threads if name != "findings")


def test_each_stage_it_loads_exists():
    from bench import pacing
    from console.core import ingest, scanning

    originals = {
        (ingest.Ingestor, "_parse_chunk"),
        (scanning, "_scan"),
        (ingest.Ingestor, "_finish"),
        (ingest.Ingestor, "_write"),
        (scanning.ConversationScanner, "scan_chunk"),
    }
    saved = {(owner, name): getattr(owner, name) for owner, name in originals}
    try:
        for stage in (*pacing.STAGES[1:], pacing.NO_SCAN):
            pacing._load(stage)
        assert all(getattr(owner, name) is not fn for (owner, name), fn in saved.items())
    finally:
        for (owner, name), fn in saved.items():
            setattr(owner, name, fn)
