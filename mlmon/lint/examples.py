"""Why each lint rule exists, and a failing and a passing example of it.

The rule pages (docs/lint/rules/*.md) and ``mlmon lint --explain RULE`` are
generated from these and from the rule classes (name, level, description,
hint); tests/lint/test_rule_docs.py lints every example, so an example that
stops failing (or passing) its rule fails the suite instead of going stale.

An example is a fragment of a document: a PromQL query (placed in a panel), a
panel, a query variable, top-level dashboard keys, or a Prometheus/Grafana alert
rule. ``document`` wraps it into a whole dashboard or rule file that is otherwise
ordinary.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

QUERY, PANEL, VARIABLE, DASHBOARD, PROMETHEUS_ALERT, GRAFANA_ALERT, ROUTING = (
    "query",
    "panel",
    "variable",
    "dashboard",
    "prometheus-alert",
    "grafana-alert",
    "routing",  # {"rule": a Prometheus rule, "alertmanager": the generated Alertmanager config}
)


@dataclass(frozen=True)
class RuleExample:
    kind: str
    why: str
    failing: Any
    passing: Any
    settings: dict[str, Any] = field(default_factory=dict)  # the rule's settings for both examples
    live_only: bool = False  # needs a Prometheus: shown, not linted statically


TEMPLATED = {"type": "prometheus", "uid": "${datasource}"}


def example_panel(**changes: Any) -> dict[str, Any]:
    panel: dict[str, Any] = {
        "id": 1,
        "type": "timeseries",
        "title": "Accuracy",
        "description": "Share of predictions within tolerance, per model.",
        "datasource": TEMPLATED,
        "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
        "fieldConfig": {"defaults": {"unit": "percentunit"}, "overrides": []},
        "targets": [{"refId": "A", "expr": "model_accuracy"}],
    }
    panel.update(changes)
    return panel


def _variable(**changes: Any) -> dict[str, Any]:
    variable = {
        "name": "model",
        "type": "query",
        "datasource": TEMPLATED,
        "query": "label_values(model_accuracy, model_name)",
        "refresh": 2,
    }
    variable.update(changes)
    return variable


def _prometheus_rule(**changes: Any) -> dict[str, Any]:
    rule = {
        "alert": "ModelAccuracyLow",
        "expr": "min by (model_name) (model_accuracy) < 0.8",
        "for": "10m",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "Accuracy of {{ $labels.model_name }} is below 80%",
            "description": "Fewer predictions are within tolerance; check drift, then retrain.",
        },
    }
    rule.update(changes)
    return rule


def _routing(receiver: dict[str, Any]) -> dict[str, Any]:
    """A Prometheus rule (team ml) and an Alertmanager tree that routes team ml to ``receiver``."""
    return {
        "rule": _prometheus_rule(labels={"severity": "warning", "team": "ml"}),
        "alertmanager": {
            "route": {
                "receiver": "default",
                "routes": [{"receiver": receiver["name"], "matchers": ['team="ml"']}],
            },
            "receivers": [
                {"name": "default", "webhook_configs": [{"url": "http://127.0.0.1:9/hook"}]},
                receiver,
            ],
        },
    }


def _grafana_rule(condition: str = "C", threshold_input: str = "B") -> dict[str, Any]:
    return {
        "uid": "accuracy-low",
        "title": "Model accuracy low",
        "condition": condition,
        "for": "10m",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "Accuracy below 80%",
            "description": "Check drift, then retrain.",
        },
        "data": [
            {
                "refId": "A",
                "datasourceUid": "prometheus",
                "model": {"refId": "A", "expr": "model_accuracy"},
            },
            {
                "refId": "B",
                "datasourceUid": "__expr__",
                "model": {"refId": "B", "type": "reduce", "reducer": "last", "expression": "A"},
            },
            {
                "refId": "C",
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "C",
                    "type": "threshold",
                    "expression": threshold_input,
                    "conditions": [{"evaluator": {"type": "lt", "params": [0.8]}}],
                },
            },
        ],
    }


_OK_ROW = {
    "id": 10,
    "type": "row",
    "title": "Drift",
    "collapsed": True,
    "gridPos": {"x": 0, "y": 8, "w": 24, "h": 1},
}

EXAMPLES: dict[str, RuleExample] = {
    "alert-annotations": RuleExample(
        PROMETHEUS_ALERT,
        "Whoever is paged reads the alert, not its query: the summary says what fires, the description "
        "what it means and what to do first.",
        _prometheus_rule(annotations={"summary": "Accuracy low"}),
        _prometheus_rule(),
    ),
    "alert-severity": RuleExample(
        PROMETHEUS_ALERT,
        "Alertmanager routes on severity (page, ticket, log); an alert without one lands in the default "
        "route, usually the wrong one.",
        _prometheus_rule(labels={"team": "ml"}),
        _prometheus_rule(),
    ),
    "alert-for": RuleExample(
        PROMETHEUS_ALERT,
        "Without a `for`, one bad scrape or one noisy evaluation pages someone; a few minutes of "
        "confirmation costs little and removes most false alarms.",
        _prometheus_rule(**{"for": "0m"}),
        _prometheus_rule(),
    ),
    "alert-routing": RuleExample(
        ROUTING,
        "An alert that routes to a receiver with no integration is evaluated, fires, and reaches nobody; "
        "a route no rule can match is dead configuration, usually a typo in a label value.",
        _routing({"name": "ml-team"}),
        _routing({"name": "ml-team", "webhook_configs": [{"url": "http://127.0.0.1:9/ml"}]}),
    ),
    "alert-condition": RuleExample(
        GRAFANA_ALERT,
        "Grafana evaluates the query named by `condition`; a condition or expression input naming a refId "
        "that does not exist makes the rule fail to evaluate (an error state, not an alert).",
        _grafana_rule(threshold_input="X"),
        _grafana_rule(),
    ),
    "catalog-metric": RuleExample(
        QUERY,
        "A misspelt or renamed metric returns nothing: the panel is silently empty and the alert never "
        "fires. Checking names against the catalog catches it before deployment.",
        "model_acuracy",
        "model_accuracy",
    ),
    "catalog-label": RuleExample(
        QUERY,
        "Grouping or matching on a label the series do not have collapses everything into one series, or "
        "matches nothing, without any error from Prometheus.",
        "sum by (model) (model_accuracy)",
        "sum by (model_name) (model_accuracy)",
    ),
    "catalog-label-value": RuleExample(
        QUERY,
        "A matcher on a value the label can never take (status 600, test ks2) selects nothing: an "
        "always-empty panel or an alert that cannot fire.",
        'sum(rate(api_requests_total{status="600"}[$__rate_interval]))',
        'sum(rate(api_requests_total{status=~"5.."}[$__rate_interval]))',
    ),
    "catalog-histogram-quantile": RuleExample(
        QUERY,
        "histogram_quantile() needs the cumulative _bucket series with their le label; over anything "
        "else it returns nothing or nonsense.",
        "histogram_quantile(0.95, sum by (model_name) (rate(prediction_latency_seconds_bucket[$__rate_interval])))",
        "histogram_quantile(0.95, sum by (le) (rate(prediction_latency_seconds_bucket[$__rate_interval])))",
    ),
    "catalog-quantile-counter": RuleExample(
        QUERY,
        "A counter's raw value only grows; its quantile over time says how long the process has run, not "
        "how the service behaves.",
        "quantile(0.9, daily_predictions_total)",
        "quantile(0.9, rate(daily_predictions_total[$__rate_interval]))",
    ),
    "layout-grid-bounds": RuleExample(
        PANEL,
        "Grafana's grid has 24 columns; a panel past the edge or with no size is squeezed or moved when the "
        "dashboard loads, so what you reviewed is not what users see.",
        example_panel(gridPos={"x": 16, "y": 0, "w": 12, "h": 8}),
        example_panel(gridPos={"x": 12, "y": 0, "w": 12, "h": 8}),
    ),
    "layout-overlap": RuleExample(
        DASHBOARD,
        "Overlapping panels are pushed around by Grafana on load, so the saved layout is not the one "
        "displayed, and generated layouts drift.",
        {
            "panels": [
                example_panel(),
                example_panel(id=2, title="Latency", gridPos={"x": 6, "y": 0, "w": 12, "h": 8}),
            ]
        },
        {
            "panels": [
                example_panel(),
                example_panel(id=2, title="Latency", gridPos={"x": 12, "y": 0, "w": 12, "h": 8}),
            ]
        },
    ),
    "layout-hidden-panel": RuleExample(
        DASHBOARD,
        "Grafana keeps an expanded row's panels in the top-level list; panels left inside an expanded row "
        "are never drawn. (A collapsed row's panels are drawn below it when expanded, wherever they were saved.)",
        {
            "panels": [
                dict(
                    _OK_ROW,
                    collapsed=False,
                    panels=[example_panel(gridPos={"x": 0, "y": 9, "w": 12, "h": 8})],
                )
            ]
        },
        {
            "panels": [
                dict(_OK_ROW, panels=[example_panel(gridPos={"x": 0, "y": 2, "w": 12, "h": 8})])
            ]
        },
    ),
    "layout-unique-titles": RuleExample(
        DASHBOARD,
        "Titles identify panels in lint reports, alert links and exclusions; two panels with one title are "
        "ambiguous everywhere.",
        {
            "panels": [
                example_panel(),
                example_panel(id=2, gridPos={"x": 12, "y": 0, "w": 12, "h": 8}),
            ]
        },
        {
            "panels": [
                example_panel(),
                example_panel(id=2, title="Precision", gridPos={"x": 12, "y": 0, "w": 12, "h": 8}),
            ]
        },
    ),
    "live-query": RuleExample(
        QUERY,
        "A query can be valid and name catalog metrics and still return nothing (the exporter is not "
        "scraped, a label value never occurs): only a real Prometheus can tell.",
        'model_accuracy{model_name="no-such-model"}',
        "model_accuracy",
        live_only=True,
    ),
    "panel-datasource": RuleExample(
        PANEL,
        "A panel bound to one datasource uid breaks when the dashboard is imported elsewhere and cannot be "
        "switched between environments; a datasource variable makes it portable.",
        example_panel(datasource={"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}),
        example_panel(),
    ),
    "panel-no-targets": RuleExample(
        PANEL,
        "A data panel without a query shows 'No data' forever; usually a query was lost in an edit.",
        example_panel(targets=[]),
        example_panel(),
    ),
    "panel-title-description": RuleExample(
        PANEL,
        "The description is the (i) tooltip: the one place to say what a panel shows and what to do when it "
        "looks wrong, for the person on call who did not build it.",
        example_panel(description=""),
        example_panel(),
    ),
    "panel-units": RuleExample(
        PANEL,
        "Without a unit, 0.004 could be seconds, a ratio or a count; with one, Grafana also scales it "
        "(4 ms, 0.4%). A unit Grafana does not know is shown as a bare suffix without scaling.",
        example_panel(fieldConfig={"defaults": {}, "overrides": []}),
        example_panel(),
    ),
    "target-counter-agg": RuleExample(
        QUERY,
        "A counter only grows and resets when the process restarts; its raw value is an artefact of uptime. "
        "rate() or increase() turns it into what happens per second or per window.",
        "api_requests_total",
        "sum(rate(api_requests_total[$__rate_interval]))",
    ),
    "target-job-matcher": RuleExample(
        QUERY,
        "On a shared Prometheus, a selector without a job matcher mixes every job exporting the metric; a "
        "regex matcher on $job also works when several jobs or All are selected.",
        'model_accuracy{job="$job"}',
        'model_accuracy{job=~"$job"}',
        settings={"enabled": True},
    ),
    "target-instance-matcher": RuleExample(
        QUERY,
        "The same as target-job-matcher for instances: without a matcher on $instance the panel sums over "
        "every instance whatever the user picks.",
        "model_accuracy",
        'model_accuracy{instance=~"$instance"}',
        settings={"enabled": True},
    ),
    "target-promql": RuleExample(
        QUERY,
        "Prometheus rejects an invalid expression, so the panel shows an error or nothing; catching it "
        "before deployment saves a round trip through Grafana.",
        "sum(rate(api_requests_total[$__rate_interval])",
        "sum(rate(api_requests_total[$__rate_interval]))",
    ),
    "target-rate-interval": RuleExample(
        QUERY,
        "A fixed rate() window is too short when zoomed out (gaps) or too coarse when zoomed in; "
        "$__rate_interval follows the zoom and is never shorter than four scrape intervals.",
        "sum(rate(api_requests_total[1m]))",
        "sum(rate(api_requests_total[$__rate_interval]))",
    ),
    "template-datasource": RuleExample(
        DASHBOARD,
        "A datasource variable lets the same dashboard run against staging and production, and a "
        "conventional name lets panels and tooling find it.",
        {
            "templating": {
                "list": [
                    {
                        "name": "ds",
                        "label": "Datasource",
                        "type": "datasource",
                        "query": "prometheus",
                    }
                ]
            }
        },
        {
            "templating": {
                "list": [
                    {
                        "name": "datasource",
                        "label": "Data source",
                        "type": "datasource",
                        "query": "prometheus",
                    }
                ]
            }
        },
    ),
    "template-label-promql": RuleExample(
        VARIABLE,
        "An invalid variable query leaves the variable empty, and every panel filtering on it empty too.",
        _variable(query="label_values(model_accuracy{, model_name)"),
        _variable(),
    ),
    "template-on-time-change-reload": RuleExample(
        VARIABLE,
        "A variable refreshed only on load offers values from when the dashboard was opened; after "
        "changing the time range, the choices no longer match the data.",
        _variable(refresh=1),
        _variable(),
    ),
    "uneditable-dashboard": RuleExample(
        DASHBOARD,
        "A dashboard provisioned from code is overwritten on the next push; an edit made in the UI is lost "
        "(or makes the push stop with a conflict). Change the source instead.",
        {"editable": True},
        {"editable": False},
    ),
}


def document(example: RuleExample, fragment: Any) -> dict[str, Any]:
    """A whole dashboard (or rule file) holding ``fragment``, otherwise ordinary."""
    fragment = copy.deepcopy(fragment)
    if example.kind == ROUTING:
        return {"groups": [{"name": "model", "rules": [fragment["rule"]]}]}
    if example.kind == PROMETHEUS_ALERT:
        return {"groups": [{"name": "model", "rules": [fragment]}]}
    if example.kind == GRAFANA_ALERT:
        return {
            "apiVersion": 1,
            "groups": [
                {
                    "orgId": 1,
                    "name": "model",
                    "folder": "mlmon",
                    "interval": "1m",
                    "rules": [fragment],
                }
            ],
        }
    dashboard: dict[str, Any] = {
        "title": "Example",
        "uid": "example",
        "editable": False,
        "schemaVersion": 39,
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "panels": [example_panel()],
    }
    if example.kind == QUERY:
        dashboard["panels"] = [example_panel(targets=[{"refId": "A", "expr": fragment}])]
    elif example.kind == PANEL:
        dashboard["panels"] = [fragment]
    elif example.kind == VARIABLE:
        dashboard["templating"]["list"].append(fragment)
    else:
        dashboard.update(fragment)
    return dashboard
