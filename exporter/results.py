"""Turning one model's statistics into samples of the catalog's metrics.

Each function takes a report from ``exporter.statistics`` and returns the
:data:`~exporter.snapshot.Samples` it contributes; label values are given in
the catalog's label order. Keeping this mapping in one place means a metric's
labels are written once, next to the catalog names they belong to.
"""

from __future__ import annotations

import math

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


def drift_samples(model: str, report: DriftReport) -> Samples:
    samples: Samples = {
        name: []
        for name in (
            "data_drift_detected",
            "data_drift_pvalue",
            "data_drift_statistic",
            "data_drift_effect_size",
            "data_drift_psi",
            "data_drift_test_skipped",
            "data_missing_rate_pvalue",
        )
    }
    for feature, drift in report.features.items():
        test_labels = (model, feature, drift.test)
        samples["data_drift_detected"].append(((model, feature), float(drift.drift_detected)))
        samples["data_drift_pvalue"].append((test_labels, drift.pvalue))
        samples["data_drift_statistic"].append((test_labels, drift.statistic))
        samples["data_drift_effect_size"].append((test_labels, drift.effect_size))
        samples["data_drift_psi"].append(((model, feature), drift.psi))
        samples["data_missing_rate_pvalue"].append(((model, feature), drift.missing_rate_pvalue))
        if drift.skip_reason is not None:
            samples["data_drift_test_skipped"].append(((model, feature, drift.skip_reason), 1.0))
    samples["drift_columns_count"] = [((model,), float(report.drift_columns_count))]
    return samples


def _possible_violations(spec: FeatureSpec) -> tuple[str, ...]:
    kinds = [WRONG_TYPE, OUT_OF_RANGE if spec.kind == "numeric" else UNKNOWN_CATEGORY]
    if spec.required:
        kinds.append(MISSING_REQUIRED)
    return tuple(kinds)


def quality_samples(model: str, schema: FeatureSchema, report: QualityReport) -> Samples:
    samples: Samples = {
        "missing_values_count": [],
        "data_completeness": [],
        "outliers_count": [],
        "schema_violations_count": [],
    }
    for column, quality in report.columns.items():
        samples["missing_values_count"].append(((model, column), float(quality.missing_count)))
        samples["data_completeness"].append(((model, column), quality.completeness))
        if quality.outliers_count is not None:
            samples["outliers_count"].append(((model, column), float(quality.outliers_count)))
    # Every kind a column can break gets a series (0 when clean), so alerts see 0 rather than no data.
    kinds = {spec.name: _possible_violations(spec) for spec in schema}
    for column, _kind in report.violations:
        kinds.setdefault(column, ())
    for column, possible in kinds.items():
        for kind in dict.fromkeys(possible + tuple(k for c, k in report.violations if c == column)):
            count = report.violations.get((column, kind), 0)
            samples["schema_violations_count"].append(((model, column, kind), float(count)))
    samples["data_quality_score"] = [((model,), report.score)]
    return samples


def performance_samples(model: str, version: str, report: PerformanceReport) -> Samples:
    samples: Samples = {name: [((model, version), value)] for name, value in report.metrics.items()}
    samples["model_info"] = [((model, version, report.task), 1.0)]
    return samples


def window_samples(
    model: str, reference_rows: int, current_rows: int, labelled_rows: int, label_lag_seconds: float
) -> Samples:
    return {
        "monitoring_window_rows": [
            ((model, "reference"), float(reference_rows)),
            ((model, "current"), float(current_rows)),
            ((model, "labelled"), float(labelled_rows)),
        ],
        "label_lag_seconds": [((model,), label_lag_seconds)],
    }


def counter_samples(counters: dict[str, ModelCounters]) -> Samples:
    samples: Samples = {
        "daily_predictions_total": [],
        "actuals_received_total": [],
        "prediction_latency_seconds": [],
        "prediction_value_distribution": [],
    }
    for model, counts in sorted(counters.items()):
        samples["daily_predictions_total"].append(((model,), float(counts.predictions)))
        samples["actuals_received_total"].append(((model,), float(counts.actuals)))
        samples["prediction_latency_seconds"].append(((model,), _histogram(counts.latency)))
        samples["prediction_value_distribution"].append(((model,), _histogram(counts.values)))
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
    return {
        "exporter_last_success_timestamp_seconds": [((), last_success)],
        "exporter_cycle_duration_seconds": [
            ((), duration if math.isfinite(duration) else math.nan)
        ],
        "exporter_cycles_total": [((), float(cycles))],
        "exporter_errors_total": [((stage,), float(count)) for stage, count in errors.items()],
        "exporter_models": [((), float(models))],
        "exporter_untracked_predictions_total": [((), float(untracked_predictions))],
    }
