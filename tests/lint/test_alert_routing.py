"""alert-routing: routes, rules and templates of the generated tree agree, and each kind of mistake is found."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from mlmon.lint.engine import lint_paths
from mlmon.lint.rules.alert_routing import load_tree
from tests.support.processes import ROOT


def _tree(tmp_path: Path) -> Path:
    alerts = tmp_path / "generated" / "alerts"
    shutil.copytree(ROOT / "generated" / "alerts", alerts)
    load_tree.cache_clear()
    return alerts


def _edit(alerts: Path, change) -> None:
    path = alerts / "alertmanager" / "alertmanager.yml"
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document))
    load_tree.cache_clear()


def _findings(alerts: Path) -> list:
    return [f for f in lint_paths([alerts.parent]).findings if f.rule == "alert-routing"]


def test_the_project_tree_is_clean(tmp_path):
    assert _findings(_tree(tmp_path)) == []


def test_a_route_no_rule_can_reach_is_reported(tmp_path):
    alerts = _tree(tmp_path)
    _edit(
        alerts,
        lambda d: d["route"]["routes"].append({"receiver": "ml-team", "matchers": ['team="mll"']}),
    )
    found = _findings(alerts)
    assert len(found) == 1 and 'team="mll"' in found[0].message
    assert found[0].location.json_path == "route.routes[3]"


def test_a_rule_routed_into_a_black_hole_is_reported(tmp_path):
    alerts = _tree(tmp_path)

    def silence_ml_team(document: dict) -> None:
        for receiver in document["receivers"]:
            if receiver["name"] == "ml-team":
                receiver.pop("webhook_configs")
                receiver.pop("slack_configs")

    _edit(alerts, silence_ml_team)
    titles = {f.location.panel for f in _findings(alerts)}
    # Warnings of the ML team are lost; its critical alert still pages (continue: true).
    assert titles == {"DataDriftDetected", "DataQualityLow", "SchemaViolations", "ModelErrorHigh"}


def test_a_reasoned_exclusion_silences_it(tmp_path):
    alerts = _tree(tmp_path)
    _edit(
        alerts,
        lambda d: (
            d["route"]["routes"].insert(
                0, {"receiver": "drop", "matchers": ['alertname="DataDriftDetected"']}
            )
            or d["receivers"].append({"name": "drop"})
        ),
    )
    assert {f.location.panel for f in _findings(alerts)} == {"DataDriftDetected"}
    (tmp_path / ".mlmon-lint.yml").write_text(
        "exclusions:\n  - rule: alert-routing\n    panel: DataDriftDetected\n    reason: drift is reviewed weekly from the dashboard\n"
    )
    assert _findings(alerts) == []


def test_unknown_template_variables_are_reported(tmp_path):
    alerts = _tree(tmp_path)
    template = alerts / "alertmanager" / "templates" / "mlmon.tmpl"
    template.write_text(
        template.read_text()
        + '{{ define "extra" }}{{ .CommonLabels.modle_name }} {{ .Annotations.runbok }} {{ .Sttus }}{{ end }}\n'
    )
    load_tree.cache_clear()
    messages = sorted(f.message for f in _findings(alerts))
    assert len(messages) == 3
    assert "modle_name" in messages[0] or any("modle_name" in m for m in messages)
    assert any("runbok" in m for m in messages) and any(".Sttus" in m for m in messages)
