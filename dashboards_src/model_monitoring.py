"""MLOps Model Monitoring Dashboard: performance (by task), traffic, latency, drift and quality at a glance."""

import attr
from grafanalib.core import BarGauge

from mlmon.dsl import panels as p
from mlmon.dsl import query as q
from mlmon.dsl import variables as var
from mlmon.dsl.dashboard import dashboard as build_dashboard
from mlmon.dsl.layout import cell, row

MODEL = {"model_name": "$model"}
VERSION = {"model_name": "$model", "version": "$version"}


def _per_task(metric: str, task: str) -> q.Expr:
    return q.for_task(q.series(metric, **VERSION), task)


def solid_bars(panel: BarGauge) -> BarGauge:
    """Bars in the value's own colour: Grafana's gradient runs through red and orange even for a bar at 100%,
    which reads as trouble at a glance (seen in `mlmon preview`)."""
    return attr.evolve(panel, displayMode="basic")


overview = row(
    None,
    p.stat(
        "Accuracy (classifiers)",
        "Share of correct predictions over the labelled rows of the current window, for classification models.",
        (_per_task("model_accuracy", "classification"), "{{model_name}} {{version}}"),
        decimals=1,
    ),
    p.stat(
        "Accuracy within tolerance (regression)",
        "Share of predictions within the relative tolerance (default 10%) of the actual value, for regression "
        "models. Below 90% turns orange, below 80% red.",
        (_per_task("model_accuracy", "regression"), "{{model_name}} {{version}}"),
        decimals=1,
    ),
    p.stat(
        "Features with drift",
        "Number of features whose distribution differs from the reference after multiple-testing correction. "
        "Any drift is worth a look; 3 or more is red.",
        q.sum(q.series("drift_columns_count", **MODEL)),
    ),
    p.stat(
        "Data quality (worst model)",
        "Lowest data quality score of the selected models: the mean over columns of the share of valid, present, non-outlier values in the current window (0-100%).",
        q.min(q.series("data_quality_score", **MODEL)),
        decimals=1,
    ),
    p.stat(
        "Predictions (last 24h)",
        "Predictions logged in the last 24 hours, all selected models.",
        q.sum(q.increase("daily_predictions_total", "1d", **MODEL)),
    ),
    height=5,
)

classification = row(
    "Classification models",
    cell(
        p.timeseries(
            "Accuracy, precision, recall and F1",
            "Macro-averaged metrics of classification models over the labelled rows of the current window. "
            "Only models whose model_info says task=classification are shown.",
            (_per_task("model_accuracy", "classification"), "accuracy {{model_name}} {{version}}"),
            (
                _per_task("model_precision", "classification"),
                "precision {{model_name}} {{version}}",
            ),
            (_per_task("model_recall", "classification"), "recall {{model_name}} {{version}}"),
            (_per_task("model_f1_score", "classification"), "F1 {{model_name}} {{version}}"),
            min=0,
            max=1,
        ),
        width=16,
    ),
    solid_bars(
        p.bargauge(
            "F1 by model",
            "Current macro-averaged F1 per classification model and version: green from 0.9, orange from 0.8.",
            (_per_task("model_f1_score", "classification"), "{{model_name}} {{version}}"),
        )
    ),
)

regression = row(
    "Regression models",
    p.timeseries(
        "Accuracy within tolerance",
        "Share of regression predictions within the relative tolerance of the actual value "
        "(house prices: 10% by default). The orange line marks 80%, the green line 90%.",
        (_per_task("model_accuracy", "regression"), "{{model_name}} {{version}}"),
        min=0,
        max=1,
        show_thresholds=True,
    ),
    p.timeseries(
        "MAE and RMSE",
        "Mean absolute error and root mean squared error, in the target's unit (for house prices: currency). "
        "RMSE well above MAE means a few large errors.",
        (_per_task("model_mae", "regression"), "MAE {{model_name}} {{version}}"),
        (_per_task("model_rmse", "regression"), "RMSE {{model_name}} {{version}}"),
    ),
    p.timeseries(
        "R²",
        "Coefficient of determination over the labelled rows of the current window; 1 is perfect, 0 is no better "
        "than predicting the mean, negative is worse.",
        (_per_task("model_r2", "regression"), "{{model_name}} {{version}}"),
        steps=(("red", None), ("orange", 0.5), ("green", 0.7)),
        max=1,
    ),
    p.timeseries(
        "MAPE",
        "Mean absolute percentage error (rows whose actual value is 0 are skipped). Above 10% is orange, "
        "above 20% red.",
        (_per_task("model_mape", "regression"), "{{model_name}} {{version}}"),
        min=0,
    ),
)

