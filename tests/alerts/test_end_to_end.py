"""End to end: the exporter serves drift, a real Prometheus loads the generated rules and fires the drift alert.

The rules are the project's, compiled with ``for_override="5s"`` and
``interval_override="10s"`` so the test waits seconds instead of minutes; the
expressions, labels and annotations are exactly those of generated/alerts/.
The real ``for`` durations are checked by the promtool unit tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from exporter.store import PredictionStore
from mlmon.alerts.compiler import PROMETHEUS_DIR, compile_alerts
from mlmon.promconfig import EXPORTER_JOB
from tests.alerts.conftest import ALERTS_SRC, write_tree
from tests.exporter.logdata import REGRESSION, feature_rows, price, write_log
from tests.support.processes import Prometheus, running_exporter, scrape_config, wait_until

DRIFTED_FEATURE = "area"  # write_log(shift=...) moves only this feature
STABLE = "stable_model"  # current data drawn like its reference: must stay quiet


def _add_stable_model(store: PredictionStore) -> None:
    rng = np.random.default_rng(7)
    reference = feature_rows(500, rng)
    store.set_reference(STABLE, reference, targets=[price(r) for r in reference], task="regression")
    store.log_predictions(
        [
            {
                "request_id": f"{STABLE}-{i}",
                "model_name": STABLE,
                "model_version": "v1",
                "features": row,
                "prediction": price(row),
                "ts": 1_000.0 + i,
            }
            for i, row in enumerate(feature_rows(200, rng))
        ]
    )


def _alerts(prometheus: Prometheus, name: str, state: str) -> list[dict]:
    return [
        a
        for a in prometheus.api("alerts")["alerts"]
        if a["labels"]["alertname"] == name and a["state"] == state
    ]


@pytest.mark.prometheus
@pytest.mark.slow
def test_prometheus_fires_data_drift_from_the_exporter(tmp_path):
    db = tmp_path / "metrics.db"
    store: PredictionStore = write_log(
        db, shift=3.0
    )  # current window: "area" shifted by 3 standard deviations
    _add_stable_model(store)
    store.close()
    rules = write_tree(
        compile_alerts(ALERTS_SRC, for_override="5s", interval_override="10s"), tmp_path / "out"
    )
    with running_exporter(db, tmp_path, interval="1") as (exporter, port):
        config = scrape_config({EXPORTER_JOB: f"127.0.0.1:{port}"})
        config["rule_files"] = [str(rules / PROMETHEUS_DIR / "*.rules.yml")]
        with Prometheus(config, tmp_path / "prometheus") as prometheus:
            prometheus.wait_for_targets_up(1)
            firing = wait_until(
                lambda: _alerts(prometheus, "DataDriftDetected", "firing"),
                timeout=90,
                what="DataDriftDetected to fire in Prometheus",
            )

            drifted = {(a["labels"]["model_name"], a["labels"]["feature"]) for a in firing}
            assert (REGRESSION, DRIFTED_FEATURE) in drifted
            assert {feature for _, feature in drifted} == {DRIFTED_FEATURE}
            assert STABLE not in {model for model, _ in drifted}
            stable = prometheus.query(f'data_drift_detected{{model_name="{STABLE}"}}')
            assert len(stable) == 4 and {s["value"][1] for s in stable} == {
                "0"
            }  # tested, and quiet
            alert = next(a for a in firing if a["labels"]["model_name"] == REGRESSION)
            assert alert["labels"]["severity"] == "warning"
            assert (
                alert["annotations"]["summary"]
                == f"Data drift in feature {DRIFTED_FEATURE} of {REGRESSION}"
            )

            # Every generated rule was loaded and evaluates against real data without error,
            # and the exporter, being up, does not trip ExporterDown.
            def evaluated() -> list[dict]:
                rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
                return rules if all(r["health"] != "unknown" for r in rules) else []

            loaded = wait_until(evaluated, timeout=30, what="every rule group to be evaluated once")
            assert {r["name"] for r in loaded} >= {
                "DataDriftDetected",
                "ExporterDown",
                "ModelAccuracyLow",
                "ApiErrorRateHigh",
                "NoPredictionsLogged",
            }
            assert [(r["name"], r["lastError"]) for r in loaded if r["health"] != "ok"] == []
            assert _alerts(prometheus, "ExporterDown", "firing") == []
            exporter.check_alive()
