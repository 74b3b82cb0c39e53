"""The query builder: PromQL that parses, from the catalog only, with errors that say what to fix."""

from __future__ import annotations

import re

import promql_parser
import pytest

from exporter.catalog import METRICS, MetricType, Unit
from mlmon.dsl import query as q
from mlmon.dsl.query import Ne, NotRe, Re
from mlmon.errors import CatalogError, SourceError


def parses(expr: q.Expr) -> str:
    """The PromQL text, after checking Prometheus' own grammar accepts it (variables substituted)."""
    text = str(expr)
    concrete = (
        text.replace("$__rate_interval", "1m").replace("$model", "m").replace("$version", "v")
    )
    promql_parser.parse(concrete)
    return text


def test_rate_of_a_counter_summed_by_a_label():
    expr = q.rate("api_requests_total", by=("endpoint",))
    assert parses(expr) == "sum by (endpoint) (rate(api_requests_total[$__rate_interval]))"
    assert expr.per_second and expr.unit is Unit.COUNT and expr.labels == {"endpoint"}


def test_fixed_windows_for_alerts():
    assert (
        parses(q.increase("daily_predictions_total", "1d"))
        == "increase(daily_predictions_total[1d])"
    )
    assert (
        parses(q.rate("api_requests_total", "5m", status=Re("5..")))
        == 'rate(api_requests_total{status=~"5.."}[5m])'
    )


def test_histogram_quantile_goes_through_buckets_and_le():
    expr = q.histogram_quantile(0.95, "api_request_duration_seconds", by=("endpoint",), window="5m")
    assert parses(expr) == (
        "histogram_quantile(0.95, sum by (le, endpoint) "
        "(rate(api_request_duration_seconds_bucket[5m])))"
    )
    assert expr.unit is Unit.SECONDS


def test_grafana_variables_become_regex_matchers():
    expr = q.series("model_accuracy", model_name="$model", version="$version")
    assert parses(expr) == 'model_accuracy{model_name=~"$model", version=~"$version"}'


def test_matcher_kinds_and_escaping():
    expr = q.series(
        "api_requests_total", method=Ne("GET"), endpoint=NotRe(r"/health|/metrics\.txt")
    )
    assert parses(expr) == r'api_requests_total{method!="GET", endpoint!~"/health|/metrics\\.txt"}'


def test_error_ratio_is_a_ratio_and_comparison_keeps_it():
    errors = q.rate("api_requests_total", status=Re("5..")).sum()
    ratio = errors / q.rate("api_requests_total").sum()
    assert ratio.unit is Unit.RATIO
    alert = ratio > 0.05
    assert parses(alert).endswith("> 0.05") and alert.unit is Unit.RATIO


def test_precedence_parenthesises_only_where_needed():
    a, b, c = q.number(3), q.number(2), q.number(1)
    assert str(a - (b - c)) == "3 - (2 - 1)"
    assert str((a - b) - c) == "3 - 2 - 1"
    assert str((a + b) * c) == "(3 + 2) * 1"


def test_vector_matching_checks_shared_labels():
    expr = q.series("model_mae").and_(
        q.series("model_info", task="regression"), on=("model_name", "version")
    )
    assert parses(expr) == 'model_mae and on (model_name, version) model_info{task="regression"}'
    with pytest.raises(CatalogError, match="task"):
        q.series("model_mae").binop("*", q.series("model_info"), on=("task",))


def test_age_from_a_timestamp_is_seconds():
    age = q.time() - q.series("exporter_last_success_timestamp_seconds")
    assert parses(age) == "time() - exporter_last_success_timestamp_seconds"
    assert age.unit is Unit.SECONDS


