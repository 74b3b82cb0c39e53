"""catalog-metric, catalog-label, catalog-label-value, catalog-histogram-quantile, catalog-quantile-counter."""

import pytest

from mlmon.errors import CatalogError
from tests.lint.support import (
    clean_dashboard,
    clean_grafana_rules,
    clean_prometheus_rules,
    findings,
    lint_data,
    set_expr,
)


def _lint_expr(tmp_path, expr):
    return lint_data(tmp_path, set_expr(clean_dashboard(), "Accuracy", expr))


@pytest.mark.parametrize(
    "expr",
    [
        'up{job="exporter"}',
        "scrape_duration_seconds",
        "sum by (model_name, version) (model_accuracy)",
        "model_accuracy * on (model_name, version) group_left (task) model_info",
        'label_replace(model_accuracy, "model", "$1", "model_name", "(.*)") * on (model) group_left () '
        'label_replace(drift_columns_count, "model", "$1", "model_name", "(.*)")',
        "sum without (version) (model_accuracy)",
        'count_values("value", drift_columns_count) > 0',
        "topk(3, data_drift_psi) by (feature)",
        '{__name__="model_accuracy", model_name=~"$model"}',
        "sum by ($group) (model_accuracy)",
        'absent(model_accuracy{model_name="house"})',
    ],
)
def test_catalog_metrics_and_labels_pass(tmp_path, expr):
    report = _lint_expr(tmp_path, expr)
    assert [f for f in report.findings if f.rule.startswith("catalog-")] == []


@pytest.mark.parametrize(
    "expr, says",
    [
        ("model_acuracy", "did you mean model_accuracy"),
        ("api_request_duration_seconds", "is a histogram"),
        ("api_request_total", "did you mean api_requests_total"),
    ],
)
def test_likely_typo_is_reported_where_it_is_used_with_a_suggestion(tmp_path, expr, says):
    [finding] = findings(_lint_expr(tmp_path, expr), "catalog-metric")
    assert says in finding.message
    assert (finding.location.panel, finding.location.query) == ("Accuracy", expr)


@pytest.mark.parametrize(
    "expr, label, clause",
    [
        ('model_accuracy{modelname="house"}', "modelname", "{...}"),
        ("sum by (feature) (model_accuracy)", "feature", "by (feature)"),
        (
            "sum by (model_name) (model_accuracy) / on (version) sum by (model_name) (model_info)",
            "version",
            "on (version)",
        ),
        (
            "model_accuracy * on (model_name, version) group_left (stage) model_info",
            "stage",
            "group_left (stage)",
        ),
        (
            "histogram_quantile(0.9, sum by (le) (rate(prediction_latency_seconds_bucket[$__rate_interval]))) "
            "* on (model_name) group_left () model_info",
            "model_name",
            "on (model_name)",
        ),
    ],
)
def test_labels_that_cannot_exist_are_reported(tmp_path, expr, label, clause):
    problems = findings(_lint_expr(tmp_path, expr), "catalog-label")
    assert any(f"label '{label}' in {clause}" in f.message for f in problems), [
        f.message for f in problems
    ]


def test_variable_queries_are_checked_against_the_catalog(tmp_path):
    dashboard = clean_dashboard()
    dashboard["templating"]["list"][1]["query"] = "label_values(model_accuracy, feature)"
    [finding] = findings(lint_data(tmp_path, dashboard), "catalog-label")
    assert finding.location.panel == "$model" and "'feature'" in finding.message


def test_alert_expressions_are_checked_against_the_catalog(tmp_path):
    rules = clean_grafana_rules()
    rules["rules"][0]["data"][0]["model"]["expr"] = 'model_accuracy{model="house"} < 0.8'
    [finding] = findings(lint_data(tmp_path, rules, "rules.json"), "catalog-label")
    assert finding.location.panel == "Model accuracy low" and finding.location.kind == "alert"
    prom = clean_prometheus_rules()
    prom["groups"][0]["rules"][1]["expr"] = "sum(rate(api_request_total[5m]))"
    [finding] = findings(lint_data(tmp_path, prom, "api.rules.yml"), "catalog-metric")
    assert "api_requests_total" in finding.message


@pytest.mark.parametrize(
    "expr",
    [
        'api_requests_total{status="503"}',
        'api_requests_total{status=~"500|503", method="POST"}',
        'api_requests_total{status=~"5.."}',
        'data_drift_pvalue{test="chi2"}',
        'data_drift_pvalue{test=~"k.*"}',
        'sum(rate(exporter_errors_total{stage=~"dr.*|qual.*"}[$__rate_interval]))',
    ],
)
def test_allowed_label_values_pass(tmp_path, expr):
    expr = f"sum(rate({expr}[$__rate_interval]))" if "total" in expr else expr
    assert findings(_lint_expr(tmp_path, expr), "catalog-label-value") == []


@pytest.mark.parametrize(
    "expr, value",
    [
        ('sum(rate(api_requests_total{status="error"}[$__rate_interval]))', "'error'"),
        ('sum(rate(api_requests_total{method=~"GET|FETCH"}[$__rate_interval]))', "'FETCH'"),
        ('data_drift_pvalue{test="kolmogorov"}', "'kolmogorov'"),
        ('data_drift_pvalue{test=~"kolmo.*"}', "=~'kolmo.*'"),
    ],
)
def test_label_values_the_catalog_excludes_are_reported(tmp_path, expr, value):
    [finding] = findings(_lint_expr(tmp_path, expr), "catalog-label-value")
    assert value in finding.message and "can never match" in finding.message


