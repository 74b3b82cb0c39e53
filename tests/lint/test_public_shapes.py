"""No false positives on dashboards shaped like public ones, and real problems in them still caught.

The fixtures (tests/lint/fixtures/public-shapes/) are our own dashboards in the
shapes of Node Exporter Full, the kubernetes-mixin dashboards and a service
overview mixing Loki, SQL and Grafana's built-in datasources: collapsed rows whose
panels were saved above the row, repeated rows and panels with the copies Grafana
saves, library panels, $datasource and ${datasource}, legacy string datasources,
text stats and value mappings, and a dashboard without "panels".

The catalog rules are left out here: whether they apply to a dashboard the project
does not own is their own configuration (see the catalog docs).
"""

from __future__ import annotations

import copy
import json

import pytest

from mlmon.cli import main
from mlmon.lint import lint_paths
from mlmon.lint.dashboard import Dashboard
from tests.lint.support import FIXTURES, findings, lint_data, panel

SHAPES = sorted((FIXTURES / "public-shapes").glob("*.json"))


def _load(name: str) -> dict:
    return json.loads((FIXTURES / "public-shapes" / name).read_text())


@pytest.mark.parametrize("path", SHAPES, ids=[p.stem for p in SHAPES])
def test_public_shape_has_no_findings_outside_the_catalog_rules(path):
    report = lint_paths([path])
    assert report.dashboards == 1
    noise = [f for f in report.findings if not f.rule.startswith("catalog-")]
    assert noise == [], "\n".join(f"{f.rule} {f.location.panel!r}: {f.message}" for f in noise)


def test_dashboard_without_panels_is_linted_not_refused(capsys):
    code = main(["lint", str(FIXTURES / "public-shapes" / "empty-without-panels.json")])
    assert code == 0
    assert "0 errors, 0 warnings in 1 file (1 dashboards" in capsys.readouterr().out


def test_repeat_copies_are_left_out_and_the_originals_linted(tmp_path):
    data = _load("kubernetes-mixin-namespace.json")
    linted = Dashboard(tmp_path / "d.json", data).panels
    titles = [p.title for p in linted]
    assert titles.count("Pods in $namespace") == titles.count("Namespace $namespace") == 1
    # the original still counts: a bad query in it is reported once
    panel(data, "Pods in $namespace")["targets"][0]["expr"] = "sum(rate(kube_pod_info[5m]))"
    assert len(findings(lint_data(tmp_path, data), "target-rate-interval")) == 1


def test_collapsed_row_panels_saved_above_the_row_are_fine_but_an_expanded_row_hiding_them_is_not(
    tmp_path,
):
    data = _load("node-exporter-full.json")
    assert findings(lint_data(tmp_path, data), "layout-hidden-panel") == []
    panel(data, "Memory Meminfo")["collapsed"] = False
    [finding] = findings(lint_data(tmp_path, data), "layout-hidden-panel")
    assert finding.location.panel == "Memory Meminfo" and "'Memory Commited'" in finding.message


def test_both_variable_spellings_count_as_templated_and_a_fixed_uid_does_not(tmp_path):
    data = _load("node-exporter-full.json")
    spellings = {json.dumps(panel(data, t)["datasource"]) for t in ("RAM Used", "Kernel", "CPU")}
    assert len(spellings) == 3  # "$datasource", "${datasource}" and the object form
    panel(data, "Kernel")["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    [finding] = findings(lint_data(tmp_path, data), "panel-datasource")
    assert finding.location.panel == "Kernel"


def test_non_prometheus_queries_are_skipped_but_prometheus_ones_beside_them_are_checked(tmp_path):
    data = _load("logs-sql-builtins.json")
    mixed = panel(data, "Errors: metrics and logs")
    # the Loki target already uses [5m]; make the Prometheus one wrong too
    mixed["targets"][0]["expr"] = mixed["targets"][0]["expr"].replace("$__rate_interval", "5m")
    found = findings(lint_data(tmp_path, data), "target-rate-interval")
    assert [(f.location.panel, f.location.json_path) for f in found] == [
        ("Errors: metrics and logs", "panels[3].targets[0]")
    ]


def test_loki_panel_on_a_fixed_datasource_is_not_a_prometheus_finding(tmp_path):
    data = _load("logs-sql-builtins.json")
    panel(data, "Error logs")["datasource"] = {"type": "loki", "uid": "loki-prod"}
    panel(data, "Error logs")["targets"][0]["datasource"] = {"type": "loki", "uid": "loki-prod"}
    report = lint_data(tmp_path, data)
    assert [f for f in report.findings if not f.rule.startswith("catalog-")] == []


def test_a_reference_to_a_missing_panel_is_still_caught(tmp_path):
    data = copy.deepcopy(_load("logs-sql-builtins.json"))
    panel(data, "Error lines by level")["targets"][0]["panelId"] = 99
    [finding] = findings(lint_data(tmp_path, data), "target-promql")
    assert "panel id 99" in finding.message


def test_recording_rule_totals_and_prometheus_2_functions_are_not_misreported(tmp_path):
    data = _load("kubernetes-mixin-namespace.json")
    panel(data, "CPU Usage")["targets"][0]["expr"] = (
        'sum(aggregation:kubelet:running_pod_total{cluster="$cluster"})'
        ' + holt_winters(sum(kube_pod_info{cluster="$cluster"})[1h:5m], 0.1, 0.5)'
    )
    report = lint_data(tmp_path, data)
    assert findings(report, "target-counter-agg") == findings(report, "target-promql") == []
    panel(data, "CPU Usage")["targets"][0]["expr"] = (
        'sum(kube_pod_restarts_total{cluster="$cluster"})'
    )
    assert len(findings(lint_data(tmp_path, data), "target-counter-agg")) == 1


def test_series_query_variable_warns_unless_a_regex_extracts_the_value(tmp_path):
    data = _load("kubernetes-mixin-namespace.json")
    variable = data["templating"]["list"][1]
    variable["query"] = {"query": 'kube_node_info{cluster="$cluster"}', "refId": "A"}
    [finding] = findings(lint_data(tmp_path, data), "template-label-promql")
    assert finding.level.value == "warning"
    variable["regex"] = '/node="(?<value>[^"]+)"/'
    assert findings(lint_data(tmp_path, data), "template-label-promql") == []
