from tests.lint.support import clean_dashboard, findings, lint_data, panel

RULE = "panel-datasource"


def test_panels_on_the_templated_datasource_pass(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_legacy_string_variable_reference_passes(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Accuracy")["datasource"] = "$datasource"
    assert findings(lint_data(tmp_path, dashboard), RULE) == []


def test_fixed_datasource_uid_is_reported_with_panel(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Accuracy")["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert (finding.location.panel, finding.location.panel_id) == ("Accuracy", 2)
    assert "P1809F7CD0C75ACF3" in finding.message


def test_default_datasource_in_a_collapsed_row_is_reported(tmp_path):
    dashboard = clean_dashboard()
    del panel(dashboard, "Drift p-values")["datasource"]
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.location.panel == "Drift p-values"


def test_mixed_panel_checks_each_prometheus_target_and_skips_loki(tmp_path):
    dashboard = clean_dashboard()
    mixed = panel(dashboard, "Accuracy")
    mixed["datasource"] = {"type": "datasource", "uid": "-- Mixed --"}
    mixed["targets"] = [
        {
            "refId": "A",
            "expr": "model_accuracy",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
        },
        {"refId": "B", "expr": '{app="api"}', "datasource": {"type": "loki", "uid": "loki"}},
    ]
    assert findings(lint_data(tmp_path, dashboard), RULE) == []
    mixed["targets"][0]["datasource"] = {"type": "prometheus", "uid": "prom-prod"}
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert "prom-prod" in finding.message
