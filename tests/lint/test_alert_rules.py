"""alert-annotations, alert-severity, alert-for, alert-condition on Grafana and Prometheus rule files."""

import pytest

from tests.lint.support import clean_grafana_rules, clean_prometheus_rules, findings, lint_data

ALERT_RULES = ("alert-annotations", "alert-severity", "alert-for", "alert-condition")


def _grafana(tmp_path, mutate):
    rules = clean_grafana_rules()
    mutate(rules["rules"][0])
    return lint_data(tmp_path, rules, "rules.json")


def _prometheus(tmp_path, mutate):
    rules = clean_prometheus_rules()
    mutate(rules["groups"][0]["rules"][0])
    return lint_data(tmp_path, rules, "api.rules.yml")


def test_clean_rule_files_pass(tmp_path):
    for report in (_grafana(tmp_path, lambda r: None), _prometheus(tmp_path, lambda r: None)):
        assert [f for f in report.findings if f.rule in ALERT_RULES] == []


@pytest.mark.parametrize("lint", [_grafana, _prometheus])
def test_missing_annotations_are_reported(tmp_path, lint):
    [finding] = findings(
        lint(tmp_path, lambda r: r["annotations"].pop("description")), "alert-annotations"
    )
    assert "no description" in finding.message and finding.location.kind == "alert"


@pytest.mark.parametrize("lint", [_grafana, _prometheus])
@pytest.mark.parametrize("labels", [{}, {"severity": "high"}])
def test_missing_or_unknown_severity_is_reported(tmp_path, lint, labels):
    assert len(findings(lint(tmp_path, lambda r: r.update(labels=labels)), "alert-severity")) == 1


@pytest.mark.parametrize("lint", [_grafana, _prometheus])
@pytest.mark.parametrize("mutate", [lambda r: r.pop("for"), lambda r: r.update({"for": "0s"})])
def test_missing_or_zero_for_is_reported(tmp_path, lint, mutate):
    assert len(findings(lint(tmp_path, mutate), "alert-for")) == 1


def test_recording_rules_need_no_annotations(tmp_path):
    report = lint_data(tmp_path, clean_prometheus_rules(), "api.rules.yml")
    assert report.alert_rules == 2 and report.findings == []


def test_condition_must_name_a_refid(tmp_path):
    [finding] = findings(_grafana(tmp_path, lambda r: r.update(condition="D")), "alert-condition")
    assert "'D'" in finding.message and finding.location.panel == "Model accuracy low"


def test_expression_inputs_must_be_refids(tmp_path):
    def break_input(rule):
        rule["data"][2]["model"]["expression"] = "X"

    [finding] = findings(_grafana(tmp_path, break_input), "alert-condition")
    assert "references 'X'" in finding.message


def test_math_expression_references_are_checked(tmp_path):
    def math(rule):
        rule["data"][1]["model"] = {"refId": "B", "type": "math", "expression": "$A * 100 + ${Z}"}

    [finding] = findings(_grafana(tmp_path, math), "alert-condition")
    assert "'Z'" in finding.message


def test_file_provisioning_shape_and_ruler_shape_are_read(tmp_path):
    rule = clean_grafana_rules()["rules"][0]
    provisioning = {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": "g",
                "folder": "mlmon",
                "interval": "1m",
                "rules": [{**rule, "condition": "Z"}],
            }
        ],
    }
    assert len(findings(lint_data(tmp_path, provisioning, "alerting.yml"), "alert-condition")) == 1
    ruler = {
        "name": "g",
        "interval": "1m",
        "rules": [
            {
                "for": "5m",
                "labels": rule["labels"],
                "annotations": rule["annotations"],
                "grafana_alert": {"title": rule["title"], "condition": "C", "data": rule["data"]},
            }
        ],
    }
    report = lint_data(tmp_path, ruler, "ruler.json")
    assert report.alert_rules == 1 and report.findings == []
