"""What the live check queries: alert conditions stripped, variables expanded as the dashboard opens."""

import pytest

from mlmon.lint.live import _current, live_parts
from mlmon.lint.promql import parse


@pytest.mark.parametrize(
    "expr, groups",
    [
        ("model_accuracy < 0.8", [["model_accuracy"]]),
        ("0.8 > model_accuracy", [["model_accuracy"]]),
        (
            "(drift_columns_count > 0) and on (model_name) (model_info == 1)",
            [["drift_columns_count"], ["model_info"]],
        ),
        ('absent(up{job="exporter"})', [["up"]]),
        ("absent_over_time(up[5m])", [["up"]]),
        ("sum(rate(api_requests_total[5m])) or vector(0)", []),
        ("model_accuracy or model_mae > 3", [["model_accuracy", "model_mae"]]),
        ("model_accuracy > bool 0.8", [["model_accuracy"]]),
        ("model_accuracy unless model_info", [["model_accuracy"]]),
        (
            "time() - exporter_last_success_timestamp_seconds > 300",
            [["exporter_last_success_timestamp_seconds"]],
        ),
    ],
)
def test_conditions_are_stripped_before_querying(expr, groups):
    found = [[str(alternative) for alternative in group] for group in live_parts(parse(expr))]
    assert [
        [want in got for want, got in zip(wanted, group)] for wanted, group in zip(groups, found)
    ] == [[True] * len(g) for g in groups]
    assert [len(g) for g in found] == [len(g) for g in groups]


@pytest.mark.parametrize(
    "current, value",
    [
        ({"text": "All", "value": "$__all"}, None),
        ({"text": "house", "value": "house"}, "house"),
        ({"text": ["a", "b"], "value": ["a", "b"]}, "(a|b)"),
        ({"value": ["$__all"]}, None),
        (None, None),
    ],
)
def test_saved_current_values(current, value):
    assert _current(current) == value
