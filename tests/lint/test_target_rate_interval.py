import pytest

from mlmon.lint.findings import Level
from tests.lint.support import (
    clean_dashboard,
    clean_prometheus_rules,
    findings,
    lint_data,
    set_expr,
)

RULE = "target-rate-interval"


@pytest.mark.parametrize(
    "expr",
    [
        "sum(rate(api_requests_total[$__rate_interval]))",
        "irate(api_requests_total[${__rate_interval}])",
        "increase(daily_predictions_total[1d])",
        "increase(daily_predictions_total[$__range])",
    ],
)
def test_rate_interval_and_business_windows_pass(tmp_path, expr):
    dashboard = set_expr(clean_dashboard(), "Error ratio", expr)
    assert findings(lint_data(tmp_path, dashboard), RULE) == []


@pytest.mark.parametrize(
    "expr, written",
    [
        ("sum(rate(api_requests_total[5m]))", "5m"),
        ("irate(api_requests_total[$__interval])", "$__interval"),
        ("increase(api_requests_total[10m])", "10m"),
        ("rate(api_requests_total[$window])", "a dashboard variable"),
    ],
)
def test_fixed_or_interval_windows_are_warnings(tmp_path, expr, written):
    dashboard = set_expr(clean_dashboard(), "Error ratio", expr)
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert finding.level is Level.WARNING
    assert f"[{written}]" in finding.message


def test_alert_rules_are_not_checked(tmp_path):
    assert findings(lint_data(tmp_path, clean_prometheus_rules(), "api.rules.yml"), RULE) == []
