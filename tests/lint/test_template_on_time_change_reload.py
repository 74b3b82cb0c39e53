from mlmon.lint.findings import Level
from tests.lint.support import clean_dashboard, findings, lint_data

RULE = "template-on-time-change-reload"


def test_query_variable_reloading_on_time_change_passes(tmp_path):
    assert findings(lint_data(tmp_path, clean_dashboard()), RULE) == []


def test_query_variable_loaded_once_is_a_warning(tmp_path):
    dashboard = clean_dashboard()
    dashboard["templating"]["list"][1]["refresh"] = 1
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.level is Level.WARNING
    assert finding.location.panel == "$model"
    assert "refresh=1" in finding.message
