"""The live fleet paced to the wall clock: traffic flows, lines are whole, stop is clean."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from connectors.fleet import Fleet


def test_traffic_follows_the_wall_clock_and_lines_are_always_whole(make_fleet) -> None:
    fleet: Fleet = make_fleet(speed=120)
    deadline = time.monotonic() + 1.5
    reads = 0
    while time.monotonic() < deadline:
        data = fleet.audit_log.read_bytes()
        if data:
            # Each line is one write: whatever a follower sees complete is a whole event. (A read
            # racing a write may end inside it; the reader holds such a tail back.)
            for line in data.split(b"\n")[:-1]:
                orjson.loads(line)
            reads += 1
        time.sleep(0.01)
    assert reads > 10
    events = [orjson.loads(line) for line in fleet.audit_log.read_bytes().splitlines()]
    simulated_s = (time.monotonic() - deadline + 1.5) * 120
    started = sum(e["type"] == "conversation.start" for e in events)
    assert 0.3 * 3 * simulated_s < started < 2 * 3 * simulated_s  # about 3 conversations per simulated second
    first, last = events[0]["ts"], events[-1]["ts"]
    assert first < last
    assert httpx.get(fleet.base_url + "/healthz").json()["service"].startswith("trustops fleet")


def test_stop_releases_the_port(tmp_path) -> None:
    fleet = Fleet(speed=10, audit_log=tmp_path / "a.jsonl", token="t")
    fleet.start()
    port = fleet.port
    fleet.stop()
    again = Fleet(speed=10, audit_log=tmp_path / "a.jsonl", token="t", port=port)
    again.start()  # the port is free again
    again.stop()


def test_the_fleet_never_imports_textual() -> None:
    root = Path(__file__).resolve().parents[2]
    code = "import sys, connectors.fleet.command, connectors.fleet; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
