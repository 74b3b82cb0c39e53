"""layout-grid-bounds, layout-overlap, layout-hidden-panel, layout-unique-titles."""

import pytest

from tests.lint.support import clean_dashboard, findings, lint_data, panel


def test_clean_layout_passes(tmp_path):
    report = lint_data(tmp_path, clean_dashboard())
    assert [f for f in report.findings if f.rule.startswith("layout-")] == []


@pytest.mark.parametrize(
    "grid",
    [
        {"x": 16, "y": 1, "w": 12, "h": 8},
        {"x": -1, "y": 1, "w": 12, "h": 8},
        {"x": 0, "y": 1, "w": 0, "h": 8},
    ],
)
def test_panel_outside_the_grid_is_reported(tmp_path, grid):
    dashboard = clean_dashboard()
    panel(dashboard, "Accuracy")["gridPos"] = grid
    [finding] = findings(lint_data(tmp_path, dashboard), "layout-grid-bounds")
    assert finding.location.panel == "Accuracy"


def test_panel_without_grid_position_is_reported(tmp_path):
    dashboard = clean_dashboard()
    del panel(dashboard, "Drift p-values")["gridPos"]
    [finding] = findings(lint_data(tmp_path, dashboard), "layout-grid-bounds")
    assert finding.location.panel == "Drift p-values"


def test_overlapping_panels_are_reported(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Request latency p95")["gridPos"] = {"x": 6, "y": 4, "w": 12, "h": 8}
    problems = findings(lint_data(tmp_path, dashboard), "layout-overlap")
    assert [(f.location.panel, "'Accuracy'" in f.message) for f in problems][0] == (
        "Request latency p95",
        True,
    )


def test_panels_in_a_collapsed_row_do_not_overlap_the_top_level(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Drift p-values")["gridPos"] = {"x": 0, "y": 16, "w": 24, "h": 8}
    dashboard["panels"].append(
        {"id": 30, "type": "text", "title": "Footer", "gridPos": {"x": 0, "y": 16, "w": 24, "h": 2}}
    )
    assert findings(lint_data(tmp_path, dashboard), "layout-overlap") == []


def test_expanded_row_holding_panels_hides_them(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Data drift")["collapsed"] = False
    [finding] = findings(lint_data(tmp_path, dashboard), "layout-hidden-panel")
    assert finding.location.panel == "Data drift" and "'Drift p-values'" in finding.message


def test_collapsed_row_panel_keeps_any_y_because_grafana_rebases_it(tmp_path):
    # Grafana moves a collapsed row's panels below the row when it is expanded, whatever
    # their saved y: the real-dashboard corpus had 99 false "above its row" findings.
    dashboard = clean_dashboard()
    panel(dashboard, "Drift p-values")["gridPos"]["y"] = 2
    assert findings(lint_data(tmp_path, dashboard), "layout-hidden-panel") == []


def test_rows_nested_in_collapsed_rows_are_linted(tmp_path):
    dashboard = clean_dashboard()
    row = panel(dashboard, "Data drift")
    row["panels"].append(
        {
            "id": 40,
            "type": "row",
            "title": "Inner",
            "collapsed": True,
            "gridPos": {"x": 0, "y": 24, "w": 24, "h": 1},
            "panels": [
                {
                    "id": 41,
                    "type": "timeseries",
                    "title": "Buried",
                    "gridPos": {"x": 0, "y": 25, "w": 30, "h": 4},
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "targets": [{"refId": "A", "expr": "model_acuracy"}],
                }
            ],
        }
    )
    report = lint_data(tmp_path, dashboard)
    buried = {f.rule for f in report.findings if f.location.panel == "Buried"}
    assert {
        "layout-grid-bounds",
        "catalog-metric",
        "panel-units",
        "panel-title-description",
    } <= buried


def test_duplicate_titles_are_reported(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Drift p-values")["title"] = "Accuracy"
    [finding] = findings(lint_data(tmp_path, dashboard), "layout-unique-titles")
    assert finding.location.panel_id == 8 and "panels[1]" in finding.message
