from mlmon.lint.findings import Level
from tests.lint.support import clean_dashboard, findings, lint_data

RULE = "template-datasource"


def test_dashboard_with_datasource_variable_passes(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_dashboard_without_datasource_variable_is_an_error(tmp_path):
    dashboard = clean_dashboard()
    dashboard["templating"]["list"] = [
        v for v in dashboard["templating"]["list"] if v["type"] != "datasource"
    ]
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.level is Level.ERROR
    assert finding.location.dashboard == "Fixture: model service"
    assert "datasource" in finding.hint


def test_dashboard_without_prometheus_queries_needs_no_variable(tmp_path):
    dashboard = {
        "title": "Notes",
        "panels": [
            {"id": 1, "type": "text", "title": "Hello", "gridPos": {"x": 0, "y": 0, "w": 6, "h": 3}}
        ],
    }
    assert findings(lint_data(tmp_path, dashboard), RULE) == []
