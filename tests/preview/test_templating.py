"""Variables and Grafana's interval macros expanded into PromQL as Grafana's Prometheus data source does."""

from __future__ import annotations

import pytest

from mlmon.preview import templating, timerange

DASHBOARD = {
    "templating": {
        "list": [
            {"name": "datasource", "type": "datasource"},
            {
                "name": "model",
                "type": "query",
                "query": "label_values(model_info, model_name)",
                "multi": True,
                "includeAll": True,
                "allValue": ".*",
                "current": {"text": ["All"], "value": ["$__all"]},
            },
            {
                "name": "feature",
                "type": "query",
                "query": 'label_values(data_drift_pvalue{model_name=~"$model"}, feature)',
                "multi": True,
                "includeAll": True,
                "current": {"text": ["All"], "value": ["$__all"]},
            },
        ]
    }
}


def resolve(overrides=None, calls=None):
    def label_values(label, match):
        if calls is not None:
            calls.append((label, match))
        return ["size.sqft", "bedrooms"]

    builtins = templating.builtin_macros(3600, 15, 60)
    return templating.resolve_variables(
        DASHBOARD, overrides or {}, label_values, builtins
    ), builtins


def test_all_with_an_all_value_is_that_regex_and_all_without_is_every_value_escaped():
    calls: list = []
    variables, builtins = resolve(calls=calls)
    expr = 'rate(x{model_name=~"$model", feature=~"${feature}"}[$__rate_interval])'
    assert templating.expand(expr, variables, builtins) == (
        'rate(x{model_name=~".*", feature=~"(bedrooms|size\\\\.sqft)"}[1m])'
    )
    # The feature options were looked up with the model variable already expanded.
    assert calls == [("feature", 'data_drift_pvalue{model_name=~".*"}')]


def test_selected_values_replace_the_dashboards_current_ones():
    variables, builtins = resolve({"model": ["house_price"], "feature": ["bedrooms", "bathrooms"]})
    expr = 'x{model_name=~"$model", feature=~"$feature"}'
    assert (
        templating.expand(expr, variables, builtins)
        == 'x{model_name=~"house_price", feature=~"(bedrooms|bathrooms)"}'
    )
    assert variables["feature"].display() == "bedrooms, bathrooms"


def test_builtin_macros():
    builtins = templating.builtin_macros(3600, 15, 60)
    text = "increase(x[$__range]) / $__range_s + $__interval_ms + rate(y[$__interval])"
    assert templating.expand(text, {}, builtins) == "increase(x[1h]) / 3600 + 15000 + rate(y[15s])"


def test_an_undefined_variable_is_reported():
    with pytest.raises(templating.UnknownVariable):
        templating.expand('x{a="$nope"}', {}, {})


@pytest.mark.parametrize(
    ("range_seconds", "points", "scrape", "interval", "rate"),
    [
        (3600, 500, 15, 15, 60),  # 7.2 s rounds to 5 s, never below the scrape interval
        (3600, 500, 2, 5, 8),  # the demo's 2 s scrapes: 5 s steps, rate over 4 scrapes
        (6 * 3600, 400, 15, 60, 75),  # 54 s rounds to 1 m; rate over the step plus one scrape
        (86400, 1000, 15, 60, 75),
    ],
)
def test_interval_and_rate_interval_as_grafana_computes_them(
    range_seconds, points, scrape, interval, rate
):
    step = timerange.panel_interval(range_seconds, points, scrape)
    assert step == interval
    assert timerange.rate_interval(step, scrape) == rate


def test_legend_format_and_grafanas_default_series_name():
    labels = {"__name__": "up", "job": "api", "instance": "a:1"}
    assert templating.legend("{{job}} {{ instance }}", labels, "expr") == "api a:1"
    assert templating.legend("{{missing}}x", labels, "expr") == "x"
    assert templating.legend("", labels, "expr") == 'up{instance="a:1", job="api"}'
    assert templating.legend(None, {}, "sum(up)") == "sum(up)"


def test_time_range_parsing():
    now = 1_800_000_000.0
    assert timerange.TimeRange.parse("1h", "now", now=now).seconds == 3600
    assert timerange.TimeRange.parse("now-30m", "now-5m", now=now).seconds == 1500
    assert timerange.parse_time("2027-01-15T08:00:00Z", now) == 1_800_000_000.0
    assert (
        timerange.parse_time("2027-01-15T07:00:00", now) == 1_800_000_000.0 - 3600
    )  # naive means UTC
    assert timerange.TimeRange.parse("6h", now=now).label() == "Last 6 hours"
    with pytest.raises(timerange.TimeRangeError):
        timerange.parse_time("last tuesday", now)
