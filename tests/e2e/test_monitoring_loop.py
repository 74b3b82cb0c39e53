"""The whole loop with real processes on 127.0.0.1: API -> prediction log -> exporter -> Prometheus.

The simulator sends a fixed, seeded amount of traffic with covariate drift in
one feature (plus some malformed requests) before the exporter starts, so the
exporter's window — and therefore every statistic — is the same on every run.
"""

from __future__ import annotations

import sqlite3

import pytest

from ml_api.injections import parse_injection
from ml_api.simulate import SimulationConfig, Simulator
from mlmon.promconfig import render_prometheus_config
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


def by_label(result: list[dict], label: str) -> dict[str, float]:
    return {series["metric"][label]: float(series["value"][1]) for series in result}


def test_drift_in_one_feature_reaches_prometheus_and_nothing_is_lost(tmp_path):
    require_tool("prometheus")
    db = tmp_path / "metrics.db"
    api_port = free_port()
    api_env = {"API_PORT": str(api_port), "METRICS_DB_PATH": str(db)}
    with python_process(["-m", "ml_api"], tmp_path / "api.log", env=api_env) as api:
        wait_http_ok(f"http://127.0.0.1:{api_port}/health", timeout=60, proc=api)
        stats = Simulator(
            SimulationConfig(
                url=f"http://127.0.0.1:{api_port}",
                rate=150,
                count=360,
                seed=11,
                feedback_delay=0.2,
                injections=(parse_injection(f"drift:{DRIFTED}"), parse_injection("malformed:0.1")),
            ),
            log=lambda line: None,
        ).run()
        assert stats.transport_errors == 0
        assert stats.by_status.keys() == {"200", "422"}, stats.by_status  # bad input is never a 500
        accepted = stats.predictions_accepted

        def logged() -> int:
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT count(*) FROM predictions").fetchone()[0]

        wait_until(lambda: logged() == accepted, 30, what=f"{accepted} rows in the prediction log")

        with running_exporter(db, tmp_path, interval="1") as (_, exporter_port):
            config = render_prometheus_config(
                api_targets=[f"127.0.0.1:{api_port}"],
                exporter_targets=[f"127.0.0.1:{exporter_port}"],
                rule_files=[],
                scrape_interval="1s",
            )
            with Prometheus(config, tmp_path / "prometheus") as prometheus:
                prometheus.wait_for_targets_up(2)

                drifted = wait_until(
                    lambda: (
                        by_label(
                            prometheus.query(f'data_drift_detected{{feature="{DRIFTED}"}}'),
                            "model_name",
                        )
                        if len(prometheus.query(f'data_drift_detected{{feature="{DRIFTED}"}} == 1'))
                        == 2
                        else None
                    ),
                    60,
                    what=f"data_drift_detected{{feature={DRIFTED!r}}} == 1 for both models",
                )
                assert drifted == {"house_price": 1.0, "price_band": 1.0}
                others = prometheus.query(
                    f'max_over_time(data_drift_detected{{feature!="{DRIFTED}"}}[10m])'
                )
                assert len(others) == 2 * 7, others  # both models x the seven other features
                assert all(float(s["value"][1]) == 0 for s in others), others

                # Every request the simulator sent was counted once, by route template and status.
                requests = by_label(
                    prometheus.query(
                        'sum by (status) (api_requests_total{job="ml-api", endpoint="/predict"})'
                    ),
                    "status",
                )
                assert requests == {status: float(n) for status, n in stats.by_status.items()}
                feedback = prometheus.query(
                    'sum(api_requests_total{job="ml-api", endpoint="/feedback"})'
                )
                assert float(feedback[0]["value"][1]) == stats.feedback_sent

                # Nothing logged was lost: the exporter counted exactly the accepted predictions.
                counted = wait_until(
                    lambda: prometheus.query('sum(daily_predictions_total{job="model-exporter"})'),
                    30,
                    what="daily_predictions_total",
                )
                assert float(counted[0]["value"][1]) == accepted
    # A clean stop of the API flushed everything it had accepted.
    assert logged() == accepted
