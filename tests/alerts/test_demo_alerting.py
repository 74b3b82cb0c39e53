"""The demo's Alertmanager config stays on this machine, and its sink prints each alert once per status."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.request

import pytest
import yaml

from mlmon.demo.alerting import DEMO_TIMINGS, Sink, local_config
from tests.alerts.delivery import require_alertmanager
from tests.support.processes import IN_CI, ROOT, require_tool


def test_local_config_sends_everything_to_the_sink_and_passes_amtool(tmp_path):
    document = local_config(ROOT / "generated", "http://127.0.0.1:9")
    text = yaml.safe_dump(document)
    assert "mlmon-env.invalid" not in text and "email_configs" not in text
    urls = [
        config.get("url") or config.get("api_url")
        for receiver in document["receivers"]
        for key, configs in receiver.items()
        if key.endswith("_configs")
        for config in configs
    ]
    assert urls and all(url.startswith("http://127.0.0.1:9/") for url in urls)
    assert document["route"]["group_wait"] == DEMO_TIMINGS["group_wait"]
    amtool = shutil.which("amtool")
    if amtool is None:
        if IN_CI:
            pytest.fail("amtool is not installed (apt-get install prometheus-alertmanager)")
        pytest.skip("amtool is not installed (Debian: apt-get install prometheus-alertmanager)")
    (tmp_path / "alertmanager.yml").write_text(text)
    shutil.copytree(ROOT / "generated/alerts/alertmanager/templates", tmp_path / "templates")
    result = subprocess.run(
        [amtool, "check-config", str(tmp_path / "alertmanager.yml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _post(url: str, payload: dict) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=5).read()


def test_sink_prints_each_alert_once_per_status():
    lines: list[str] = []
    sink = Sink(lines.append)
    try:
        alert = {
            "status": "firing",
            "fingerprint": "abc",
            "labels": {"alertname": "DataDriftDetected", "model_name": "m", "feature": "f"},
            "annotations": {"summary": "Data drift in feature f of m"},
        }
        payload = {"receiver": "ml-team", "status": "firing", "alerts": [alert]}
        _post(f"{sink.url}/MLMON_ML_WEBHOOK_URL", payload)
        _post(f"{sink.url}/MLMON_ML_WEBHOOK_URL", payload)  # the group re-sent: not printed again
        _post(f"{sink.url}/MLMON_ML_SLACK_WEBHOOK_URL", {"attachments": [{"title": "x"}]})
        resolved = {**alert, "status": "resolved"}
        _post(f"{sink.url}/MLMON_ML_WEBHOOK_URL", {**payload, "alerts": [resolved]})
    finally:
        sink.close()
    assert lines == [
        "alert: [FIRING] DataDriftDetected model_name=m feature=f -> ml-team (webhook): "
        "Data drift in feature f of m",
        "alert: [RESOLVED] DataDriftDetected model_name=m feature=f -> ml-team (webhook): "
        "Data drift in feature f of m",
    ]


@pytest.mark.slow
@pytest.mark.prometheus
def test_demo_prints_notifications_arriving_and_stops_alertmanager(tmp_path):
    """`mlmon demo` as a user runs it: Alertmanager starts, a notification reaches the sink, all stops."""
    require_tool("prometheus")
    require_alertmanager()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlmon",
            "demo",
            "--no-build",
            "--duration",
            "60",
            "--report-every",
            "30",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    out = result.stdout
    assert "starting Alertmanager" in out
    # The demo's 2% malformed requests fire SchemaViolations within seconds; its route is ml-team.
    assert re.search(r"^alert: \[FIRING\] SchemaViolations .*-> ml-team \(webhook\)", out, re.M), (
        out
    )
    lines = [line for line in out.splitlines() if line.startswith("alert: ")]
    assert len(lines) == len(set(lines))  # each alert printed once per status
    log = (tmp_path / "state" / "logs" / "alertmanager.log").read_text()
    assert "error" not in log.lower(), log
