"""Data Drift Monitoring Dashboard: per-feature drift tests, their status, summary and history."""

import attr
from grafanalib.core import TableSortByField

from mlmon.dsl import panels as p
from mlmon.dsl import query as q
from mlmon.dsl import units
from mlmon.dsl import variables as var
from mlmon.dsl.dashboard import dashboard as build_dashboard
from mlmon.dsl.layout import cell, row

SELECTED = {"model_name": "$model", "feature": "$feature"}
BY_FEATURE = ("model_name", "feature")
DRIFT_MAPPING = p.value_map({0: ("No drift", "green"), 1: ("Drift", "red")})


def _status_table(panel):
    """Colour the cells' text, not their background: Grafana colours every column of a table, so a
    background colour would paint the Model and Feature cells too (seen in `mlmon preview`). With the
    base threshold at the text colour, only the mapped Status column stands out; drifted rows first,
    so they are visible without scrolling."""
    return attr.evolve(
        panel, displayMode="color-text", sortBy=[TableSortByField(displayName="Status", desc=True)]
    )


def _lines_only(panel):
    """No fill under the lines: sixteen overlapping 10% fills (two models x eight features) paint a solid block
    where the lines should be read (seen in `mlmon preview`)."""
    return attr.evolve(panel, fillOpacity=0)


def _per_feature(metric: str) -> q.Expr:
    # Numeric and categorical features carry different `test` labels; one row per feature in tables.
    return q.max(q.series(metric, **SELECTED), by=BY_FEATURE)


summary = row(
    "Drift summary",
    p.stat(
        "Features with drift",
        "Features whose distribution differs from the reference after multiple-testing correction "
        "(Bonferroni by default), all selected models.",
        q.sum(q.series("drift_columns_count", model_name="$model")),
        color_background=True,
    ),
    p.stat(
        "Features tested",
        "Features with a drift test result in the last export cycle (skipped tests excluded).",
        q.count(q.series("data_drift_pvalue", **SELECTED) >= 0),
        steps=units.NEUTRAL_STEPS,
    ),
    p.stat(
        "Tests skipped",
        "Features whose test was skipped in the last cycle (too few rows, no reference...): their drift is "
        "unknown, not absent.",
        q.sum(q.series("data_drift_test_skipped", **SELECTED)).or_(q.vector(0)),
        steps=(("green", None), ("orange", 1)),
    ),
    cell(
        # "No drift" first: the classic palette's first colours are green, then yellow.
        p.piechart(
            "Drift distribution",
            "Share of features with and without drift detected, all selected models.",
            (
                q.count(q.series("data_drift_detected", **SELECTED))
                - q.sum(q.series("data_drift_detected", **SELECTED)),
                "No drift",
            ),
            (q.sum(q.series("data_drift_detected", **SELECTED)), "Drift"),
            donut=True,
        ),
        width=8,
        height=8,
    ),
    height=8,
)

status = row(
    "Current drift status",
    _status_table(
        p.table(
            "Current drift status per feature",
            "One row per feature: the drift decision of the last export cycle, after multiple-testing "
            "correction (Bonferroni by default) across the model's features.",
            (_per_feature("data_drift_detected"), ""),
            mappings=DRIFT_MAPPING,
            steps=(("text", None), ("red", 1)),
            color_cells=True,
            rename={"model_name": "Model", "feature": "Feature", "Value": "Status"},
        )
    ),
    p.bargauge(
        "Feature drift p-values",
        "Raw p-value of each feature's test (KS for numeric, chi-square for categorical features); red "
        "below 0.05. The drift decision corrects for testing many features, so a red bar alone is not drift.",
        (_per_feature("data_drift_pvalue"), "{{model_name}} {{feature}}"),
    ),
    p.table(
        "Skipped tests",
        "Features whose drift test was skipped in the last cycle, with the reason (too_few_rows: fewer than 30 "
        "rows in the window; low_expected_count: a chi-square cell expects fewer than 5).",
        # Kept to the labels shown: the raw series would add job and instance columns.
        (
            q.max(q.series("data_drift_test_skipped", **SELECTED), by=(*BY_FEATURE, "reason")) > 0,
            "",
        ),
        unit="none",
        steps=units.NEUTRAL_STEPS,
        rename={
            "model_name": "Model",
            "feature": "Feature",
            "reason": "Reason",
            "Value": "Skipped",
        },
    ),
    height=10,
)

over_time = row(
    "Feature drift over time",
    _lines_only(
        p.timeseries(
            "Drift test p-values",
            "Raw p-value of each feature's drift test over time; the line marks 0.05. Values that stay "
            "below it across cycles mean a lasting shift.",
            (_per_feature("data_drift_pvalue"), "{{model_name}} {{feature}}"),
            min=0,
            max=1,
            show_thresholds=True,
        )
    ),
    _lines_only(
        p.timeseries(
            "Drift effect size",
            "Size of each feature's shift: Wasserstein distance over the reference's standard deviation "
            "(numeric) or Cramér's V (categorical). Small p-values with tiny effect sizes are usually "
            "harmless on large windows.",
            (_per_feature("data_drift_effect_size"), "{{model_name}} {{feature}}"),
        )
    ),
    _lines_only(
        p.timeseries(
            "Drift test statistic",
            "The test statistic: KS D for numeric features, chi-square for categorical ones.",
            (
                q.max(
                    q.series("data_drift_statistic", **SELECTED),
                    by=("model_name", "feature", "test"),
                ),
                "{{model_name}} {{feature}} ({{test}})",
            ),
        )
    ),
)

trends = row(
    "Drift trends",
    p.timeseries(
        "Features with drift over time",
        "Number of drifted features per model at each export cycle: the history of drift detection.",
        (
            q.max(q.series("drift_columns_count", model_name="$model"), by=("model_name",)),
            "{{model_name}}",
        ),
        bars=True,
    ),
    p.timeseries(
        "Drift flags by feature",
        "1 while a feature is flagged as drifted (after correction), stacked: which features drift "
        "together, and for how long.",
        (_per_feature("data_drift_detected"), "{{model_name}} {{feature}}"),
        stack=True,
        bars=True,
        steps=units.NEUTRAL_STEPS,
    ),
    _lines_only(
        p.timeseries(
            "Population stability index",
            "PSI per feature over the reference's decile bins (numeric) or categories. Rule of thumb: below "
            "0.1 stable, 0.1-0.25 moderate shift, above 0.25 large shift.",
            (
                q.max(q.series("data_drift_psi", **SELECTED), by=BY_FEATURE),
                "{{model_name}} {{feature}}",
            ),
            steps=(("green", None), ("orange", 0.1), ("red", 0.25)),
            show_thresholds=True,
        )
    ),
    _lines_only(
        p.timeseries(
            "Missing-rate change p-values",
            "P-value of a two-proportion test of each feature's missing rate, current window vs reference: "
            "below 0.05 the share of missing values changed.",
            (
                q.max(q.series("data_missing_rate_pvalue", **SELECTED), by=BY_FEATURE),
                "{{model_name}} {{feature}}",
            ),
            min=0,
            max=1,
            show_thresholds=True,
        )
    ),
)

dashboard = build_dashboard(
    title="Data Drift Monitoring Dashboard",
    uid="mlmon-data-drift",
    description="Per-feature drift of the model inputs against the reference data: status, summary and history.",
    variables=[var.model(), var.feature()],
    tags=["drift"],
    rows=[summary, status, over_time, trends],
)
