"""`mlmon lint --live` against a real Prometheus scraping the real exporter and reference API.

The simulator sends traffic with errors, bad data, drift and feedback first,
so every series the dashboards show exists; then the exporter computes its
metrics from the prediction log and a Debian Prometheus scrapes both (one
stack for the session, shared with the preview tests: :mod:`tests.support.fed_stack`).
"""

from __future__ import annotations

import shutil

import pytest

from mlmon.cli import main
from mlmon.lint import Report
from mlmon.lint.config import load
from mlmon.lint.live import LiveCheck
from tests.lint.support import FIXTURES
from tests.support.processes import (
    ROOT,
    free_port,
)

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]


@pytest.fixture
def prometheus(fed_prometheus):
    """The shared fed Prometheus (``tests/conftest.py``): every series the dashboards show exists."""
    return fed_prometheus


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
