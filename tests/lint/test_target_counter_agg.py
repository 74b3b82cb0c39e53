import pytest

from tests.lint.support import (
    clean_dashboard,
    clean_prometheus_rules,
    findings,
    lint_data,
    set_expr,
)

RULE = "target-counter-agg"


@pytest.mark.parametrize(
    "expr",
    [
        "sum(rate(api_requests_total[$__rate_interval]))",
        "increase(daily_predictions_total[1d])",
        "count(api_requests_total)",
        "model_accuracy",
        "sum(rate(api_request_duration_seconds_count[$__rate_interval]))",
    ],
)
def test_counters_inside_rate_and_gauges_pass(tmp_path, expr):
    dashboard = set_expr(clean_dashboard(), "Error ratio", expr)
    assert findings(lint_data(tmp_path, dashboard), RULE) == []


@pytest.mark.parametrize(
    "expr, counter",
    [
        ("sum(api_requests_total)", "api_requests_total"),
        ("api_request_duration_seconds_count", "api_request_duration_seconds_count"),
        (
            "rate(api_requests_total[$__rate_interval]) / exporter_cycles_total",
            "exporter_cycles_total",
        ),
        ("some_unknown_total", "some_unknown_total"),
    ],
)
def test_raw_counters_are_errors(tmp_path, expr, counter):
    dashboard = set_expr(clean_dashboard(), "Error ratio", expr)
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert counter in finding.message and finding.location.panel == "Error ratio"


def test_alert_expressions_are_checked(tmp_path):
    rules = clean_prometheus_rules()
    rules["groups"][0]["rules"][0]["expr"] = "daily_predictions_total < 10"
    [finding] = findings(lint_data(tmp_path, rules, "api.rules.yml"), RULE)
    assert finding.location.panel == "HighErrorRate"
