"""Dashboards shaped like Grafana 10-12 exports lint without crashing, and the findings are the expected ones."""

import pytest

from mlmon.lint import lint_paths
from tests.lint.support import FIXTURES

REALWORLD = sorted((FIXTURES / "realworld").glob("*.json"))


@pytest.mark.parametrize("path", REALWORLD, ids=[p.stem for p in REALWORLD])
def test_realworld_dashboard_lints_without_crashing(path):
    report = lint_paths([path])
    assert report.dashboards == 1
    assert all(f.location.file == path and f.message for f in report.findings)


def _rules_by_panel(name):
    report = lint_paths([FIXTURES / "realworld" / name])
    found: dict[str | None, set[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.location.panel, set()).add(finding.rule)
    return found


def test_legacy_export_findings():
    found = _rules_by_panel("grafana10-node-legacy.json")
    assert "panel-datasource" in found["CPU Basic"]  # legacy string datasource "Prometheus"
    assert "panel-datasource" in found["Uptime"]  # null: the default datasource
    assert "panel-datasource" not in found.get(
        "CPU Busy", set()
    )  # "$DS_PROMETHEUS" is a datasource variable here
    assert "catalog-metric" in found[None]  # node_exporter metrics: one finding for the dashboard
    assert "" not in found  # the untitled text panel shows no data and needs no title


def test_shared_export_findings_include_nested_rows_and_skip_library_and_loki():
    found = _rules_by_panel("grafana11-shared-export.json")
    assert "template-datasource" in found[None]
    assert {"target-counter-agg", "panel-units"} <= found[
        "5xx"
    ]  # inside a row nested in a collapsed row
    assert found["Errors and logs"] == {
        "panel-datasource"
    }  # ${DS_PROMETHEUS} input; the Loki target is skipped
    assert "Shared latency" not in found


def test_api_response_shape_is_unwrapped_and_clean():
    report = lint_paths([FIXTURES / "realworld" / "grafana12-api-response.json"])
    assert report.findings == []


def test_legacy_rows_dashboard_is_linted(tmp_path):
    from tests.lint.support import findings, lint_data

    legacy = {
        "title": "Legacy",
        "schemaVersion": 14,
        "rows": [
            {
                "title": "Old row",
                "panels": [
                    {
                        "id": 1,
                        "type": "graph",
                        "span": 6,
                        "title": "Old graph",
                        "datasource": "$datasource",
                        "yaxes": [{"format": "short"}],
                        "targets": [{"refId": "A", "expr": "model_acuracy"}],
                    }
                ],
            }
        ],
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]
        },
    }
    report = lint_data(tmp_path, legacy)
    [finding] = findings(report, "catalog-metric")
    assert (
        finding.location.panel == "Old graph"
        and finding.location.json_path == "rows[0].panels[0].targets[0]"
    )
    assert not [f for f in report.findings if f.rule.startswith("layout-")]
