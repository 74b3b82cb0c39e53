"""Data quality of the current window: missing values, completeness, outliers, schema violations, one score.

* missing: absent, null, NaN or ±inf; ``completeness = 1 - missing / rows``;
* outliers (numeric columns): finite values outside the reference's IQR fences
  ``[Q1 - 3·IQR, Q3 + 3·IQR]``; when the reference's IQR is 0 (a mostly
  constant feature) the fences would flag every other value, so no outliers
  are counted for that column;
* violations per column and kind (see :mod:`exporter.schema`);
* ``score`` = mean over schema columns of the share of rows whose value is
  present, valid (no violation) and not an outlier. 1 is perfect; an empty
  window has no score (NaN). Unknown fields do not lower the score (they are
  counted as violations of their own column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from exporter.statistics.columns import MISSING, OK, FeatureColumns
from exporter.statistics.reference import NumericReference, ReferenceProfile


@dataclass(frozen=True)
class ColumnQuality:
    """Quality of one schema column. ``outliers_count`` is None for categorical columns."""

    column: str
    missing_count: int
    completeness: float  # 0..1; NaN for an empty window
    outliers_count: int | None
    good_share: float  # present, valid and not an outlier; NaN for an empty window


@dataclass(frozen=True)
class QualityReport:
    columns: dict[str, ColumnQuality]
    violations: dict[tuple[str, str], int]  # (column, kind) → count, non-zero only
    score: float
    n_rows: int


def compute_quality(reference: ReferenceProfile, current: FeatureColumns) -> QualityReport:
    """Quality of ``current`` (parsed with ``reference.schema``); see the module docstring."""
    n_rows = current.n_rows
    columns: dict[str, ColumnQuality] = {}
    for name, ref in reference.features.items():
        status = current.status[name]
        missing = int(np.count_nonzero(status == MISSING))
        good = status == OK
        outliers = None
        if isinstance(ref, NumericReference):
            outlier_mask = outside_fences(ref, current.values[name])
            outliers = int(np.count_nonzero(outlier_mask))
            good &= ~outlier_mask
        columns[name] = ColumnQuality(
            name,
            missing,
            1.0 - missing / n_rows if n_rows else math.nan,
            outliers,
            int(np.count_nonzero(good)) / n_rows if n_rows else math.nan,
        )
    shares = [c.good_share for c in columns.values()]
    score = float(np.mean(shares)) if shares and n_rows else math.nan
    return QualityReport(columns, current.violation_counts(), score, n_rows)


def outside_fences(ref: NumericReference, values: np.ndarray) -> np.ndarray:
    """Rows whose finite value lies outside the reference's IQR fences (none when the IQR is 0)."""
    if not ref.q3 > ref.q1:
        return np.zeros(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return (values < ref.lower_fence) | (values > ref.upper_fence)
