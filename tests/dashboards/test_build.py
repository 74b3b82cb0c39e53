"""`mlmon build`: atomic, deterministic, clear errors for broken sources, `--check` for CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboards.support import SOURCES, mlmon, snapshot, write_source
from tests.support.processes import ROOT

GOOD = """
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

dashboard = build(
    title="Tiny", uid="tiny", description="A test dashboard.",
    rows=[row("Traffic",
              p.timeseries("Requests", "Requests per second.", q.rate("api_requests_total", by=("endpoint",))),
              p.stat("Active", "Requests in flight.", q.sum(q.series("api_active_requests"))))],
)
"""

BROKEN = {
    "unknown metric": (
        """
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

dashboard = build(
    title="Broken", uid="broken", description="Broken.",
    rows=[row("Traffic",
              p.timeseries(
                  "Latency p95",
                  "p95 latency.",
                  q.histogram_quantile(0.95, "api_request_duraton_seconds")))],
)
""",
        [
            "broken.py:12",
            "'Latency p95'",
            "api_request_duraton_seconds",
            "did you mean api_request_duration_seconds",
        ],
    ),
    "unknown label": (
        """
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

dashboard = build(title="Broken", uid="broken", description="Broken.", rows=[row("Drift",
    p.stat("Drifted", "Drift.", q.sum(q.series("data_drift_detected", feture="x"))))])
""",
        ["broken.py:7", "'Drifted'", "feture", "did you mean feature"],
    ),
    "unknown metric on its own line": (
        """
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

dashboard = build(title="Broken", uid="broken", description="Broken.", rows=[row(
    "Model",
    p.timeseries(
        "Accuracy",
        "Accuracy.",
        q.series("model_acuracy"),
    ),
)])
""",
        ["broken.py:11", "'Accuracy'", "did you mean model_accuracy"],
    ),
    "overlapping panels": (
        """
from grafanalib.core import GridPos
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

first = p.stat("First", "One.", q.sum(q.series("api_active_requests")))
second = p.stat("Second", "Two.", q.sum(q.series("api_active_requests")))
second.gridPos = GridPos(h=4, w=6, x=2, y=0)
dashboard = build(title="Broken", uid="broken", description="Broken.", rows=[row(None, first, second)])
""",
        ["broken.py", "'Second'", "panels[1].gridPos", "overlaps 'First'"],
    ),
    "undefined variable": (
        """
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

dashboard = build(title="Broken", uid="broken", description="Broken.", rows=[row(None,
    p.stat("Accuracy", "Accuracy.", q.max(q.series("model_accuracy", model_name="$model"))))])
""",
        ["broken.py", "'Accuracy'", "$model is used but not defined", "panels[0].targets[0].expr"],
    ),
    "module that raises": (
        """
from mlmon.dsl import panels as p, query as q

THRESHOLD = 1 / 0
dashboard = None
""",
        ["broken.py:4", "ZeroDivisionError"],
    ),
    "no dashboard": (
        """
from mlmon.dsl import query as q
board = q.series("api_active_requests")
""",
        ["broken.py", "defines no 'dashboard'"],
    ),
    "missing description": (
        """
from mlmon.dsl import panels as p, query as q
from mlmon.dsl.dashboard import dashboard as build
from mlmon.dsl.layout import row

dashboard = build(title="Broken", uid="broken", description="Broken.", rows=[row(None,
    p.stat("Silent", "", q.sum(q.series("api_active_requests"))))])
""",
        ["broken.py:7", "'Silent'", "no description"],
    ),
    "legacy graph panel": (
        """
from grafanalib.core import Dashboard, Graph, GridPos, Target

dashboard = Dashboard(title="Broken", uid="broken", panels=[
    Graph(title="Old", description="Legacy.", targets=[Target(expr="api_active_requests", refId="A")],
          gridPos=GridPos(h=8, w=12, x=0, y=0))])
