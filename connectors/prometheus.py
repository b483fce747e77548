"""PromQL over HTTP: instant and range queries, per-KPI polling, failures as a visible state.

Every call is a plain blocking function that never raises for a remote problem: it returns a
``PromResult`` whose ``state`` says what happened, with the reason in words:

- ``ok``: the query ran and returned samples;
- ``stale``: it ran, but there is nothing current (no series matched, or the newest sample of a
  range is older than ``stale_after``): a target that stopped being scraped looks like this;
- ``unreachable``: no usable answer from the server (refused, timed out, not a Prometheus API,
  server-side timeout or overload), after bounded retries with exponential backoff;
- ``bad_query``: the server refused the expression (``bad_data``, ``execution``); never retried.

Response checks follow the Prometheus HTTP API: ``status`` ``success``/``error``, ``errorType``,
``error``, ``warnings``, and ``data.resultType`` ``vector``/``matrix``/``scalar``/``string``.
``PromPoller`` runs the configured KPI queries on a daemon thread and keeps the latest state for
a UI to read at any time (or pushes it to a callback); a failed poll keeps the last good series,
so a pane can keep its plot and say how old it is.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import httpx

from console.core.config import Config

OK, STALE, UNREACHABLE, BAD_QUERY = "ok", "stale", "unreachable", "bad_query"
_SEVERITY = {OK: 0, STALE: 1, BAD_QUERY: 2, UNREACHABLE: 3}
_RETRY_STATUS = {502, 503, 504}
_MAX_BACKOFF_S = 2.0
_REASON_CHARS = 300

# PromQL for the demo fleet's metrics (connectors/fleet/README.md), per KPI, by deployment.
FLEET_QUERIES: dict[str, str] = {
    "conversations": "sum by (deployment) (increase(fleet_conversations_total[5m]))",
    "complaint_rate": "sum by (deployment) (rate(fleet_complaints_total[5m])) "
    "/ sum by (deployment) (rate(fleet_conversations_total[5m]))",
    "escalation_rate": "sum by (deployment) (rate(fleet_escalations_total[5m])) "
    "/ sum by (deployment) (rate(fleet_conversations_total[5m]))",
    "error_rate": "sum by (deployment) (rate(fleet_model_errors_total[5m])) "
    "/ sum by (deployment) (rate(fleet_model_calls_total[5m]))",
    "latency_p95_ms": "1000 * histogram_quantile(0.95, "
    "sum by (deployment, le) (rate(fleet_model_call_latency_seconds_bucket[5m])))",
}


@dataclass(frozen=True, slots=True)
class Series:
    """One labelled series: ``points`` are (unix seconds, value); an instant result has one."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]

    @property
    def last(self) -> float | None:
        return self.points[-1][1] if self.points else None

    @property
    def name(self) -> str:
        """The labels as PromQL writes them, e.g. ``{deployment="support-assistant"}``."""
        metric = self.labels.get("__name__", "")
        rest = ", ".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()) if k != "__name__")
        return f"{metric}{{{rest}}}" if rest or not metric else metric


@dataclass(frozen=True, slots=True)
class PromResult:
    query: str
    state: str
    reason: str = ""
    result_type: str | None = None
    series: tuple[Series, ...] = ()
    scalar: float | str | None = None  # for scalar and string results
    warnings: tuple[str, ...] = ()
    checked_at: float = 0.0  # when this answer (or failure) came, unix seconds
    data_at: float | None = None  # when ``series`` was fetched (older than checked_at after a failure)
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.state == OK

    def by_label(self, label: str) -> dict[str, Series]:
        return {s.labels.get(label, ""): s for s in self.series}


