"""One real stack fed with every kind of trouble the dashboards show, for the tests that need every
panel to have data (``mlmon lint --live``, ``mlmon preview``): the reference API with its fault
injection, simulated traffic, the exporter and a Debian Prometheus scraping both, on 127.0.0.1.

Started once per test session (the ``fed_prometheus`` fixture in ``tests/conftest.py``): it takes
about half a minute, and the tests only read from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ml_api.injections import parse_injection
from ml_api.simulate import SimulationConfig, Simulator
from mlmon.commands.lint_live_demo import TRAFFIC  # every kind of trouble the dashboards show
from mlmon.promconfig import render_prometheus_config
from tests.support.processes import (
    Prometheus,
    free_port,
    python_process,
    running_exporter,
    wait_http_ok,
    wait_until,
)


@contextlib.contextmanager
def fed_prometheus(work: Path) -> Iterator[Prometheus]:
    """A Prometheus that has scraped the API and the exporter after the traffic above, with a few
    samples of every series (``rate()`` over ``$__rate_interval`` needs four scrapes)."""
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
        with running_exporter(db, work, interval="0.5") as (_, exporter_port):
            config = render_prometheus_config(
                api_targets=[f"127.0.0.1:{api_port}"],
                exporter_targets=[f"127.0.0.1:{exporter_port}"],
                rule_files=[],
                scrape_interval="1s",
            )
            with Prometheus(config, work / "prometheus") as prometheus:
                prometheus.wait_for_targets_up(2)
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
