"""`mlmon demo` as a user runs it: real processes, a summary on screen, a clean stop by itself or on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, http_get, require_tool, wait_until

pytestmark = pytest.mark.slow


def demo(tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlmon",
            "demo",
            "--no-build",
            "--state-dir",
            str(tmp_path / "state"),
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def urls(output: str) -> list[str]:
    return re.findall(r"(http://127\.0\.0\.1:\d+)/(?:docs|metrics)", output)


def assert_services_stopped(output: str) -> None:
    for url in urls(output):
        with pytest.raises(OSError):
            http_get(url + "/metrics", timeout=2)


def client_and_api_counts(output: str) -> list[tuple[dict[str, int], dict[str, int], bool]]:
    """Per status block: the clients' answers by status, the API's, and whether requests were in flight."""
    pairs = []
    for client, api in re.findall(
        r"\] \d+ requests \(([^)]*)\).*\n  API /predict answers: ([^;]*);", output
    ):
        clients = dict(re.findall(r"(\d{3}):(\d+)", client))
        served = dict(re.findall(r"(\d{3}): (\d+)", api))
        pairs.append(
            (
                {k: int(v) for k, v in clients.items()},
                {k: int(v) for k, v in served.items()},
                "awaiting an answer" in client,
            )
        )
    return pairs


@pytest.mark.prometheus
def test_demo_with_duration_reports_and_ends_by_itself(tmp_path):
    require_tool("prometheus")
    # A previous run's Prometheus data must not leak into this run (series, pending alerts).
    stale = tmp_path / "state" / "prometheus-data" / "from-an-earlier-run"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    proc = demo(tmp_path, "--duration", "12", "--report-every", "4", "--rate", "30")
    output, _ = proc.communicate(timeout=180)

    assert proc.returncode == 0, output
    assert not stale.exists()
    # The status lines tell one story: what the clients were answered is what the API counted.
    pairs = client_and_api_counts(output)
    assert len(pairs) >= 3, output
    for clients, served, in_flight in pairs:
        assert clients == served or in_flight, output
    assert len(
        re.findall(r"^  alerts (pending or firing: none|firing: |pending: )", output, re.M)
    ) == len(pairs)
    # The dashboards page: printed with the other URLs, drawn at the end, stopped with the demo.
    page = re.search(r"dashboards +(http://127\.0\.0\.1:\d+)/", output).group(1)
    previews = tmp_path / "state" / "preview"
    assert len(list(previews.glob("*.png"))) == 4
    assert "4 redrawn" in output and (previews / "index.html").exists()
    with pytest.raises(OSError):
        http_get(page + "/index.html", timeout=2)
    assert "API docs" in output and "exporter" in output and "/docs" in output
    final = output.split("final state:")[1]
    assert re.search(r"house_price\s+\(regression\) window \d+ rows.*accuracy", final), final
    assert re.search(r"price_band\s+\(classification\) window \d+ rows.*F1", final), final
    assert "drifted:" in final and "stopped." in output
    assert_services_stopped(output)
    # The API stopped cleanly: every prediction the simulated clients received is in the log.
    answered = int(re.search(r"(\d+) predictions", final).group(1))
    with sqlite3.connect(tmp_path / "state" / "metrics.db") as conn:
        assert conn.execute("SELECT count(*) FROM predictions").fetchone()[0] == answered


def test_ctrl_c_stops_everything_cleanly_even_without_prometheus(tmp_path):
    # A PATH holding only the interpreter's directory: no prometheus, no promtool.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    proc = demo(tmp_path, "--report-every", "60", env=env)
    lines: list[str] = []

    def traffic_started() -> bool:
        line = proc.stdout.readline()
        lines.append(line)
        return line.startswith("traffic:") or proc.poll() is not None

    wait_until(traffic_started, 90, interval=0, what="the demo to start its traffic")
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    output = "".join(lines) + rest

    assert proc.returncode == 0, output
    assert (
        "Prometheus: not installed, skipped (Debian/Ubuntu: apt-get install prometheus)" in output
    )
    assert (
        "stopping (signal received)" in output and "final state:" in output and "stopped." in output
    )
    assert_services_stopped(output)
