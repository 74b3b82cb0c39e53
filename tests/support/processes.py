"""Real processes on 127.0.0.1 for end-to-end tests.

Everything here binds to 127.0.0.1 only, waits with bounded timeouts and
cleans up after itself (processes are terminated, then killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlmon.demo.services import Service, pick_port

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# Debian packages that provide the tools the tests start.
_PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "chromium": "chromium",
    "amtool": "prometheus-alertmanager",
}


def require_tool(name: str) -> str:
    """Return the path of executable ``name``; skip the test when it is missing, fail under CI=true."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name!r} is not installed (Debian: apt-get install {_PACKAGES.get(name, name)})"
    if IN_CI:
        pytest.fail(f"{reason}; CI must install it (.ci/run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    return pick_port(0)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_until(
    predicate: Callable[[], Any], timeout: float, interval: float = 0.2, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns a truthy value; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:
            last_exc = exc
        else:
            if value:
                return value
        time.sleep(interval)
    raise TimeoutError(
        f"timed out after {timeout:.0f}s waiting for {what}"
        + (f" (last error: {last_exc})" if last_exc else "")
    )


def wait_http_ok(url: str, timeout: float = 30.0, proc: Service | None = None) -> None:
    def ready() -> bool:
        if proc is not None:
            proc.check_alive()
        return http_get(url, timeout=2.0)[0] == 200

    wait_until(ready, timeout, what=f"{url} to answer 200")


class Process(Service):
    """The package's :class:`~mlmon.demo.services.Service`, started at once (run from the project root)."""

    def __init__(
        self,
        args: list[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ):
        super().__init__(Path(args[0]).name, args, log_path, env=env or {}, cwd=cwd or ROOT)
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        return super().log_tail(lines)


def python_process(
    module_args: list[str], log_path: Path, env: dict[str, str] | None = None
) -> Process:
    """Run ``python -m ...`` with the interpreter running the tests."""
    return Process([sys.executable, *module_args], log_path, env=env)


@contextlib.contextmanager
def running_exporter(db: Path, workdir: Path, interval: str = "1"):
    """``python -m exporter`` on ``db``, serving /metrics on a free 127.0.0.1 port; yields (process, port)."""
    port = free_port()
    env = {
        "METRICS_DB_PATH": str(db),
        "PROMETHEUS_PORT": str(port),
        "EXPORTER_BIND_ADDRESS": "127.0.0.1",
        "EXPORT_INTERVAL": interval,
    }
    with python_process(["-m", "exporter"], workdir / "exporter.log", env=env) as exporter:
        wait_http_ok(f"http://127.0.0.1:{port}/metrics", timeout=60, proc=exporter)
        yield exporter, port


class Prometheus(Process):
    """A real Prometheus (Debian's package) on a free 127.0.0.1 port with the given config."""

    def __init__(self, config: dict | str, workdir: Path, rule_files: list[Path] | None = None):
        binary = require_tool("prometheus")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config_path = workdir / "prometheus.yml"
        text = config if isinstance(config, str) else json.dumps(config)  # JSON is valid YAML
        config_path.write_text(text)
        super().__init__(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            workdir / "prometheus.log",
        )
        try:
            wait_http_ok(f"{self.url}/-/ready", timeout=60, proc=self)
        except BaseException:
            self.stop()
            raise

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        status, body = http_get(f"{self.url}/api/v1/{path}?{query}")
        payload = json.loads(body)
        if status != 200 or payload.get("status") != "success":
            raise RuntimeError(f"Prometheus {path} {params} -> {status}: {payload}")
        return payload["data"]

    def query(self, expr: str) -> list[dict]:
        """Instant query; returns the result vector."""
        return self.api("query", query=expr)["result"]

    def wait_for_targets_up(self, count: int, timeout: float = 60.0) -> None:
        def all_up() -> bool:
            active = self.api("targets")["activeTargets"]
            return len(active) >= count and all(t["health"] == "up" for t in active)

        wait_until(all_up, timeout, what=f"{count} Prometheus targets to be up")


def scrape_config(jobs: dict[str, str], interval: str = "1s") -> dict:
    """A minimal Prometheus config scraping ``{job_name: "127.0.0.1:port"}``."""
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in sorted(jobs.items())
        ],
    }
