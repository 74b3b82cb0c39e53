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
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from exporter.schema import MISSING_REQUIRED, UNKNOWN_FIELD
from exporter.statistics.columns import MISSING, OK, STATUS_KIND, FeatureColumns
from exporter.statistics.reference import NumericReference, ReferenceProfile

STATUS_CODES = range(5)  # OK, MISSING and the violation statuses of exporter.statistics.columns


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
    return QualityCounts.of(reference, current).report()


@dataclass
class QualityCounts:
    """What the quality report is made of, as counts that add up over rows: per column the rows with each
    status, the outliers and the "good" rows; per unknown field the rows that had it.

    :meth:`add`/:meth:`remove` follow a sliding window (rows entering, leaving:
    a :class:`exporter.window.ModelWindow` listener), so a cycle costs
    O(new rows) instead of a pass over the whole window.
    """

    reference: ReferenceProfile
    n_rows: int = 0
    by_status: dict[str, np.ndarray] = field(default_factory=dict)  # column -> rows per status code
    outliers: dict[str, int] = field(default_factory=dict)
    good: dict[str, int] = field(default_factory=dict)
    unknown: Counter[str] = field(default_factory=Counter)
    _fence_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for name in self.reference.features:
            self.by_status.setdefault(name, np.zeros(len(STATUS_CODES), dtype=np.int64))
            self.outliers.setdefault(name, 0)
            self.good.setdefault(name, 0)

    @classmethod
    def of(cls, reference: ReferenceProfile, rows: FeatureColumns) -> QualityCounts:
        counts = cls(reference)
        counts.add(rows)
        return counts

    def add(self, rows: FeatureColumns) -> None:
        self._update(rows, +1)

    def remove(self, rows: FeatureColumns) -> None:
        self._update(rows, -1)

    def _update(self, rows: FeatureColumns, sign: int) -> None:
        if not rows.n_rows:
            return
        if self.reference.features:
            self._count_columns(rows, sign)
        for name, mask in rows.unknown_fields.items():
            self.unknown[name] += sign * int(np.count_nonzero(mask))
        self.n_rows += sign * rows.n_rows

    def _count_columns(self, rows: FeatureColumns, sign: int) -> None:
        # All columns at once (features × rows arrays): a few numpy calls per batch, not a few per column.
        names = list(self.reference.features)
        status = np.stack([rows.status[name] for name in names])
        codes = status.astype(np.intp)
        codes += (len(STATUS_CODES) * np.arange(len(names)))[:, None]
        per_status = np.bincount(codes.ravel(), minlength=len(names) * len(STATUS_CODES)).reshape(
            len(names), len(STATUS_CODES)
        )
        good = status == OK
        fences = self._fences()
        outliers = np.zeros(len(names), dtype=np.int64)
        if fences is not None:
            rows_at, lower, upper = fences
            values = np.stack([rows.values[names[i]] for i in rows_at.tolist()])
            with np.errstate(invalid="ignore"):
                outlier = (values < lower[:, None]) | (values > upper[:, None])
            outliers[rows_at] = np.count_nonzero(outlier, axis=1)
            good[rows_at] &= ~outlier
        good_counts = np.count_nonzero(good, axis=1).tolist()
        for i, name in enumerate(names):
            self.by_status[name] += sign * per_status[i]
            self.outliers[name] += sign * int(outliers[i])
            self.good[name] += sign * good_counts[i]

    def _fences(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The positions (in the reference's feature order) of the numeric columns that count outliers (IQR
        above 0, :func:`outside_fences`) and their lower and upper fences; None when there are none."""
        if self._fence_arrays is None:
            at = [
                i
                for i, ref in enumerate(self.reference.features.values())
                if isinstance(ref, NumericReference) and ref.q3 > ref.q1
            ]
            refs = list(self.reference.features.values())
            self._fence_arrays = (
                np.array(at, dtype=np.intp),
                np.array([refs[i].lower_fence for i in at]),  # type: ignore[union-attr]
                np.array([refs[i].upper_fence for i in at]),  # type: ignore[union-attr]
            )
        return self._fence_arrays if self._fence_arrays[0].size else None

    def report(self) -> QualityReport:
        n_rows = self.n_rows
        columns: dict[str, ColumnQuality] = {}
        violations: dict[tuple[str, str], int] = {}
        for spec in self.reference.schema:
            name = spec.name
            per_status = self.by_status[name]
            missing = int(per_status[MISSING])
            numeric = isinstance(self.reference.features[name], NumericReference)
            columns[name] = ColumnQuality(
                name,
                missing,
                1.0 - missing / n_rows if n_rows else math.nan,
                self.outliers[name] if numeric else None,
                self.good[name] / n_rows if n_rows else math.nan,
            )
            for code, kind in STATUS_KIND.items():
                if per_status[code]:
                    violations[(name, kind)] = int(per_status[code])
            if spec.required and missing:
                violations[(name, MISSING_REQUIRED)] = missing
        violations.update(
            ((name, UNKNOWN_FIELD), count) for name, count in self.unknown.items() if count > 0
        )
        shares = [c.good_share for c in columns.values()]
        score = float(np.mean(shares)) if shares and n_rows else math.nan
        return QualityReport(columns, violations, score, n_rows)


def outside_fences(ref: NumericReference, values: np.ndarray) -> np.ndarray:
    """Rows whose finite value lies outside the reference's IQR fences (none when the IQR is 0)."""
    if not ref.q3 > ref.q1:
        return np.zeros(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return (values < ref.lower_fence) | (values > ref.upper_fence)
