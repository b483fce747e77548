"""The live fleet: the simulation paced to the wall clock behind one real HTTP server.

Simulated time is ``start + elapsed * speed`` (plus whatever ``advance`` added), so at speed 60
an hour of traffic passes in a minute, and at speed 0 time moves only through ``advance``, which
is how tests drive it fast and deterministically. One lock serialises the traffic thread, the
control plane and the model endpoint; each of them first brings the simulation up to the present,
so the audit log stays in time order and a control change affects exactly what comes after it.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from connectors.fleet.audit import AuditLog
from connectors.fleet.config import TOKEN_ENV, fleet_config, write_config
from connectors.fleet.control import ControlPlane
from connectors.fleet.http import FleetHTTPServer, Router
from connectors.fleet.metrics import FleetMetrics
from connectors.fleet.model_api import ModelAPI
from connectors.fleet.scenarios import UnknownScenario
from connectors.fleet.simulation import ARRIVALS_PER_S, Simulation
from console.core.errors import UserError

_TICK_S = 0.1


class FleetError(UserError):
    """A problem the user can fix (bad scenario, port in use, unwritable path): one line, no traceback."""


class Fleet:
    def __init__(
        self,
        scenario: str = "calm",
        seed: int = 1,
        speed: float = 1.0,
        audit_log: str | Path = "./fleet-audit.jsonl",
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        *,
        start: datetime | None = None,
        arrivals_per_s: float = ARRIVALS_PER_S,
    ) -> None:
        if not speed >= 0:  # also refuses NaN
            raise FleetError(f"speed must be 0 or more, got {speed}")
        if not 0 <= port <= 65535:
            raise FleetError(f"port must be between 0 and 65535, got {port}")
        self.scenario, self.seed, self.speed = scenario, seed, speed
        self.host, self._port = host, port
        self.audit_log = Path(audit_log).resolve()
        from_env = os.environ.get(TOKEN_ENV)
        self.token_generated = not (token or from_env)
        self.token = token or from_env or secrets.token_urlsafe(24)
        self._lock = threading.RLock()
        try:
            self.simulation = Simulation(
                scenario,
                seed,
                start or datetime.now(UTC),
                arrivals_per_s=arrivals_per_s,
                on_signal=self._on_signal,
            )
        except UnknownScenario as problem:
            raise FleetError(str(problem)) from None
        self.metrics = FleetMetrics(self.simulation.platform, self._lock)
        self._audit: AuditLog | None = None
        self._server: FleetHTTPServer | None = None
        self._traffic: threading.Thread | None = None
        self._stopping = threading.Event()
        self._t0 = time.monotonic()
        self._advanced_ms = 0.0
        self._written_before_stop = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open the audit log, listen, and start the traffic; returns at once."""
        try:
            self._audit = AuditLog(self.audit_log)
        except OSError as problem:
            raise FleetError(
                f"cannot write audit log {self.audit_log}: {problem.strerror or problem}"
            ) from None
        router = Router(ModelAPI(self), ControlPlane(self.token, self), self.metrics)
        try:
            self._server = FleetHTTPServer((self.host, self._port), router)
        except (OSError, OverflowError) as problem:
            self._audit.close()
            reason = getattr(problem, "strerror", None) or str(problem)
            raise FleetError(f"cannot listen on {self.host}:{self._port}: {reason}") from None
        self._server.start()
        self._t0 = time.monotonic()
        if self.speed > 0:
            self._traffic = threading.Thread(target=self._run_traffic, name="fleet-traffic", daemon=True)
            self._traffic.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._traffic is not None:
            self._traffic.join()
            self._traffic = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._audit is not None:
            with self._lock:
                self._audit.close()
            self._written_before_stop = self._audit.written
            self._audit = None

    def __enter__(self) -> Fleet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ where to reach it

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fleet is not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def model_url(self, deployment: str) -> str:
        """The OpenAI-compatible base URL of one deployment (ends in /v1)."""
        return f"{self.base_url}/deployments/{deployment}/v1"

    @property
    def deployments(self) -> list[str]:
        with self._lock:
            return list(self.simulation.platform.deployments)

    @property
    def events_written(self) -> int:
        return self._audit.written if self._audit else self._written_before_stop

    def write_config(
        self, path: str | Path, store_url: str | None = None, prometheus_url: str | None = None
    ) -> Path:
        """Write a trustops config pointing at this fleet (never the token); raises FleetError."""
        config = fleet_config(self.base_url, self.audit_log, self.deployments, store_url, prometheus_url)
        try:
            return write_config(path, config)
        except OSError as problem:
            raise FleetError(f"cannot write config {path}: {problem.strerror or problem}") from None

    # ------------------------------------------------------------ time

    def sim_now_ms(self) -> float:
        elapsed_ms = (time.monotonic() - self._t0) * 1000 * self.speed
        return self.simulation.start_ms + elapsed_ms + self._advanced_ms

    def advance(self, seconds: float) -> int:
        """Move simulated time forward now, in the caller's thread; returns the events written."""
        with self._lock:
            before = self.events_written
            self._advanced_ms += seconds * 1000
            self._catch_up()
            return self.events_written - before

    @contextmanager
    def now(self) -> Iterator[Simulation]:
        """The simulation, locked and brought up to the present (the control plane's Runtime)."""
        with self._lock:
            self._catch_up()
            yield self.simulation

    def emit(self, event: dict) -> None:
        if self._audit is None:
            raise RuntimeError("the fleet is not started")
        self._audit.write(event)
        self.metrics.observe(event)

    def _catch_up(self) -> None:
        for event in self.simulation.run_until(self.sim_now_ms()):
            self.emit(event)

    def _run_traffic(self) -> None:
        while not self._stopping.wait(_TICK_S):
            with self._lock:
                self._catch_up()

    def _on_signal(self, name: str, deployment: str, version: str, label: str) -> None:
        self.metrics.signal(name, deployment, version, label)
