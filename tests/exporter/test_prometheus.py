"""A real Prometheus scrapes a real exporter process: every exporter metric of the catalog arrives, queryable."""

from __future__ import annotations

import pytest

from exporter import catalog
from tests.exporter.logdata import REGRESSION, write_log
from tests.support.processes import Prometheus, running_exporter, scrape_config, wait_until


@pytest.mark.prometheus
def test_prometheus_scrapes_every_exporter_metric(tmp_path):
    path = tmp_path / "log.db"
    write_log(path, current_rows=120, labelled=0.8).close()
    with running_exporter(path, tmp_path, interval="0.5") as (_, port):
        with Prometheus(
            scrape_config({"model-exporter": f"127.0.0.1:{port}"}), tmp_path / "prometheus"
        ) as prom:
            prom.wait_for_targets_up(1)
            wait_until(
                lambda: prom.query(f'daily_predictions_total{{model_name="{REGRESSION}"}}'),
                30,
                what="the first scrape",
            )
            names = set(prom.api("label/__name__/values"))
            expected = {
                series
                for m in catalog.by_source("exporter")
                for series in m.series_names
                if m.name != "data_drift_test_skipped"
            }  # only present when a test is skipped
            assert expected <= names, sorted(expected - names)
            count = prom.query(f'daily_predictions_total{{model_name="{REGRESSION}"}}')[0]["value"][
                1
            ]
            assert float(count) == 120
            buckets = f'prediction_latency_seconds_bucket{{model_name="{REGRESSION}"}}'
            p95 = prom.query(f"histogram_quantile(0.95, {buckets})")
            assert 0.1 < float(p95[0]["value"][1]) <= 0.25  # latencies are uniform on [0.001, 0.2]
