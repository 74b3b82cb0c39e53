"""The exporter's statistics: drift, data quality and model performance (numpy/scipy only).

How the export cycle uses it, per model::

    from exporter.schema import FeatureSchema
    from exporter.statistics import (DriftConfig, FeatureColumns, ReferenceProfile,
                                     compute_drift, compute_performance, compute_quality, infer_task)

    schema = FeatureSchema.infer(reference_rows)                 # once per reference
    schema = schema.with_override_file(path, model_name)         # optional JSON overrides
    reference = ReferenceProfile.from_columns(FeatureColumns.from_rows(schema, reference_rows))
    # (or column by column with exporter.statistics.columns.encode_column); the raw
    # reference columns can be dropped once the profile is built

    # every cycle: parse only the new rows, append them, drop the rows that left the window
    window = FeatureColumns.concat([window, FeatureColumns.from_rows(schema, new_feature_dicts)]).tail(max_rows)
    drift = compute_drift(reference, window, DriftConfig(alpha=0.05, correction="bonferroni", min_rows=30))
    quality = compute_quality(reference, window)
    # or, for a window that slides, the same reports updated with only the rows that entered and left
    # (what the exporter runs; exporter.window.ModelWindow.track feeds them):
    tracker = IncrementalDrift(reference, config); tracker.add(entering); tracker.remove(leaving)
    drift = tracker.report()                                      # likewise QualityCounts(...).report()
    task = infer_task(targets, declared=declared_task)           # once per model
    performance = compute_performance(actuals, predictions, task, tolerance=0.10)

Outputs map onto the catalog:

* ``drift.features[name]`` (:class:`FeatureDrift`): ``pvalue`` → ``data_drift_pvalue{test}``,
  ``statistic`` → ``data_drift_statistic``, ``effect_size`` → ``data_drift_effect_size``,
  ``psi`` → ``data_drift_psi``, ``drift_detected`` → ``data_drift_detected``,
  ``skip_reason`` → ``data_drift_test_skipped{reason}``, ``missing_rate_pvalue`` →
  ``data_missing_rate_pvalue``; ``drift.drift_columns_count`` → ``drift_columns_count``;
* ``quality.columns[name]`` (:class:`ColumnQuality`): ``missing_count``, ``completeness``,
  ``outliers_count`` (numeric columns only); ``quality.violations[(column, kind)]`` →
  ``schema_violations_count``; ``quality.score`` → ``data_quality_score``;
* ``performance.metrics`` is keyed by catalog name (``model_accuracy``, ``model_mae``, ...);
  ``performance.task`` → ``model_info{task}``.

Nothing here raises on bad data: missing, non-finite or wrongly typed values are
counted by the quality metrics and left out of the tests; too little data gives
NaN and a skip reason.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exporter.statistics.columns import FeatureColumns
    from exporter.statistics.drift import DriftConfig, DriftReport, FeatureDrift, compute_drift
    from exporter.statistics.incremental import IncrementalDrift
    from exporter.statistics.performance import PerformanceReport, compute_performance, infer_task
    from exporter.statistics.quality import (
        ColumnQuality,
        QualityCounts,
        QualityReport,
        compute_quality,
    )
    from exporter.statistics.reference import ReferenceProfile
    from exporter.statistics.skips import SkipReason

# Public name → the module that defines it. Imported on first use (PEP 562), so that
# ``exporter.statistics.skips`` stays importable without numpy/scipy (the catalog uses it).
_HOMES = {
    "FeatureColumns": "columns",
    "DriftConfig": "drift",
    "DriftReport": "drift",
    "FeatureDrift": "drift",
    "compute_drift": "drift",
    "IncrementalDrift": "incremental",
    "PerformanceReport": "performance",
    "compute_performance": "performance",
    "infer_task": "performance",
    "ColumnQuality": "quality",
    "QualityCounts": "quality",
    "QualityReport": "quality",
    "compute_quality": "quality",
    "ReferenceProfile": "reference",
    "SkipReason": "skips",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ColumnQuality",
    "DriftConfig",
    "DriftReport",
    "FeatureColumns",
    "FeatureDrift",
    "IncrementalDrift",
    "PerformanceReport",
    "QualityCounts",
    "QualityReport",
    "ReferenceProfile",
    "SkipReason",
    "compute_drift",
    "compute_performance",
    "compute_quality",
    "infer_task",
]
