"""`mlmon lint` on the command line: exit codes, formats, default path, errors."""

import json
import shutil

import pytest

from mlmon.cli import main
from tests.lint.support import FIXTURES, clean_dashboard, panel


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with a source module and the dashboard it compiles to, as mlmon lays them out."""
    (tmp_path / "dashboards_src").mkdir()
    (tmp_path / "dashboards_src" / "service.py").write_text(
        "from mlmon.dsl import dashboard, timeseries\n\n"
        "dashboard = dashboard(\n"
        '    "Fixture: model service",\n'
        "    panels=[\n"
        '        timeseries("Accuracy", "model_accuracy"),\n'
        "        timeseries('Error ratio', 'sum(rate(api_requests_total[5m]))'),\n"
        "    ],\n"
        ")\n"
        'TAGS = ["api"]  # the alert group\'s name too: alert findings must still map to alerts_src/\n'
    )
    generated = tmp_path / "generated" / "dashboards"
    generated.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(project, dashboard):
    (project / "generated" / "dashboards" / "service.json").write_text(
        json.dumps(dashboard, indent=2)
    )


def test_clean_tree_exits_0_and_lints_generated_by_default(project, capsys):
    _write(project, clean_dashboard())
    assert main(["lint"]) == 0
    assert "0 errors, 0 warnings in 1 file (1 dashboards" in capsys.readouterr().out


def test_errors_exit_1_warnings_only_with_strict(project, capsys):
    dashboard = clean_dashboard()
    dashboard["editable"] = True
    _write(project, dashboard)
    assert main(["lint"]) == 0
    assert main(["lint", "--strict"]) == 1
    panel(dashboard, "Accuracy")["targets"][0]["expr"] = "model_acuracy"
    _write(project, dashboard)
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert "dashboard 'Fixture: model service'" in out and "panel 'Accuracy' (id 2)" in out
    assert "error   catalog-metric" in out and "query: model_acuracy" in out and "fix: " in out


@pytest.mark.parametrize(
    "args, says",
    [
        (["lint", "missing.json"], "missing.json: no such file or directory"),
        (["lint", "--config", "nope.yml"], "nope.yml: cannot read"),
    ],
)
def test_missing_inputs_exit_2(project, capsys, args, says):
    _write(project, clean_dashboard())
    assert main(args) == 2
    assert says in capsys.readouterr().err


def test_invalid_json_and_unrecognised_files_exit_2(project, capsys):
    bad = project / "bad.json"
    bad.write_text("{")
    assert main(["lint", str(bad)]) == 2
    assert "bad.json: not valid JSON" in capsys.readouterr().err
    bad.write_text('{"hello": 1}')
    assert main(["lint", str(bad)]) == 2
    assert "neither a Grafana dashboard" in capsys.readouterr().err


def test_exclusion_without_reason_exits_2(project, capsys):
    _write(project, clean_dashboard())
    (project / ".mlmon-lint.yml").write_text("exclusions:\n  - rule: panel-units\n")
    assert main(["lint"]) == 2
    assert "needs a 'reason'" in capsys.readouterr().err


def test_json_format(project, capsys):
    dashboard = clean_dashboard()
    panel(dashboard, "Accuracy")["targets"][0]["expr"] = "model_acuracy"
    _write(project, dashboard)
    assert main(["lint", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    [finding] = data["findings"]
    assert finding["rule"] == "catalog-metric" and finding["level"] == "error"
    assert (
        finding["location"]["panel"] == "Accuracy"
        and finding["location"]["query"] == "model_acuracy"
    )
    assert finding["source"] == {"file": "dashboards_src/service.py", "line": 6}
    assert data["summary"]["errors"] == 1


def test_github_format_points_at_the_source_line(project, capsys):
    dashboard = clean_dashboard()
    panel(dashboard, "Accuracy")["targets"][0]["expr"] = "model_acuracy"
    panel(dashboard, "Error ratio")["targets"][0]["expr"] = "sum(rate(api_requests_total[5m]))"
    panel(dashboard, "Drift p-values")["fieldConfig"]["defaults"] = {}
    _write(project, dashboard)
    assert main(["lint", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("::error file=dashboards_src/service.py,line=6,title=catalog-metric::")
        for line in lines
    )
    assert any(
        line.startswith(
            "::warning file=dashboards_src/service.py,line=7,title=target-rate-interval::"
        )
        for line in lines
    )
    # a panel whose title is not in the source: the dashboard's title line... or the JSON file
    drift = next(line for line in lines if "title=panel-units" in line)
    assert drift.startswith("::warning file=dashboards_src/service.py,line=4,")
    assert all("\n" not in line for line in lines)


def test_github_format_falls_back_to_the_json_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(FIXTURES / "realworld" / "grafana11-shared-export.json", tmp_path / "export.json")
    assert main(["lint", "--format", "github", "export.json"]) == 1
    lines = capsys.readouterr().out.splitlines()
    five = next(line for line in lines if "title=target-counter-agg" in line)
    text = (tmp_path / "export.json").read_text().splitlines()
    line = int(five.split("line=")[1].split(",")[0])
    assert '"title": "5xx"' in text[line - 1]


def test_list_rules_and_help(capsys):
    assert main(["lint", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert (
        "catalog-metric  [error]" in out and "target-job-matcher  [error] (off by default)" in out
    )
    with pytest.raises(SystemExit) as exit_:
        main(["lint", "--help"])
    assert exit_.value.code == 0
    assert "--live" in capsys.readouterr().out


def test_github_format_points_alert_findings_at_alerts_src(project, capsys):
    (project / "alerts_src").mkdir()
    (project / "alerts_src" / "api.py").write_text(
        'group = rule_group("api", [\n'
        "    alert(\n"
        '        "HighErrorRate",\n'
        '        expr="...",\n'
        "    ),\n"
        "])\n"
    )
    rules_dir = project / "generated" / "alerts" / "prometheus"
    rules_dir.mkdir(parents=True)
    (rules_dir / "api.rules.yml").write_text(
        (FIXTURES / "clean" / "api.rules.yml")
        .read_text()
        .replace("severity: critical", "severity: page")
    )
    assert main(["lint", "--format", "github", "generated/alerts"]) == 1
    [annotation] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert annotation.startswith("::error file=alerts_src/api.py,line=3,title=alert-severity::")
    assert "[api / HighErrorRate]" in annotation


def test_extra_config_file_and_alert_grouping_in_text(project, capsys):
    rules_dir = project / "generated" / "alerts"
    rules_dir.mkdir(parents=True)
    (rules_dir / "api.rules.yml").write_text(
        (FIXTURES / "clean" / "api.rules.yml").read_text().replace("for: 5m", "for: 0m")
    )
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert "  rule group 'api'\n    alert 'HighErrorRate'\n      error   alert-for:" in out
    extra = project / "ci-lint.yml"
    extra.write_text(
        "exclusions:\n  - rule: alert-for\n    dashboard: api\n    reason: fires at once by design\n"
    )
    assert main(["lint", "--config", str(extra)]) == 0
    assert "1 excluded with a reason" in capsys.readouterr().out
