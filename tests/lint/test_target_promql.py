import pytest

from mlmon.lint.promql import Context, parse, substitute, variable_names
from tests.lint.support import (
    clean_dashboard,
    clean_prometheus_rules,
    findings,
    lint_data,
    set_expr,
)

RULE = "target-promql"


@pytest.mark.parametrize(
    "expr",
    [
        'model_accuracy{model_name=~"$model"}',
        'model_accuracy{model_name=~"${model:regex}"}',
        'model_accuracy{model_name=~"[[model]]"}',
        "sum(rate(api_requests_total[$__rate_interval])) by ($group)",
        "topk($n, model_accuracy)",
        "increase(daily_predictions_total[$__range] offset $shift)",
        "model_accuracy * $__range_s",
    ],
)
def test_grafana_variables_are_substituted_before_parsing(tmp_path, expr):
    dashboard = set_expr(clean_dashboard(), "Accuracy", expr)
    assert findings(lint_data(tmp_path, dashboard), RULE) == []


def test_substitution_depends_on_where_the_variable_stands():
    contexts = []
    substitute(
        'sum by ($g) (rate(x{a="$v"}[$w])) * $n',
        lambda name, ctx: contexts.append((name, ctx)) or "1",
    )
    assert contexts == [
        ("g", Context.LABEL),
        ("v", Context.QUOTED),
        ("w", Context.DURATION),
        ("n", Context.SCALAR),
    ]
    assert variable_names("${a:regex} [[b]] $c") == ["a", "b", "c"]
    parse("rate(x[$__rate_interval])")  # does not raise


@pytest.mark.parametrize(
    "expr", ["sum(rate(api_requests_total[5m])", "model_accuracy{model_name=}", "rate(x[5q])"]
)
def test_invalid_panel_query_is_reported_with_panel_and_query(tmp_path, expr):
    dashboard = set_expr(clean_dashboard(), "Accuracy", expr)
    [finding] = findings(lint_data(tmp_path, dashboard), RULE)
    assert (finding.location.panel, finding.location.query) == ("Accuracy", expr)
    assert finding.location.json_path == "panels[1].targets[0]"


def test_invalid_alert_expression_is_reported_with_rule(tmp_path):
    rules = clean_prometheus_rules()
    rules["groups"][0]["rules"][0]["expr"] = "sum(rate(api_requests_total[5m]) > 0.05"
    [finding] = findings(lint_data(tmp_path, rules, "api.rules.yml"), RULE)
    assert (finding.location.dashboard, finding.location.panel) == ("api", "HighErrorRate")
