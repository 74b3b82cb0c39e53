from mlmon.lint.findings import Level
from tests.lint.support import clean_dashboard, findings, lint_data

RULE = "uneditable-dashboard"


def test_uneditable_dashboard_passes(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_editable_dashboard_is_a_warning(tmp_path):
    dashboard = clean_dashboard()
    dashboard["editable"] = True
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.level is Level.WARNING and '"editable": true' in finding.message


def test_expectation_is_configurable(tmp_path):
    dashboard = clean_dashboard()
    dashboard["editable"] = True
    config = "rules:\n  uneditable-dashboard: {editable: true}\n"
    assert findings(lint_data(tmp_path, dashboard, config=config), RULE) == []
    config = "rules:\n  uneditable-dashboard: {enabled: false}\n"
    dashboard["editable"] = False
    assert findings(lint_data(tmp_path, dashboard, config=config), RULE) == []
