"""Turning one model's statistics into samples of the catalog's metrics.

Each function takes a report from ``exporter.statistics`` and returns the
:class:`~exporter.snapshot.Samples` it contributes. Metrics are the catalog's
objects, looked up once when this module is imported (a misspelt name fails
at import), and labels are given by name (a wrong label fails at the first
sample; see :meth:`Samples.add`).
"""

from __future__ import annotations

import math

from exporter import catalog
from exporter.counters import CumulativeHistogram, ModelCounters
from exporter.schema import (
    MISSING_REQUIRED,
    OUT_OF_RANGE,
    UNKNOWN_CATEGORY,
    WRONG_TYPE,
    FeatureSchema,
    FeatureSpec,
)
from exporter.snapshot import HistogramValue, Samples
from exporter.statistics.drift import DriftReport
from exporter.statistics.performance import PerformanceReport
from exporter.statistics.quality import QualityReport

_metric = catalog.get
DRIFT_DETECTED = _metric("data_drift_detected")
DRIFT_PVALUE = _metric("data_drift_pvalue")
DRIFT_STATISTIC = _metric("data_drift_statistic")
DRIFT_EFFECT_SIZE = _metric("data_drift_effect_size")
DRIFT_PSI = _metric("data_drift_psi")
DRIFT_TEST_SKIPPED = _metric("data_drift_test_skipped")
MISSING_RATE_PVALUE = _metric("data_missing_rate_pvalue")
DRIFT_COLUMNS_COUNT = _metric("drift_columns_count")
MISSING_VALUES_COUNT = _metric("missing_values_count")
DATA_COMPLETENESS = _metric("data_completeness")
OUTLIERS_COUNT = _metric("outliers_count")
SCHEMA_VIOLATIONS_COUNT = _metric("schema_violations_count")
DATA_QUALITY_SCORE = _metric("data_quality_score")
MODEL_INFO = _metric("model_info")
MONITORING_WINDOW_ROWS = _metric("monitoring_window_rows")
LABEL_LAG_SECONDS = _metric("label_lag_seconds")
DAILY_PREDICTIONS_TOTAL = _metric("daily_predictions_total")
ACTUALS_RECEIVED_TOTAL = _metric("actuals_received_total")
PREDICTION_LATENCY_SECONDS = _metric("prediction_latency_seconds")
PREDICTION_VALUE_DISTRIBUTION = _metric("prediction_value_distribution")
LAST_SUCCESS = _metric("exporter_last_success_timestamp_seconds")
CYCLE_DURATION = _metric("exporter_cycle_duration_seconds")
CYCLES_TOTAL = _metric("exporter_cycles_total")
ERRORS_TOTAL = _metric("exporter_errors_total")
MODELS = _metric("exporter_models")
UNTRACKED_PREDICTIONS_TOTAL = _metric("exporter_untracked_predictions_total")


def drift_samples(model: str, report: DriftReport) -> Samples:
    samples = Samples()
    add = samples.add
    for feature, drift in report.features.items():
        add(DRIFT_DETECTED, float(drift.drift_detected), model_name=model, feature=feature)
        add(DRIFT_PVALUE, drift.pvalue, model_name=model, feature=feature, test=drift.test)
        add(DRIFT_STATISTIC, drift.statistic, model_name=model, feature=feature, test=drift.test)
        add(
            DRIFT_EFFECT_SIZE, drift.effect_size, model_name=model, feature=feature, test=drift.test
        )
        add(DRIFT_PSI, drift.psi, model_name=model, feature=feature)
        add(MISSING_RATE_PVALUE, drift.missing_rate_pvalue, model_name=model, feature=feature)
        if drift.skip_reason is not None:
            add(
                DRIFT_TEST_SKIPPED, 1.0, model_name=model, feature=feature, reason=drift.skip_reason
            )
    add(DRIFT_COLUMNS_COUNT, float(report.drift_columns_count), model_name=model)
    return samples


