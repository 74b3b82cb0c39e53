"""Data Quality: completeness, missing values, outliers and schema violations per column; exporter health."""

import attr
from grafanalib.core import BarGauge

from mlmon.dsl import panels as p
from mlmon.dsl import query as q
from mlmon.dsl import units
from mlmon.dsl import variables as var
from mlmon.dsl.dashboard import dashboard as build_dashboard
from mlmon.dsl.layout import row

MODEL = {"model_name": "$model"}
COLUMN = {"model_name": "$model", "column": "$column"}
BY_COLUMN = ("model_name", "column")
STALE_AFTER_SECONDS = (("green", None), ("orange", 120), ("red", 600))


def solid_bars(panel: BarGauge) -> BarGauge:
    """Bars in the value's own colour: Grafana's gradient runs through red and orange even for a bar at 100%,
    which reads as trouble at a glance (seen in `mlmon preview`)."""
    return attr.evolve(panel, displayMode="basic")


overview = row(
    None,
    p.gauge(
        "Data quality score",
        "Mean over columns of the share of valid, present, non-outlier values in the current window "
        "(lowest of the selected models).",
        q.min(q.series("data_quality_score", **MODEL)),
    ),
    p.stat(
        "Lowest completeness",
        "Completeness of the worst column: the share of its values that are present.",
        q.min(q.series("data_completeness", **COLUMN)),
        decimals=1,
    ),
    p.stat(
        "Missing values",
        "Missing values (absent, null, NaN, ±inf) across the selected columns.",
        q.sum(q.series("missing_values_count", **COLUMN)),
    ),
    p.stat(
        "Outliers",
        "Values outside the reference's IQR fences (Q1 - 3·IQR, Q3 + 3·IQR) across numeric columns.",
        q.sum(q.series("outliers_count", **COLUMN)),
    ),
    p.stat(
        "Schema violations",
        "Values that break the feature schema (wrong type, unknown category, out of range, "
        "missing required, unknown field).",
        q.sum(q.series("schema_violations_count", **COLUMN)).or_(q.vector(0)),
        steps=(("green", None), ("red", 1)),
    ),
    height=6,
)

per_column = row(
    "Quality per column",
    solid_bars(
        p.bargauge(
            "Completeness by column",
            "Share of present values per column in the current window: green from 90%, orange from 80%.",
            (
                q.min(q.series("data_completeness", **COLUMN), by=BY_COLUMN),
                "{{model_name}} {{column}}",
            ),
        )
    ),
    p.timeseries(
        "Missing values by column",
        "Missing values per column in the current window, over time.",
        (
            q.max(q.series("missing_values_count", **COLUMN), by=BY_COLUMN),
            "{{model_name}} {{column}}",
        ),
    ),
    p.timeseries(
        "Outliers by column",
        "Outliers per numeric column in the current window, over time.",
        (q.max(q.series("outliers_count", **COLUMN), by=BY_COLUMN), "{{model_name}} {{column}}"),
    ),
)

violations = row(
    "Schema violations",
    p.timeseries(
        "Schema violations by kind",
        "Values breaking the feature schema, by kind of violation.",
        (
            q.sum(q.series("schema_violations_count", **COLUMN), by=("model_name", "kind")),
            "{{model_name}} {{kind}}",
        ),
        stack=True,
        bars=True,
    ),
    p.table(
        "Schema violations by column",
        "Current violations per column and kind; only non-zero counts are listed.",
        # Summed to the labels shown: the raw series would add job and instance columns.
        (
            q.sum(
                q.series("schema_violations_count", **COLUMN), by=("model_name", "column", "kind")
            )
            > 0,
            "",
        ),
        rename={"model_name": "Model", "column": "Column", "kind": "Kind", "Value": "Violations"},
    ),
    p.timeseries(
        "Data quality score over time",
        "Overall data quality per model (0-100%).",
        (q.series("data_quality_score", **MODEL), "{{model_name}}"),
        min=0,
        max=1,
    ),
)

pipeline = row(
    "Monitoring pipeline health",
    p.stat(
        "Last successful export",
        "When the exporter last completed a cycle without error.",
        # Grafana's "From Now" unit reads epoch milliseconds; the exporter's timestamp is in seconds.
        q.max(q.series("exporter_last_success_timestamp_seconds")) * 1000,
        steps=units.NEUTRAL_STEPS,
    ),
    p.stat(
        "Export age",
        "Seconds since the last successful export cycle; every metric above is this old. Orange "
        "after 2 minutes, red after 10.",
        q.time() - q.max(q.series("exporter_last_success_timestamp_seconds")),
        steps=STALE_AFTER_SECONDS,
    ),
    p.timeseries(
        "Export cycle duration",
        "Duration of the exporter's last cycle; it should stay well below the "
        "export interval (EXPORT_INTERVAL, 30 s by default).",
        (q.max(q.series("exporter_cycle_duration_seconds")), "cycle"),
        steps=units.NEUTRAL_STEPS,
    ),
    p.timeseries(
        "Export cycles and errors",
        "Export cycles per second, and errors per second by stage.",
        (q.rate("exporter_cycles_total", by=()), "cycles"),
        (q.rate("exporter_errors_total", by=("stage",)), "errors {{stage}}"),
    ),
    p.timeseries(
        "Models exported",
        "Models the exporter serves (at most EXPORTER_MAX_MODELS), and predictions per second of "
        "models beyond that limit, which are only counted: raise the limit or split the models.",
        (q.max(q.series("exporter_models")), "models"),
        (q.rate("exporter_untracked_predictions_total", by=()), "untracked predictions/s"),
        unit="short",
    ),
)

labels = row(
    "Ground truth",
    p.timeseries(
        "Label lag",
        "Age of the oldest prediction in the current window that still has no ground truth: "
        "performance metrics can't see newer errors until their labels arrive.",
        (q.max(q.series("label_lag_seconds", **MODEL), by=("model_name",)), "{{model_name}}"),
        steps=units.NEUTRAL_STEPS,
    ),
    p.timeseries(
        "Ground truth received",
        "Actual values received per second for logged predictions, by model.",
        (q.rate("actuals_received_total", by=("model_name",), **MODEL), "{{model_name}}"),
    ),
    p.timeseries(
        "Rows per window",
        "Reference, current and labelled rows per model.",
        (
            q.max(q.series("monitoring_window_rows", **MODEL), by=("model_name", "window")),
            "{{model_name}} {{window}}",
        ),
    ),
)

dashboard = build_dashboard(
    title="Data Quality",
    uid="mlmon-data-quality",
    description="Completeness, missing values, outliers and schema violations of the model inputs, and the health "
    "of the monitoring pipeline that measures them.",
    variables=[var.model(), var.column()],
    tags=["quality"],
    rows=[overview, per_column, violations, pipeline, labels],
)