traffic = row(
    "Traffic",
    p.timeseries(
        "API request rate",
        "HTTP requests per second handled by the model API, by route and status code.",
        (q.rate("api_requests_total", by=("endpoint", "status")), "{{endpoint}} {{status}}"),
    ),
    p.timeseries(
        "Prediction rate",
        "Predictions logged per second, by model (from the prediction log).",
        (q.rate("daily_predictions_total", by=("model_name",), **MODEL), "{{model_name}}"),
    ),
    p.timeseries(
        "Rows in the monitoring window",
        "Rows each statistic is computed over: the reference data, the current window, and the current "
        "rows that have ground truth (labelled). Few labelled rows make performance metrics noisy.",
        (
            q.max(q.series("monitoring_window_rows", **MODEL), by=("model_name", "window")),
            "{{model_name}} {{window}}",
        ),
    ),
)

latency = row(
    "Response times",
    p.timeseries(
        "API latency percentiles",
        "50th, 95th and 99th percentile of HTTP request latency at the model API, from its histogram. "
        "Above 0.5 s is orange, above 2 s red.",
        (q.histogram_quantile(0.5, "api_request_duration_seconds"), "p50"),
        (q.histogram_quantile(0.95, "api_request_duration_seconds"), "p95"),
        (q.histogram_quantile(0.99, "api_request_duration_seconds"), "p99"),
        show_thresholds=True,
    ),
    p.timeseries(
        "Prediction latency percentiles",
        "50th, 95th and 99th percentile of end-to-end prediction latency as logged by the model service.",
        (q.histogram_quantile(0.5, "prediction_latency_seconds", **MODEL), "p50"),
        (q.histogram_quantile(0.95, "prediction_latency_seconds", **MODEL), "p95"),
        (q.histogram_quantile(0.99, "prediction_latency_seconds", **MODEL), "p99"),
        show_thresholds=True,
    ),
)

drift_and_quality = row(
    "Data drift and quality",
    p.bargauge(
        "Feature drift p-values",
        "Raw p-value of each feature's drift test (KS for numeric, chi-square for categorical features). "
        "Red below 0.05; the drift flag itself uses a multiple-testing correction, so a single red bar "
        "is not necessarily drift.",
        (
            q.min(q.series("data_drift_pvalue", **MODEL), by=("model_name", "feature")),
            "{{model_name}} {{feature}}",
        ),
    ),
    p.timeseries(
        "Data quality score over time",
        "Overall data quality of the current window per model (0-100%).",
        (q.series("data_quality_score", **MODEL), "{{model_name}}"),
        min=0,
        max=1,
    ),
    solid_bars(
        p.bargauge(
            "Data completeness by column",
            "Share of present (non-missing) values per input column in the current window.",
            (
                q.min(q.series("data_completeness", **MODEL), by=("model_name", "column")),
                "{{model_name}} {{column}}",
            ),
        )
    ),
)

dashboard = build_dashboard(
    title="MLOps Model Monitoring Dashboard",
    uid="mlmon-model-monitoring",
    description="Model performance by task, API traffic and latency, data drift and quality for the selected models.",
    variables=[var.model(), var.version()],
    tags=["model"],
    rows=[overview, classification, regression, traffic, latency, drift_and_quality],
)
