"""End to end: an alert leaves Prometheus, goes through Alertmanager's generated routing and reaches a webhook.

Real processes on 127.0.0.1: the model API (faults enabled) and the traffic
simulator with a drift episode and an error burst, the exporter, Prometheus
with the generated rules (``for`` 5s, evaluated every 5s), and Alertmanager
with the generated config, its environment references resolved at start so
that every contact point (webhook, Slack, PagerDuty) posts to this test's own
sink, one path per variable. The routing (receivers, grouping, matchers) is
exactly the generated one; only the group timings are shortened.
"""

from __future__ import annotations

import threading

import pytest

from ml_api.injections import parse_injection
from ml_api.simulate import SimulationConfig, Simulator
from mlmon.alerts.compiler import PROMETHEUS_DIR, compile_alerts
from mlmon.promconfig import render_prometheus_config
from tests.alerts.conftest import ALERTS_SRC, write_tree
from tests.alerts.delivery import Alertmanager, WebhookSink, require_alertmanager, resolved_config
from tests.support.processes import (
    Prometheus,
    free_port,
    python_process,
    require_tool,
    running_exporter,
    wait_http_ok,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.prometheus]

DRIFTED = "living_area_sqft"
PAGERDUTY_KEY = "routing-key-from-the-environment"


def _notifications(sink: WebhookSink, variable: str, alertname: str, status: str) -> list[dict]:
    return [
        payload
        for payload in sink.at(f"/{variable}")
        if isinstance(payload, dict)
        and payload.get("status") == status
        and payload.get("commonLabels", {}).get("alertname") == alertname
    ]


def test_drift_and_api_errors_reach_their_routes_and_drift_resolves(tmp_path, monkeypatch):
    require_tool("prometheus")
    require_alertmanager()
    # A 20 s window: the drifted rows leave it 20 s after the episode ends, and the alert resolves.
    monkeypatch.setenv("EXPORTER_WINDOW_SECONDS", "20")
    generated = write_tree(
        compile_alerts(ALERTS_SRC, for_override="5s", interval_override="10s"), tmp_path / "gen"
    )
    db = tmp_path / "metrics.db"
    api_port = free_port()
    api_env = {"API_PORT": str(api_port), "METRICS_DB_PATH": str(db), "ML_API_FAULTS": "1"}
    with (
        WebhookSink() as sink,
        python_process(["-m", "ml_api"], tmp_path / "api.log", env=api_env) as api,
    ):
        env = {
            name: f"{sink.url}/{name}"
            for name in (
                "MLMON_ML_WEBHOOK_URL",
                "MLMON_ML_SLACK_WEBHOOK_URL",
                "MLMON_PLATFORM_WEBHOOK_URL",
                "MLMON_PLATFORM_TEAMS_WEBHOOK_URL",
                "MLMON_PAGERDUTY_EVENTS_URL",
            )
        }
        env |= {"MLMON_PAGERDUTY_ROUTING_KEY": PAGERDUTY_KEY, "MLMON_SMTP_PASSWORD": "unused"}
        config = resolved_config(
            generated,
            tmp_path / "alertmanager",
            env,
            group_wait="1s",
            group_interval="2s",
            repeat_interval="1h",
        )
        assert "mlmon-env.invalid" not in config.read_text()
        wait_http_ok(f"http://127.0.0.1:{api_port}/health", timeout=60, proc=api)
        stop = threading.Event()
        simulator = Simulator(
            SimulationConfig(
                url=f"http://127.0.0.1:{api_port}",
                rate=40,
                duration=240,  # the bound; the test stops it as soon as it has seen everything
                seed=5,
                feedback_delay=0.5,
                injections=(parse_injection(f"drift:{DRIFTED}"), parse_injection("errors:0.3")),
            ),
            stop=stop,
            log=lambda line: None,
        )
        traffic = threading.Thread(target=simulator.run, daemon=True)
        traffic.start()
        try:
            with (
                Alertmanager(config, tmp_path / "alertmanager") as alertmanager,
                running_exporter(db, tmp_path, interval="1") as (exporter, exporter_port),
            ):
                prometheus_config = render_prometheus_config(
                    api_targets=[f"127.0.0.1:{api_port}"],
                    exporter_targets=[f"127.0.0.1:{exporter_port}"],
                    rule_files=[str(generated / PROMETHEUS_DIR / "*.rules.yml")],
                    scrape_interval="1s",
                    evaluation_interval="5s",
                    alertmanager_targets=[f"127.0.0.1:{alertmanager.port}"],
                )
                with Prometheus(prometheus_config, tmp_path / "prometheus"):
                    _check_delivery(sink, simulator, alertmanager, exporter)
        finally:
            stop.set()
            traffic.join(30)


