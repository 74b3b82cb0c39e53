"""The HTTP endpoint: ``/metrics`` in the Prometheus text (or OpenMetrics) format, from a registry.

A scrape only renders the latest snapshot; all computing happens in the export
cycle, so a slow cycle never makes a scrape slow.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

log = logging.getLogger("exporter.server")

INDEX = b"mlmon exporter: metrics at /metrics\n"


class MetricsServer:
    """Serves ``registry`` on ``http://address:port/metrics`` from a background thread."""

    def __init__(self, registry: CollectorRegistry, address: str, port: int):
        handler = type("Handler", (_Handler,), {"registry": registry})
        self.httpd = ThreadingHTTPServer((address, port), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="metrics-http", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    registry: CollectorRegistry
    server_version = "mlmon-exporter"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            try:
                body = encoder(self.registry)
            except Exception:
                log.exception("rendering /metrics failed")
                self._reply(
                    500,
                    b"rendering metrics failed; see the exporter's log\n",
                    "text/plain; charset=utf-8",
                )
                return
            self._reply(200, body, content_type)
        elif path == "/":
            self._reply(200, INDEX, "text/plain; charset=utf-8")
        else:
            self._reply(
                404, b"not found: the exporter serves /metrics\n", "text/plain; charset=utf-8"
            )

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)
