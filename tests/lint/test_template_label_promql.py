import pytest

from tests.lint.support import clean_dashboard, findings, lint_data

RULE = "template-label-promql"


def _with_query(query):
    dashboard = clean_dashboard()
    dashboard["templating"]["list"][1]["query"] = query
    return dashboard


@pytest.mark.parametrize(
    "query",
    [
        "label_values(model_accuracy, model_name)",
        'label_values(model_accuracy{version=~".+"}, model_name)',
        "label_values(model_name)",
        {"query": "query_result(topk(5, model_accuracy))", "refId": "A"},
        "label_names()",
        "metrics(model_.*)",
    ],
)
def test_valid_variable_queries_pass(tmp_path, query):
    assert findings(lint_data(tmp_path, _with_query(query)), RULE) == []


@pytest.mark.parametrize(
    "query, says",
    [
        ("label_values(model_accuracy{model_name=}, model_name)", "label_values"),
        ("model_accuracy", "not a Prometheus variable query"),
        ("label_values(model_accuracy, 'model name')", "not a label name"),
        ("query_result(sum(rate(x[5m]))", "query_result"),
        ("", "empty query"),
    ],
)
def test_invalid_variable_queries_are_reported_on_the_variable(tmp_path, query, says):
    [finding] = findings(lint_data(tmp_path, _with_query(query)), RULE)
    assert finding.location.panel == "$model"
    assert "model" in finding.message
