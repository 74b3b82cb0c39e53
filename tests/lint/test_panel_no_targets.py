from mlmon.lint.findings import Level
from tests.lint.support import clean_dashboard, findings, lint_data, panel

RULE = "panel-no-targets"


def test_panels_with_targets_and_text_panels_pass(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_data_panel_without_targets_is_an_error(tmp_path):
    dashboard = clean_dashboard()
    panel(dashboard, "Error ratio")["targets"] = []
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.level is Level.ERROR
    assert finding.location.panel == "Error ratio"


def test_library_panel_reference_is_not_reported(tmp_path):
    dashboard = clean_dashboard()
    dashboard["panels"].append(
        {
            "id": 20,
            "gridPos": {"x": 0, "y": 40, "w": 12, "h": 8},
            "libraryPanel": {"uid": "lib-1", "name": "Shared latency"},
        }
    )
    assert findings(lint_data(tmp_path, dashboard), RULE) == []
