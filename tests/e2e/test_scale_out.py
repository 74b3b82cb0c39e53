"""The at-scale shape, for real on 127.0.0.1: 4 API processes -> one PostgreSQL log -> 2 sharded exporters -> Prometheus.

Every prediction the APIs answered is counted exactly once in Prometheus (the
shards split the models, so summing over both exporters counts each row
once), and every dashboard query returns data (the live lint).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlmon.lint import Report
from mlmon.lint.live import LiveCheck
from mlmon.promconfig import render_prometheus_config
from tests.support.postgres import running_postgres
from tests.support.processes import (
    ROOT,
    Prometheus,
    free_port,
    python_process,
    require_tool,
    wait_http_ok,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.prometheus]

APIS = 4
SHARDS = 2


def _simulate(port: int, seed: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ml_api.simulate",
            "--url",
            f"http://127.0.0.1:{port}",
            "--rate",
            "60",
            "--count",
            "150",
            "--feedback-delay",
            "0.1",
            "--seed",
            str(seed),
            "--quiet",
            "--json",
            "--inject",
            "errors:0.05",
            "--inject",
            "malformed:0.05",
            "--inject",
            "missing:0.1",
            "--inject",
            "unseen_category:0.05",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_replicas_write_one_postgres_log_and_sharded_exporters_count_every_row_once(tmp_path):
    require_tool("prometheus")
    import psycopg

    with running_postgres() as server:
        url = server.new_database()
        api_ports = [free_port() for _ in range(APIS)]
        apis = [
            python_process(
                ["-m", "ml_api"],
                tmp_path / f"api-{i}.log",
                env={
                    "METRICS_DB_URL": url,
                    "API_HOST": "127.0.0.1",
                    "API_PORT": str(port),
                    "ML_API_FAULTS": "1",
                },
            )
            for i, port in enumerate(api_ports)
        ]
        exporters = []
        try:
            for api, port in zip(apis, api_ports):
                wait_http_ok(f"http://127.0.0.1:{port}/health", timeout=300, proc=api)
            simulators = [_simulate(port, seed) for seed, port in enumerate(api_ports)]
            for simulator in simulators:
                out, err = simulator.communicate(timeout=180)
                assert simulator.returncode == 0, err[-2000:]
            exporter_ports = [free_port() for _ in range(SHARDS)]
            exporters = [
                python_process(
                    ["-m", "exporter", "--shard", f"{i}/{SHARDS}"],
                    tmp_path / f"exporter-{i}.log",
                    env={
                        "METRICS_DB_URL": url,
                        "PROMETHEUS_PORT": str(port),
                        "EXPORTER_BIND_ADDRESS": "127.0.0.1",
                        "EXPORT_INTERVAL": "0.5",
                    },
                )
                for i, port in enumerate(exporter_ports)
            ]
            for exporter, port in zip(exporters, exporter_ports):
                wait_http_ok(f"http://127.0.0.1:{port}/metrics", timeout=60, proc=exporter)
            config = render_prometheus_config(
                api_targets=[f"127.0.0.1:{p}" for p in api_ports],
                exporter_targets=[f"127.0.0.1:{p}" for p in exporter_ports],
                rule_files=[],
                scrape_interval="1s",
            )
            with Prometheus(config, tmp_path / "prometheus") as prometheus:
                prometheus.wait_for_targets_up(APIS + SHARDS)
                with psycopg.connect(url) as conn:
                    rows = conn.execute("SELECT count(*) FROM predictions").fetchone()[0]
                assert rows > 0

                def counted() -> float | None:
                    result = prometheus.query('sum(daily_predictions_total{job="model-exporter"})')
                    value = float(result[0]["value"][1]) if result else None
                    return value if value == rows else None

                wait_until(counted, 60, what=f"{rows} predictions counted in Prometheus")
                # Each model is served by exactly one exporter: no series exported twice.
                per_model = prometheus.query("count by (model_name) (model_info)")
                assert {s["metric"]["model_name"] for s in per_model} == {
                    "house_price",
                    "price_band",
                }
                assert all(float(s["value"][1]) == 1 for s in per_model), per_model
                wait_until(
                    lambda: (
                        prometheus.query("count(rate(api_requests_total[4s]))")
                        and prometheus.query("count(model_accuracy)")
                        and prometheus.query("count(count_over_time(up[4s]) >= 4)")
                    ),
                    timeout=60,
                    what="API and exporter series in Prometheus",
                )
                report = Report()
                LiveCheck(prometheus.url).run([ROOT / "generated" / "dashboards"], report)
                dead = [
                    (f.location.dashboard, f.location.panel, f.message) for f in report.findings
                ]
                assert dead == [], "dead panels:\n" + "\n".join(map(str, dead))
        finally:
            for process in [*exporters, *apis]:
                process.stop()
