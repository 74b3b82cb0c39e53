"""A real Prometheus scraping the real exporter and reference API, with traffic that gives every panel data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_api.injections import parse_injection
from ml_api.simulate import SimulationConfig, Simulator
from mlmon.cli import main
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

# Every kind of trouble the dashboards show: 5xx answers, bad requests, drift, degraded ground truth.
TRAFFIC = (
    "errors:0.1",
    "malformed:0.05",
    "unseen_category:0.05",
    "missing:0.1",
    "drift:living_area_sqft@1-3",
    "degraded:0.3",
)


@pytest.fixture(scope="session")
def fed_prometheus(tmp_path_factory) -> Prometheus:
    require_tool("prometheus")
    work = tmp_path_factory.mktemp("preview-stack")
    db = work / "metrics.db"
    api_port = free_port()
    env = {
        "METRICS_DB_PATH": str(db),
        "API_HOST": "127.0.0.1",
        "API_PORT": str(api_port),
        "ML_API_FAULTS": "1",
    }
    with python_process(["-m", "ml_api"], work / "api.log", env=env) as api:
        wait_http_ok(f"http://127.0.0.1:{api_port}/health", timeout=60, proc=api)
        Simulator(
            SimulationConfig(
                url=f"http://127.0.0.1:{api_port}",
                rate=200,
                count=600,
                seed=7,
                feedback_delay=0.1,
                injections=tuple(parse_injection(spec) for spec in TRAFFIC),
            ),
            log=lambda line: None,
        ).run()
        with running_exporter(Path(db), work, interval="0.5") as (_, exporter_port):
            config = render_prometheus_config(
                api_targets=[f"127.0.0.1:{api_port}"],
                exporter_targets=[f"127.0.0.1:{exporter_port}"],
                rule_files=[],
                scrape_interval="1s",
            )
            with Prometheus(config, work / "prometheus") as prometheus:
                prometheus.wait_for_targets_up(2)
                # rate() over $__rate_interval (4 scrapes) needs a few samples of every series.
                wait_until(
                    lambda: (
                        prometheus.query("count(rate(api_requests_total[4s]))")
                        and prometheus.query("count(model_accuracy)")
                        and prometheus.query("count(count_over_time(up[6s]) >= 6)")
                    ),
                    timeout=60,
                    what="API and exporter series in Prometheus",
                )
                yield prometheus


@pytest.fixture(scope="session")
def rendered(fed_prometheus, tmp_path_factory):
    """``mlmon preview`` of the project's dashboards: (exit code, output directory, {source: manifest entry})."""
    out = tmp_path_factory.mktemp("preview")
    code = main(["preview", "--prometheus", fed_prometheus.url, "--from", "3m", "--out", str(out)])
    manifest = json.loads((out / "preview.json").read_text())
    return code, out, {entry["source"]: entry for entry in manifest}