def _check_delivery(sink, simulator, alertmanager, exporter) -> None:
    # 1. The drift alert reaches the ML team's webhook with what the ml-team route promises.
    firing = wait_until(
        lambda: _notifications(sink, "MLMON_ML_WEBHOOK_URL", "DataDriftDetected", "firing"),
        timeout=150,
        what="a firing DataDriftDetected notification at the ML team's webhook",
    )[0]
    assert firing["receiver"] == "ml-team"
    assert set(firing["groupLabels"]) == {"alertname", "model_name", "feature"}
    alert = firing["alerts"][0]
    labels = alert["labels"]
    assert labels["alertname"] == "DataDriftDetected" and labels["feature"] == DRIFTED
    assert labels["team"] == "ml" and labels["severity"] == "warning"
    assert labels["model_name"] in {"house_price", "price_band"}
    annotations = alert["annotations"]
    assert annotations["summary"] == f"Data drift in feature {DRIFTED} of {labels['model_name']}"
    assert annotations["runbook"].startswith("Check: the Data Drift dashboard")
    assert alert["status"] == "firing"

    # The same route's Slack integration got the message rendered by the generated template.
    slack = wait_until(
        lambda: [
            p
            for p in sink.at("/MLMON_ML_SLACK_WEBHOOK_URL")
            if "DataDriftDetected" in str(p) and p.get("attachments")
        ],
        timeout=30,
        what="the Slack message for DataDriftDetected",
    )[0]
    attachment = slack["attachments"][0]
    assert attachment["title"].startswith("[FIRING:") and "DataDriftDetected" in attachment["title"]
    assert f"Data drift in feature {DRIFTED}" in attachment["text"]
    assert slack["channel"] == "#ml-alerts"

    # 2. The API error burst reaches the platform team, and, being critical, the pager.
    errors = wait_until(
        lambda: _notifications(sink, "MLMON_PLATFORM_WEBHOOK_URL", "ApiErrorRateHigh", "firing"),
        timeout=90,
        what="a firing ApiErrorRateHigh notification at the platform team's webhook",
    )[0]
    assert errors["receiver"] == "platform-team"
    assert set(errors["groupLabels"]) == {"alertname", "endpoint"}
    error_labels = errors["alerts"][0]["labels"]
    assert error_labels["endpoint"] == "/predict" and error_labels["severity"] == "critical"
    assert error_labels["team"] == "platform"
    pages = wait_until(
        lambda: [
            p
            for p in sink.at("/MLMON_PAGERDUTY_EVENTS_URL")
            if "ApiErrorRateHigh" in str(p.get("payload", {}).get("summary", ""))
        ],
        timeout=30,
        what="a PagerDuty event for ApiErrorRateHigh",
    )
    assert pages[0]["routing_key"] == PAGERDUTY_KEY and pages[0]["event_action"] == "trigger"
    # Warnings never page: the drift alert did not reach PagerDuty.
    assert not [p for p in sink.at("/MLMON_PAGERDUTY_EVENTS_URL") if "DataDrift" in str(p)]

    # 3. The episode ends: once the drifted rows leave the exporter's window the alert resolves.
    simulator.command("clear")
    resolved = wait_until(
        lambda: _notifications(sink, "MLMON_ML_WEBHOOK_URL", "DataDriftDetected", "resolved"),
        timeout=150,
        what="a resolved DataDriftDetected notification after the drift episode",
    )[0]
    assert resolved["receiver"] == "ml-team"
    assert {a["status"] for a in resolved["alerts"]} == {"resolved"}
    assert all(a["labels"]["feature"] == DRIFTED for a in resolved["alerts"])
    alertmanager.check_alive()
    exporter.check_alive()
