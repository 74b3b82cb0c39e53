"""`mlmon lint --live` against a real Prometheus scraping the real exporter and reference API.

The simulator sends traffic with errors, bad data, drift and feedback first,
so every series the dashboards show exists; then the exporter computes its
metrics from the prediction log and a Debian Prometheus scrapes both.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlmon.cli import main
from mlmon.lint import Report
from mlmon.lint.config import load
from mlmon.lint.live import LiveCheck
from mlmon.promconfig import render_prometheus_config
from tests.lint.support import FIXTURES
from tests.support.processes import (
    ROOT,
    Prometheus,
    free_port,
    python_process,
    require_tool,
    running_exporter,
    wait_http_ok,
    wait_until,
)

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

SIMULATION = [
    "--rate",
    "200",
    "--count",
    "600",
    "--feedback-delay",
    "0.1",
    "--quiet",
    "--seed",
    "7",
    "--inject",
    "errors:0.1",
    "--inject",
    "malformed:0.05",
    "--inject",
    "unseen_category:0.05",
    "--inject",
    "missing:0.1",
    "--inject",
    "drift:living_area_sqft@1-3",
    "--inject",
    "degraded:0.3",
]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    require_tool("prometheus")
    work = tmp_path_factory.mktemp("live")
    db = str(work / "metrics.db")
    api_port = free_port()
    env = {
        "METRICS_DB_PATH": db,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(api_port),
        "ML_API_FAULTS": "1",
    }
    with python_process(["-m", "ml_api"], work / "api.log", env=env) as api:
        wait_http_ok(f"http://127.0.0.1:{api_port}/health", timeout=60, proc=api)
        simulation = subprocess.run(
            [
                sys.executable,
                "-m",
                "ml_api.simulate",
                "--url",
                f"http://127.0.0.1:{api_port}",
                *SIMULATION,
            ],
            cwd=ROOT,
            timeout=120,
            capture_output=True,
            text=True,
        )
        assert simulation.returncode == 0, (
            f"simulator failed:\n{simulation.stderr[-2000:]}\n{api.log_tail()}"
        )
        with running_exporter(Path(db), work, interval="0.5") as (_, exporter_port):
            config = render_prometheus_config(
                api_targets=[f"127.0.0.1:{api_port}"],
                exporter_targets=[f"127.0.0.1:{exporter_port}"],
                rule_files=[],
                scrape_interval="1s",
            )
            with Prometheus(config, work / "prometheus") as prom:
                prom.wait_for_targets_up(2)
                # rate() over $__rate_interval (4 scrapes) needs a few samples of every series
                wait_until(
                    lambda: (
                        prom.query("count(rate(api_requests_total[4s]))")
                        and prom.query("count(model_accuracy)")
                        and prom.query("count(count_over_time(up[4s]) >= 4)")
                    ),
                    timeout=60,
                    what="API and exporter series in Prometheus",
                )
                yield prom


def test_project_dashboards_have_no_dead_panels(prometheus):
    report = Report()
    LiveCheck(prometheus.url).run([ROOT / "generated" / "dashboards"], report)
    dead = [
        (f.location.dashboard, f.location.panel, f.location.query, f.message)
        for f in report.findings
    ]
    assert dead == [], "dead panels:\n" + "\n".join(map(str, dead))
    used = {(e.dashboard, e.panel) for _, e in report.excluded}
    live_exclusions = [
        e for e in load(ROOT / ".mlmon-lint.yml").exclusions if e.rule == "live-query"
    ]
    assert [e for e in live_exclusions if (e.dashboard, e.panel) not in used] == [], (
        "stale live-query exclusions"
    )


def test_broken_dashboard_reports_dashboard_panel_and_query(prometheus):
    report = Report()
    LiveCheck(prometheus.url).run([FIXTURES / "broken" / "dead_panels.json"], report)
    found = {f.location.panel: f for f in report.findings}
    assert set(found) == {
        "Accuracy (typo in metric)",
        "Requests (label that does not exist)",
        "Renamed label (Prometheus rejects it)",
    }
    typo = found["Accuracy (typo in metric)"]
    assert typo.rule == "live-query" and typo.location.dashboard == "Fixture: dead panels"
    assert typo.location.query == 'model_acuracy{model_name=~"$model"}'
    assert "no series" in typo.message and "model_acuracy" in typo.message
    assert "no series" in found["Requests (label that does not exist)"].message
    assert "Prometheus rejected the query" in found["Renamed label (Prometheus rejects it)"].message


def test_cli_live_exit_codes(prometheus, tmp_path, capsys):
    shutil.copy(FIXTURES / "broken" / "dead_panels.json", tmp_path / "dead.json")
    (tmp_path / ".mlmon-lint.yml").write_text(
        "exclusions:\n  - rule: catalog-metric\n    reason: the live check is under test\n"
        "  - rule: catalog-label\n    reason: the live check is under test\n"
    )
    assert (
        main(["lint", "--live", "--prometheus", prometheus.url, str(tmp_path / "dead.json")]) == 1
    )
    captured = capsys.readouterr()
    assert "live-query: no series" in captured.out and "query: model_acuracy" in captured.out
    assert "live check against" in captured.err
    unreachable = f"http://127.0.0.1:{free_port()}"
    assert main(["lint", "--live", "--prometheus", unreachable, str(tmp_path / "dead.json")]) == 2
    assert "cannot reach Prometheus" in capsys.readouterr().err


def test_alert_expressions_of_the_project_have_series(prometheus):
    report = Report()
    LiveCheck(prometheus.url).run([ROOT / "generated" / "alerts"], report)
    dead = sorted({(f.location.panel, f.location.query, f.message) for f in report.findings})
    assert dead == [], "alerts that can never fire:\n" + "\n".join(map(str, dead))