def _possible_violations(spec: FeatureSpec) -> tuple[str, ...]:
    kinds = [WRONG_TYPE, OUT_OF_RANGE if spec.kind == "numeric" else UNKNOWN_CATEGORY]
    if spec.required:
        kinds.append(MISSING_REQUIRED)
    return tuple(kinds)


def quality_samples(model: str, schema: FeatureSchema, report: QualityReport) -> Samples:
    samples = Samples()
    add = samples.add
    for column, quality in report.columns.items():
        add(MISSING_VALUES_COUNT, float(quality.missing_count), model_name=model, column=column)
        add(DATA_COMPLETENESS, quality.completeness, model_name=model, column=column)
        if quality.outliers_count is not None:
            add(OUTLIERS_COUNT, float(quality.outliers_count), model_name=model, column=column)
    # Every kind a column can break gets a series (0 when clean), so alerts see 0 rather than no data.
    kinds = {spec.name: _possible_violations(spec) for spec in schema}
    for column, _kind in report.violations:
        kinds.setdefault(column, ())
    for column, possible in kinds.items():
        for kind in dict.fromkeys(possible + tuple(k for c, k in report.violations if c == column)):
            count = report.violations.get((column, kind), 0)
            add(SCHEMA_VIOLATIONS_COUNT, float(count), model_name=model, column=column, kind=kind)
    add(DATA_QUALITY_SCORE, report.score, model_name=model)
    return samples


def performance_samples(model: str, version: str, report: PerformanceReport) -> Samples:
    samples = Samples()
    for (
        name,
        value,
    ) in report.metrics.items():  # keyed by catalog name (exporter.statistics.performance)
        samples.add(_metric(name), value, model_name=model, version=version)
    samples.add(MODEL_INFO, 1.0, model_name=model, version=version, task=report.task)
    return samples


def model_info_samples(model: str, version: str, task: str) -> Samples:
    """The task of a model version that has no ground truth yet (no performance to report)."""
    samples = Samples()
    samples.add(MODEL_INFO, 1.0, model_name=model, version=version, task=task)
    return samples


def window_samples(
    model: str, reference_rows: int, current_rows: int, labelled_rows: int, label_lag_seconds: float
) -> Samples:
    samples = Samples()
    for window, rows in (
        ("reference", reference_rows),
        ("current", current_rows),
        ("labelled", labelled_rows),
    ):
        samples.add(MONITORING_WINDOW_ROWS, float(rows), model_name=model, window=window)
    samples.add(LABEL_LAG_SECONDS, label_lag_seconds, model_name=model)
    return samples


def counter_samples(counters: dict[str, ModelCounters]) -> Samples:
    samples = Samples()
    add = samples.add
    for model, counts in sorted(counters.items()):
        add(DAILY_PREDICTIONS_TOTAL, float(counts.predictions), model_name=model)
        add(ACTUALS_RECEIVED_TOTAL, float(counts.actuals), model_name=model)
        add(PREDICTION_LATENCY_SECONDS, _histogram(counts.latency), model_name=model)
        add(PREDICTION_VALUE_DISTRIBUTION, _histogram(counts.values), model_name=model)
    return samples


def _histogram(histogram: CumulativeHistogram) -> HistogramValue:
    return histogram.cumulative_buckets(), histogram.total


def health_samples(
    *,
    last_success: float,
    duration: float,
    cycles: int,
    errors: dict[str, int],
    models: int,
    untracked_predictions: int,
) -> Samples:
    samples = Samples()
    samples.add(LAST_SUCCESS, last_success)
    samples.add(CYCLE_DURATION, duration if math.isfinite(duration) else math.nan)
    samples.add(CYCLES_TOTAL, float(cycles))
    for stage, count in errors.items():
        samples.add(ERRORS_TOTAL, float(count), stage=stage)
    samples.add(MODELS, float(models))
    samples.add(UNTRACKED_PREDICTIONS_TOTAL, float(untracked_predictions))
    return samples
