from tests.lint.support import clean_dashboard, findings, lint_data, panel

RULE = "panel-units"


def test_panels_with_units_pass(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_timeseries_without_unit_is_reported(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Request latency p95")["fieldConfig"]["defaults"] = {}
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.location.panel == "Request latency p95"
    assert "timeseries panel has no unit" in finding.message


def test_legacy_graph_reads_the_left_axis_format(tmp_path):
    dashboard = clean_dashboard()
    graph = panel(dashboard, "Accuracy")
    graph.update(type="graph", yaxes=[{"format": "percentunit"}, {"format": "short"}])
    del graph["fieldConfig"]
    assert findings(lint_data(tmp_path, dashboard), RULE) == []
    graph["yaxes"][0]["format"] = None
    assert len(findings(lint_data(tmp_path, dashboard), RULE)) == 1


def test_text_and_table_panels_need_no_unit(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Accuracy").update(type="table", fieldConfig={"defaults": {}})
    assert findings(lint_data(tmp_path, dashboard), RULE) == []
