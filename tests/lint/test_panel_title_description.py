from mlmon.lint.findings import Level
from tests.lint.support import clean_dashboard, findings, lint_data, panel

RULE = "panel-title-description"


def test_titled_and_described_panels_pass(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_missing_description_is_a_warning(tmp_path):
    dashboard = clean_dashboard()
    del panel(dashboard, "Error ratio")["description"]
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.level is Level.WARNING
    assert finding.location.panel == "Error ratio"
    assert "no description" in finding.message


def test_missing_title_and_description_in_a_collapsed_row(tmp_path):
    dashboard = clean_dashboard()
    nested = panel(dashboard, "Drift p-values")
    nested["title"], nested["description"] = "", ""
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.location.panel_id == 8
    assert "no title and no description" in finding.message