""",
        ["broken.py", "'Old'", "legacy panel type 'graph'", "use TimeSeries"],
    ),
}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project root with one good dashboard source and an already-built generated/."""
    write_source(tmp_path / "dashboards_src", "tiny", GOOD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_build_writes_then_reports_unchanged(project, capsys):
    code, out, _ = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 0 and "wrote generated/dashboards/tiny.json" in out and "1 written" in out
    code, out, _ = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 0 and "0 written, 1 unchanged" in out


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_source_names_file_and_panel_and_writes_nothing(project, capsys, case):
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    before = snapshot(project / "generated")
    body, expected = BROKEN[case]
    write_source(project / "dashboards_src", "broken", body)
    code, _, err = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 1
    for fragment in expected:
        assert fragment in err, (fragment, err)
    assert "nothing was written" in err
    assert "Traceback" not in err
    assert snapshot(project / "generated") == before


ALERT_SOURCE = """\
from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.dsl import query as q

group = rule_group("api", [alert_rule(
    "HighLatency", q.series("api_active_requests"), above=THRESHOLD, for_="1m",
    severity=Severity.WARNING, summary="s", description="d", runbook="r",
)])
"""


def test_failing_alert_source_writes_no_dashboard_either(project, capsys):
    write_source(project / "alerts_src", "api", ALERT_SOURCE.replace("THRESHOLD", '"2"'))
    code, _, err = mlmon(capsys, "build")
    assert code == 1 and "alerts_src/api.py" in err and "'HighLatency'" in err
    assert "threshold '2' (str) is not a finite number" in err
    assert snapshot(project / "generated") == {}


def test_alert_outputs_are_written_and_their_stale_files_removed(project, capsys):
    write_source(project / "alerts_src", "api", ALERT_SOURCE.replace("THRESHOLD", "2"))
    stale = project / "generated" / "alerts" / "prometheus" / "old.rules.yml"
    stale.parent.mkdir(parents=True)
    stale.write_text("groups: []\n")
    code, out, _ = mlmon(capsys, "build")
    assert code == 0 and "1 dashboards, 3 alert files" in out
    assert set(snapshot(project / "generated")) == {
        "dashboards/tiny.json",
        "alerts/grafana/mlmon-api.json",
        "alerts/grafana/provisioning.yml",
        "alerts/prometheus/api.rules.yml",
    }


def test_check_lists_stale_missing_and_extra_files_without_writing(project, capsys):
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    assert mlmon(capsys, "build", "--only", "dashboards", "--check")[0] == 0
    (project / "generated/dashboards/tiny.json").write_text("{}\n")
    (project / "generated/dashboards/removed.json").write_text("{}\n")
    write_source(
        project / "dashboards_src",
        "second",
        GOOD.replace('"Tiny", uid="tiny"', '"Second", uid="second"'),
    )
    before = snapshot(project / "generated")
    code, out, err = mlmon(capsys, "build", "--only", "dashboards", "--check")
    assert code == 1
    assert "stale: generated/dashboards/tiny.json" in out
    assert "missing: generated/dashboards/second.json" in out
    assert "extra: generated/dashboards/removed.json" in out
    assert "make dashboards" in err
    assert snapshot(project / "generated") == before


def test_removed_source_removes_its_output(project, capsys):
    write_source(
        project / "dashboards_src",
        "second",
        GOOD.replace('"Tiny", uid="tiny"', '"Second", uid="second"'),
    )
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    (project / "dashboards_src/second.py").unlink()
    code, out, _ = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 0 and "removed generated/dashboards/second.json" in out
    assert set(snapshot(project / "generated")) == {"dashboards/tiny.json"}


def test_duplicate_uid_is_an_error(project, capsys):
    write_source(project / "dashboards_src", "copy", GOOD.replace('title="Tiny"', 'title="Copy"'))
    code, _, err = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 1 and "uid 'tiny' is also used by dashboards_src/copy.py" in err


def test_missing_source_directory_is_a_clear_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 2 and "dashboards_src/ not found" in err and "project root" in err


def test_build_is_byte_identical_across_processes(tmp_path):
    """Two cold processes with different hash seeds produce the same bytes as the committed output."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "mlmon", "build", "--only", "dashboards", "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        outputs.append(snapshot(out))
    assert outputs[0] == outputs[1]
    committed = {
        f"dashboards/{name}": data
        for name, data in snapshot(ROOT / "generated" / "dashboards").items()
    }
    assert outputs[0] == committed and len(committed) == 4


def test_project_sources_build_into_a_fresh_directory(tmp_path, monkeypatch, capsys):
    shutil.copytree(
        SOURCES, tmp_path / "dashboards_src", ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 0 and "4 dashboards" in out
    assert snapshot(tmp_path / "generated" / "dashboards") == snapshot(
        ROOT / "generated" / "dashboards"
    )


def test_docs_example_builds(tmp_path, monkeypatch, capsys):
    section = (ROOT / "docs" / "dashboards.md").read_text()
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    write_source(tmp_path / "dashboards_src", "example", example)
    monkeypatch.chdir(tmp_path)
    code, out, err = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 0, err
    assert (tmp_path / "generated" / "dashboards" / "checkout-model.json").is_file()


def test_disk_failure_while_writing_leaves_generated_untouched(project, capsys, monkeypatch):
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    write_source(
        project / "dashboards_src",
        "second",
        GOOD.replace('"Tiny", uid="tiny"', '"Second", uid="second"'),
    )
    (project / "dashboards_src/tiny.py").write_text(GOOD.replace("A test dashboard.", "Changed."))
    before = snapshot(project / "generated")
    calls = []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("mlmon.compiler.outputs.os.fsync", failing_fsync)
    code, _, err = mlmon(capsys, "build", "--only", "dashboards")
    assert code == 2 and "No space left on device" in err
    assert snapshot(project / "generated") == before  # no temporaries, no half-updated set


def test_full_project_build_includes_the_alert_compiler(tmp_path, monkeypatch, capsys):
    """The real contract with mlmon.alerts.compiler: its files land under alerts/, beside the dashboards."""
    monkeypatch.chdir(ROOT)
    code, out, err = mlmon(capsys, "build", "--out", str(tmp_path))
    assert code == 0, err
    files = snapshot(tmp_path)
    assert sum(name.startswith("dashboards/") for name in files) == 4
    assert any(name.startswith("alerts/") for name in files)
    assert set(files) == {name for name in files if name.startswith(("dashboards/", "alerts/"))}
