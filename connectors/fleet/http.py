"""One real HTTP server for the whole fleet: model endpoint, /metrics and the control plane.

Standard library ``ThreadingHTTPServer``: one thread per connection, HTTP/1.1 keep-alive, every
reply with a Content-Length. The handler only moves bytes; what to answer is decided by
``ModelAPI``, ``ControlPlane`` and ``FleetMetrics``, which never see a socket.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connectors.fleet.control import ControlPlane
from connectors.fleet.metrics import CONTENT_TYPE, FleetMetrics
from connectors.fleet.model_api import ModelAPI
from connectors.fleet.replies import Reply, error, json_reply

MAX_BODY = 1 << 20  # 1 MiB


class Router:
    def __init__(self, model_api: ModelAPI, control: ControlPlane, metrics: FleetMetrics) -> None:
        self.model_api, self.control, self.metrics = model_api, control, metrics

    def handle(self, method: str, path: str, headers, body: bytes) -> Reply:
        bare = path.split("?", 1)[0]
        if bare == "/control" or bare.startswith("/control/"):
            return self.control.handle(method, path, headers, body)
        if self.model_api.handles(bare):
            return self.model_api.handle(method, path, headers, body)
        if bare == "/metrics" and method == "GET":
            return Reply(200, self.metrics.exposition(), content_type=CONTENT_TYPE)
        if bare in ("/", "/healthz") and method == "GET":
            return json_reply(200, _INDEX)
        return error(404, f"no such endpoint: {method} {bare}")


_INDEX = {
    "service": "trustops fleet (simulated AI customer-experience platform)",
    "endpoints": [
        "POST /v1/chat/completions",
        "GET /v1/models",
        "POST /deployments/{name}/v1/chat/completions",
        "GET /metrics",
        "GET /control/deployments",
        "POST /control/deployments/{name}/rollback",
        "POST /control/deployments/{name}/memory",
        "POST /control/deployments/{name}/kill",
        "GET /control/agents",
        "POST /control/agents/{agent_id}/revoke",
        "POST /control/agents/{agent_id}/grant",
        "POST /control/memory/purge",
    ],
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "trustops-fleet/1"
    server: FleetHTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(error(413 if length > MAX_BODY else 400, "body: bad Content-Length or over 1 MiB"))
            return
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.router.handle(method, self.path, self.headers, body)
        except Exception as problem:  # a bug must not take the demo down: answer 500 and go on
            print(f"trustops fleet: error on {method} {self.path}: {problem!r}", file=sys.stderr)
            reply = error(500, f"internal error: {type(problem).__name__}")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the audit log is the record
        pass


class FleetHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        self.router = router
        super().__init__(address, _Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="fleet-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()