class PromClient:
    """A Prometheus HTTP API client: bounded time per call, bounded retries, no exceptions.

    ``sleep`` waits between retries; the poller passes its stop event's ``wait`` so that stopping
    never waits out a backoff.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.25,
        stale_after: float = 300.0,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.stale_after = stale_after
        self.sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", "User-Agent": "trustops"},
            follow_redirects=False,
            trust_env=False,  # only the configured URL is contacted, never a proxy from the env
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PromClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the two queries -------------------------------------------------------------------------
    def query(self, promql: str, at: float | None = None) -> PromResult:
        """An instant query (``/api/v1/query``), at ``at`` (unix seconds) or the server's now."""
        form = {"query": promql}
        if at is not None:
            form["time"] = _num(at)
        return self._call("/api/v1/query", promql, form, None)

    def query_range(self, promql: str, start: float, end: float, step: float) -> PromResult:
        """A range query (``/api/v1/query_range``) from ``start`` to ``end`` every ``step`` seconds."""
        if step <= 0 or end < start:
            return PromResult(
                promql, BAD_QUERY, "range: need start ≤ end and a positive step", checked_at=time.time()
            )
        form = {"query": promql, "start": _num(start), "end": _num(end), "step": _num(step)}
        return self._call("/api/v1/query_range", promql, form, end)

    def ready(self) -> bool:
        """True when the server answers ``/-/ready`` with 200."""
        try:
            return self._http.get("/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    # -- one call, with retries ------------------------------------------------------------------
    def _call(self, path: str, promql: str, form: dict[str, str], end: float | None) -> PromResult:
        if not promql.strip():
            return PromResult(promql, BAD_QUERY, "empty query", checked_at=time.time())
        attempt = 0
        while True:
            attempt += 1
            result, retry = self._once(path, promql, form, end)
            result = replace(result, attempts=attempt)
            if not retry or attempt > self.retries:
                return result
            self.sleep(min(self.backoff * 2 ** (attempt - 1), _MAX_BACKOFF_S))

    def _once(
        self, path: str, promql: str, form: dict[str, str], end: float | None
    ) -> tuple[PromResult, bool]:
        """One request → (result, worth retrying)."""
        now = time.time()
        url = f"{self.base_url}{path}"
        try:
            resp = self._http.post(path, data=form)
        except httpx.TimeoutException:
            return PromResult(
                promql, UNREACHABLE, f"no answer from {url} within {self.timeout:g} s", checked_at=now
            ), True
        except httpx.HTTPError as exc:
            return PromResult(promql, UNREACHABLE, f"cannot reach {url}: {_why(exc)}", checked_at=now), True
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("status") not in ("success", "error"):
            kind = resp.headers.get("content-type", "?").split(";")[0]
            retry = resp.status_code in _RETRY_STATUS
            return PromResult(
                promql, UNREACHABLE, f"not a Prometheus API answer from {url} (HTTP {resp.status_code}, {kind})",
                checked_at=now,
            ), retry  # fmt: skip
        warnings = tuple(str(w) for w in body.get("warnings") or ())
        if body["status"] == "error":
            etype = str(body.get("errorType") or "error")
            error = _clip(str(body.get("error") or "no reason given"))
            if etype in ("bad_data", "execution") or resp.status_code in (400, 422):
                return PromResult(
                    promql, BAD_QUERY, f"{etype}: {error}", warnings=warnings, checked_at=now
                ), False
            return PromResult(
                promql, UNREACHABLE, f"server error ({etype}, HTTP {resp.status_code}): {error}", warnings=warnings,
                checked_at=now,
            ), etype in ("timeout", "unavailable", "internal") or resp.status_code in _RETRY_STATUS  # fmt: skip
        return self._success(promql, body.get("data"), warnings, now, end), False

    def _success(
        self, promql: str, data: object, warnings: tuple[str, ...], now: float, end: float | None
    ) -> PromResult:
        if not isinstance(data, dict) or "resultType" not in data:
            return PromResult(
                promql, UNREACHABLE, "answer without data.resultType", warnings=warnings, checked_at=now
            )
        rtype = str(data["resultType"])
        result = data.get("result")
        base = PromResult(promql, OK, "", rtype, warnings=warnings, checked_at=now, data_at=now)
        try:
            if rtype in ("scalar", "string"):
                ts, value = result  # type: ignore[misc]
                v: float | str = _float(value) if rtype == "scalar" else str(value)
                return replace(
                    base,
                    scalar=v,
                    series=(Series({}, ((float(ts), _float(value)),)),) if rtype == "scalar" else (),
                )
            if rtype == "vector":
                series = tuple(
                    Series(
                        dict(item.get("metric") or {}), ((float(item["value"][0]), _float(item["value"][1])),)
                    )
                    for item in result or ()
                    if "value" in item
                )
            elif rtype == "matrix":
                series = tuple(
                    Series(
                        dict(item.get("metric") or {}),
                        tuple((float(t), _float(v)) for t, v in item.get("values") or ()),
                    )
                    for item in result or ()
                )
            else:
                return replace(base, state=UNREACHABLE, reason=f"unknown resultType {rtype!r}")
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            return replace(base, state=UNREACHABLE, reason=f"malformed {rtype} result: {_why(exc)}")
        return replace(base, series=series, **_freshness(series, end, self.stale_after))


def _freshness(series: tuple[Series, ...], end: float | None, stale_after: float) -> dict:
    if not any(s.points for s in series):
        return {
            "state": STALE,
            "reason": "no data: the query matched no series (target down or metric absent)",
        }
    if end is not None:
        newest = max(s.points[-1][0] for s in series if s.points)
        age = end - newest
        if age > stale_after:
            return {"state": STALE, "reason": f"newest sample is {age:,.0f} s old"}
    return {}


def _float(v: object) -> float:
    """Prometheus sends sample values as strings, including "NaN", "+Inf" and "-Inf"."""
    return float(v)  # type: ignore[arg-type]


def _num(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".") if math.isfinite(x) else str(x)


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return _clip(text.splitlines()[0])


def _clip(text: str) -> str:
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


# -- polling ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PollerState:
    """The latest result per query name, and the worst state among them."""

    results: Mapping[str, PromResult] = field(default_factory=dict)
    polled_at: float | None = None
    polls: int = 0

    @property
    def state(self) -> str:
        if not self.results:
            return STALE
        return max((r.state for r in self.results.values()), key=lambda s: _SEVERITY[s])

    def reasons(self) -> dict[str, str]:
        return {name: r.reason for name, r in self.results.items() if r.state != OK}


class PromPoller:
    """Runs named PromQL queries every ``interval`` seconds on a daemon thread.

    With ``range_s`` each poll is a range query over the last ``range_s`` seconds (``step_s``,
    default range/120, at least 1 s), which is what a plot wants; with ``range_s=None`` an
    instant query. Read ``state`` from any thread, or pass ``on_update`` (called on the poller's
    thread after each poll; post it to the UI from there).
    """

    def __init__(
        self,
        client: PromClient,
        queries: Mapping[str, str],
        *,
        interval: float = 5.0,
        range_s: float | None = 3600.0,
        step_s: float | None = None,
        on_update: Callable[[PollerState], object] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.queries = dict(queries)
        self.interval = interval
        self.range_s = range_s
        self.step_s = step_s or (max(1.0, range_s / 120) if range_s else None)
        self.on_update = on_update
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = PollerState()
        self._thread: threading.Thread | None = None
        client.sleep = self._stop.wait  # retries' backoff ends the moment we stop

    @classmethod
    def from_config(cls, cfg: Config, **kwargs) -> PromPoller | None:
        """A poller for the configured ``prometheus.url`` and ``prometheus.queries``; None when unset."""
        if not cfg.prometheus_url or not cfg.prometheus_queries:
            return None
        return cls(PromClient(cfg.prometheus_url), cfg.prometheus_queries, **kwargs)

    @property
    def state(self) -> PollerState:
        with self._lock:
            return self._state

    def poll_once(self) -> PollerState:
        now = self._clock()
        previous = self.state.results
        results = {}
        for name, promql in self.queries.items():
            if self._stop.is_set():
                break
            if self.range_s:
                r = self.client.query_range(promql, now - self.range_s, now, self.step_s or 1.0)
            else:
                r = self.client.query(promql)
            old = previous.get(name)
            if r.state == UNREACHABLE and old is not None and old.series:
                r = replace(r, series=old.series, data_at=old.data_at, result_type=old.result_type)
            results[name] = r
        with self._lock:
            self._state = PollerState(results, now, self._state.polls + 1)
            state = self._state
        if self.on_update is not None:
            self.on_update(state)
        return state

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="prometheus-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.interval)
