"""`python -m exporter` as a real process: serves /metrics, waits for the log, follows new rows, stops cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys

import numpy as np

from tests.exporter.conftest import samples
from tests.exporter.logdata import REGRESSION, add_predictions, feature_rows, write_log
from tests.support.processes import (
    ROOT,
    free_port,
    http_get,
    python_process,
    wait_http_ok,
    wait_until,
)


def _metric(url: str, name: str, **labels: str) -> float | None:
    status, body = http_get(url)
    assert status == 200
    return samples(body.decode()).get((name, frozenset(labels.items())))


def test_serves_metrics_waits_for_the_log_and_follows_new_rows(tmp_path):
    path = tmp_path / "data" / "log.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    env = {
        "METRICS_DB_PATH": str(path),
        "PROMETHEUS_PORT": str(port),
        "EXPORTER_BIND_ADDRESS": "127.0.0.1",
        "EXPORT_INTERVAL": "0.2",
    }
    with python_process(["-m", "exporter"], tmp_path / "exporter.log", env=env) as proc:
        wait_http_ok(url, timeout=30, proc=proc)
        wait_until(
            lambda: (_metric(url, "exporter_errors_total", stage="open_db") or 0) >= 1,
            30,
            what="the missing log to be reported",
        )
        path.parent.mkdir()
        store = write_log(path, current_rows=40)
        wait_until(
            lambda: _metric(url, "daily_predictions_total", model_name=REGRESSION) == 40,
            30,
            what="the first rows to be counted",
        )
        add_predictions(
            store,
            feature_rows(10, np.random.default_rng(3)),
            np.random.default_rng(4),
            start_ts=9_000.0,
            prefix="more",
        )
        store.close()
        wait_until(
            lambda: _metric(url, "daily_predictions_total", model_name=REGRESSION) == 50,
            30,
            what="new rows to be counted",
        )
        assert http_get(f"http://127.0.0.1:{port}/nope")[0] == 404
        assert proc.stop() == 0  # SIGTERM: a clean exit
    assert "does not exist yet" in (tmp_path / "exporter.log").read_text()


def test_bad_configuration_is_refused_with_the_variable_named(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "--once"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"EXPORT_INTERVAL": "soon", "PATH": ""},
        timeout=60,
    )
    assert result.returncode == 2
    assert "EXPORT_INTERVAL='soon'" in result.stderr


def test_help_lists_every_setting_with_its_environment_variable():
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0
    for variable in (
        "METRICS_DB_PATH",
        "PROMETHEUS_PORT",
        "EXPORT_INTERVAL",
        "EXPORTER_WINDOW_ROWS",
        "EXPORTER_DRIFT_CORRECTION",
        "EXPORTER_FEATURE_SCHEMA",
        "--once",
    ):
        assert variable in result.stdout


def test_a_busy_port_is_reported_with_what_to_do(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "exporter",
                "--db",
                str(tmp_path / "log.db"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert result.returncode == 2
    assert (
        f"cannot listen on 127.0.0.1:{port}" in result.stderr and "PROMETHEUS_PORT" in result.stderr
    )