@pytest.mark.parametrize(
    "expr, says",
    [
        (
            "histogram_quantile(0.9, rate(api_requests_total[$__rate_interval]))",
            "not a histogram _bucket",
        ),
        (
            "histogram_quantile(0.9, sum(rate(api_request_duration_seconds_bucket[$__rate_interval])))",
            "without the le label",
        ),
        (
            "histogram_quantile(0.9, rate(api_request_duration_seconds_count[$__rate_interval]))",
            "not a histogram _bucket",
        ),
    ],
)
def test_histogram_quantile_needs_buckets_with_le(tmp_path, expr, says):
    assert any(
        says in f.message
        for f in findings(_lint_expr(tmp_path, expr), "catalog-histogram-quantile")
    )


def test_histogram_quantile_over_buckets_by_le_passes(tmp_path):
    expr = "histogram_quantile(0.5, sum by (le, model_name) (rate(prediction_latency_seconds_bucket[$__rate_interval])))"
    assert findings(_lint_expr(tmp_path, expr), "catalog-histogram-quantile") == []


def test_quantile_over_a_raw_counter_is_reported(tmp_path):
    [finding] = findings(
        _lint_expr(tmp_path, "quantile(0.9, api_requests_total)"), "catalog-quantile-counter"
    )
    assert "api_requests_total" in finding.message
    assert (
        findings(
            _lint_expr(tmp_path, "quantile(0.9, rate(api_requests_total[$__rate_interval]))"),
            "catalog-quantile-counter",
        )
        == []
    )


# ------------------------------------------- one declaration, one checker for lint, alerts and the DSL


@pytest.mark.parametrize("expr", ["scrape_duration_seconds > 5", 'up{job="model-exporter"} == 0'])
def test_prometheus_own_series_pass_lint_and_the_alert_compiler_alike(tmp_path, expr):
    from mlmon.alerts.catalog_check import check_query

    check_query(expr, source="alerts_src/x.py", item="rule")  # raises when refused
    assert [f for f in _lint_expr(tmp_path, expr).findings if f.rule.startswith("catalog-")] == []


def test_extension_families_are_known_to_lint_and_alerts(tmp_path, monkeypatch):
    from mlmon.alerts.catalog_check import check_query

    monkeypatch.chdir(tmp_path)
    expr = 'sum by (mode) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))'
    with pytest.raises(CatalogError):
        check_query(expr, source="alerts_src/x.py", item="rule")
    (tmp_path / "catalog.yml").write_text(
        "families:\n  node_cpu_seconds_total: {type: counter, labels: [cpu, mode]}\n"
    )
    check_query(expr, source="alerts_src/x.py", item="rule")
    assert [f for f in _lint_expr(tmp_path, expr).findings if f.rule.startswith("catalog-")] == []
    [finding] = findings(_lint_expr(tmp_path, 'node_cpu_seconds_total{cpuu="0"}'), "catalog-label")
    assert "'cpuu'" in finding.message


def _foreign_dashboard() -> dict:
    """The clean dashboard with every query on one of three node_exporter-like metrics."""
    dashboard = clean_dashboard()
    count = 0
    for panel in dashboard["panels"]:
        for target in panel.get("targets") or []:
            target["expr"] = f"rate(node_metric_{count % 3}_total[5m])"
            count += 1
    assert count >= 4
    return dashboard


def test_undeclared_metrics_make_one_finding_per_dashboard(tmp_path):
    report = lint_data(tmp_path, _foreign_dashboard())
    [finding] = findings(report, "catalog-metric")
    assert finding.message.startswith("3 metrics no catalog declares (")
    assert "node_metric_0_total, node_metric_1_total, node_metric_2_total" in finding.message
    assert "did you mean" not in finding.message and finding.location.panel is None


@pytest.mark.parametrize("setting, count, level", [("ignore", 0, None), ("warning", 1, "warning")])
def test_the_per_dashboard_finding_is_configurable(tmp_path, setting, count, level):
    config = f"rules:\n  catalog-metric: {{undeclared: {setting}}}\n"
    found = findings(lint_data(tmp_path, _foreign_dashboard(), config=config), "catalog-metric")
    assert len(found) == count and all(f.level.value == level for f in found)


def test_target_labels_on_prometheus_series_make_one_finding_until_declared(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dashboard = clean_dashboard()
    count = 0
    for panel in dashboard["panels"]:
        for target in panel.get("targets") or []:
            target["expr"] = f'sum by (cluster) (up{{cluster="c{count}", region="eu"}})'
            count += 1
    [finding] = findings(lint_data(tmp_path, dashboard), "catalog-label")
    assert finding.location.panel is None and finding.message.endswith("cluster, region")
    assert "target_labels" in finding.hint
    (tmp_path / "catalog.yml").write_text("target_labels: [cluster, region]\nfamilies: {}\n")
    assert findings(lint_data(tmp_path, dashboard), "catalog-label") == []
    # In an alert rule the same label is still checked where it is used.
    from mlmon.alerts.catalog_check import check_query

    check_query('up{cluster="c1"} == 0', source="alerts_src/x.py", item="rule")
    (tmp_path / "catalog.yml").unlink()
    with pytest.raises(CatalogError, match="'cluster'"):
        check_query('up{cluster="c1"} == 0', source="alerts_src/x.py", item="rule")
