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


def test_naming_convention_uses_the_short_name_of_a_plugin_id(tmp_path):
    dashboard = {
        "title": "Orders",
        "templating": {
            "list": [
                {
                    "name": "sql",
                    "label": "SQL",
                    "type": "datasource",
                    "query": "grafana-postgresql-datasource",
                }
            ]
        },
    }
    messages = [f.message for f in findings(lint_data(tmp_path, dashboard), RULE)]
    assert messages == [
        "datasource variable is named 'sql', expected 'datasource' or 'postgresql_datasource'",
        "datasource variable is labelled 'SQL', expected 'Data source' or 'Postgresql data source'",
    ]
    assert all(f.level is Level.WARNING for f in findings(lint_data(tmp_path, dashboard), RULE))


def test_naming_convention_can_be_switched_off(tmp_path):
    dashboard = clean_dashboard()
    dashboard["templating"]["list"][0].update(name="ds", label="Datasource")
    assert len(findings(lint_data(tmp_path, dashboard), RULE)) == 2
    config = "rules:\n  template-datasource: {naming: false}\n"
    assert findings(lint_data(tmp_path, dashboard, config=config), RULE) == []