def test_label_values_variable_query():
    assert q.label_values("model_info", "model_name") == "label_values(model_info, model_name)"
    with pytest.raises(CatalogError, match="did you mean model_name"):
        q.label_values("model_info", "model_nam")


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: q.series("model_acuracy"), "did you mean model_accuracy"),
        (lambda: q.series("api_requests_total", stauts="200"), "did you mean status"),
        (lambda: q.series("api_requests_total", status="6xx"), "can never match"),
        (lambda: q.series("api_requests_total", method=Re("GET|FETCH")), "FETCH"),
        (lambda: q.rate("model_accuracy"), "needs a counter"),
        (lambda: q.rate("api_requests_total", by=("model",)), "label 'model'"),
        (lambda: q.histogram_quantile(0.9, "model_mae"), "needs a histogram"),
        (lambda: q.series("api_request_duration_seconds"), "is a histogram"),
    ],
)
def test_catalog_errors_say_what_to_fix(build, message):
    with pytest.raises(CatalogError, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: q.rate("api_requests_total", "5 minutes"),
        lambda: q.histogram_quantile(1.5, "api_request_duration_seconds"),
        lambda: q.sum("api_active_requests", by="endpoint"),
        lambda: q.number(1).and_(q.series("api_active_requests")),
    ],
)
def test_malformed_queries_are_source_errors(build):
    with pytest.raises(SourceError):
        build()


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_every_catalog_metric_has_a_parseable_query(metric):
    if metric.type is MetricType.COUNTER:
        expr = q.rate(metric.name, by=metric.labels)
    elif metric.type is MetricType.HISTOGRAM:
        expr = q.histogram_quantile(0.5, metric.name, by=metric.labels)
    else:
        expr = q.max(metric.name, by=metric.labels)
    assert metric.name in parses(expr) and expr.metrics == {metric.name}


def test_or_vector_zero_turns_no_series_into_zero():
    expr = q.sum(q.series("data_drift_test_skipped")).or_(q.vector(0))
    assert parses(expr) == "sum(data_drift_test_skipped) or vector(0)"


def test_summing_flags_counts_them():
    assert q.sum(q.series("data_drift_detected")).unit is Unit.COUNT
    assert q.max(q.series("data_drift_detected")).unit is Unit.BOOLEAN


def test_up_is_prometheus_scrape_health_outside_the_catalog():
    expr = q.up("model-exporter")
    assert expr.text == 'up{job="model-exporter"}'
    assert expr.labels == frozenset({"job", "instance"})
    with pytest.raises(SourceError, match="not a usable job name"):
        q.up('bad"job')


# ------------------------------------------------------- q.promql: raw PromQL, parsed and checked


def test_promql_keeps_the_text_and_checks_it_against_the_catalog():
    text = 'sum by (endpoint) (rate(api_requests_total{status=~"5.."}[$__rate_interval]))'
    expr = q.promql(text)
    assert expr.text == text and expr.metrics == {"api_requests_total"} and expr.labels is None
    assert q.promql("up == 0").text == "up == 0"  # Prometheus's own series are declared
    assert q.promql("scrape_duration_seconds > 1").metrics == frozenset()


@pytest.mark.parametrize(
    "text, error, says",
    [
        ("sum(rate(api_requests_total[5m]", SourceError, "not valid PromQL"),
        ("rate(api_request_total[5m])", CatalogError, "did you mean api_requests_total"),
        ("node_load1", CatalogError, "not in any catalog"),
        ('model_accuracy{modelname="x"}', CatalogError, "label 'modelname'"),
        ("", SourceError, "empty"),
    ],
)
def test_promql_refuses_what_no_catalog_declares(text, error, says):
    with pytest.raises(error, match=re.escape(says)):
        q.promql(text)


def test_promql_reads_the_project_catalog_extension(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "catalog.yml").write_text(
        "families:\n  node_load1: {type: gauge, labels: []}\n"
        "  node_cpu_seconds_total: {type: counter, labels: [cpu, mode]}\n"
    )
    assert q.promql('sum by (mode) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))')
    assert q.promql("node_load1 > 4").text == "node_load1 > 4"
    with pytest.raises(CatalogError, match="did you mean mode"):
        q.promql('node_cpu_seconds_total{mdoe="idle"}')


def test_suggestions_stay_within_the_same_family():
    from mlmon.catalog import all_series, suggest

    assert suggest("node_cpu_seconds_total", all_series()) == []  # not daily_predictions_total
    assert suggest("model_acuracy", all_series()) == ["model_accuracy"]
    assert suggest("api_request_total", all_series())[0] == "api_requests_total"
    assert suggest("endpont", ["endpoint", "model_name"]) == ["endpoint"]
