"""A real Prometheus server (Debian package ``prometheus``) scraping a real demo fleet, for the
connector tests. Skips loudly when the binary is missing or will not start."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.fleet import Fleet
from tests.conftest import free_port

PROMETHEUS = "/usr/bin/prometheus"
START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


class PrometheusServer:
    """``prometheus`` on a free loopback port, scraping ``targets`` every second, data in a temp dir."""

    def __init__(self, targets: list[str]) -> None:
        binary = PROMETHEUS if Path(PROMETHEUS).exists() else shutil.which("prometheus")
        if binary is None:
            raise RuntimeError(
                "prometheus binary not found: run ./scripts/system-deps.sh (apt-get install prometheus)"
            )
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="trustops-prom-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (self.dir / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: fleet\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
            f"    static_configs:\n      - targets: [{', '.join(repr(t) for t in targets)}]\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.dir / "log", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"prometheus not ready after {timeout:g} s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return (self.dir / "log").read_text(errors="replace")[-500:].strip()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def fleet_prometheus(tmp_path_factory):
    """(fleet, prometheus): a bad-update fleet with 10 simulated minutes of traffic, being scraped."""
    fleet = Fleet("bad-update", 1, speed=0, audit_log=tmp_path_factory.mktemp("prom") / "audit.jsonl",
                  token="kpi-test-token", start=START)  # fmt: skip
    fleet.start()
    fleet.advance(600)
    server = PrometheusServer([f"127.0.0.1:{fleet.port}"])
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        server.stop()
        fleet.stop()
        msg = f"REAL PROMETHEUS UNAVAILABLE, Prometheus connector tests SKIPPED: {exc}"
        print("\n" + "!" * 20 + " " + msg, file=sys.stderr)
        pytest.skip(msg)
    yield fleet, server
    server.stop()
    fleet.stop()
