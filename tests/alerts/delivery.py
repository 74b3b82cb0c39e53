"""A real Alertmanager (Debian's ``prometheus-alertmanager``) and a webhook sink, on 127.0.0.1, for delivery tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlmon.alerts.alertmanager import with_timings
from mlmon.alerts.compiler import ALERTMANAGER_DIR
from tests.support.processes import IN_CI, ROOT, Process, free_port, wait_http_ok

ALERTMANAGER_BINARY = "prometheus-alertmanager"  # Debian's name; upstream calls it "alertmanager"


def require_alertmanager() -> str:
    """The Alertmanager binary; skip locally, fail under CI=true when it is missing."""
    for name in (ALERTMANAGER_BINARY, "alertmanager"):
        path = shutil.which(name)
        if path:
            return path
    reason = "Alertmanager is not installed (Debian: apt-get install prometheus-alertmanager)"
    if IN_CI:
        pytest.fail(f"{reason}; CI must install it (.ci/run)", pytrace=False)
    pytest.skip(reason)


class WebhookSink:
    """Records every POST it receives, by request path, as parsed JSON."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = body.decode(errors="replace")
                with sink._lock:
                    sink.received.append((self.path, payload))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def at(self, path: str) -> list[Any]:
        with self._lock:
            return [payload for got, payload in self.received if got == path]

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def resolved_config(generated: Path, workdir: Path, env: dict[str, str], **timings: str) -> Path:
    """The generated alertmanager.yml with shorter timings, its env references resolved the way a
    deployment does it (``python -m mlmon.alerts.envrefs``), and its templates beside it."""
    source_dir = generated / ALERTMANAGER_DIR
    workdir.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_load((source_dir / "alertmanager.yml").read_text())
    shortened = workdir / "alertmanager.unresolved.yml"
    shortened.write_text(yaml.safe_dump(with_timings(document, **timings), sort_keys=False))
    shutil.copytree(source_dir / "templates", workdir / "templates", dirs_exist_ok=True)
    target = workdir / "alertmanager.yml"
    subprocess.run(
        [sys.executable, "-m", "mlmon.alerts.envrefs", str(shortened), str(target)],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    return target


class Alertmanager(Process):
    def __init__(self, config: Path, workdir: Path):
        binary = require_alertmanager()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",  # no gossip port on 0.0.0.0
                "--log.level=info",
            ],
            workdir / "alertmanager.log",
        )
        try:
            wait_http_ok(f"{self.url}/-/ready", timeout=60, proc=self)
        except BaseException:
            self.stop()
            raise
