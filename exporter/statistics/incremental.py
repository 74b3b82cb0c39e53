"""Drift of a sliding window, kept up to date as rows enter and leave instead of recomputed from scratch.

The runtime's window (:class:`exporter.window.ModelWindow`) tells an
:class:`IncrementalDrift` which rows it added and which it dropped; per
feature it keeps

* numeric: the finite values as sorted distinct values with counts and
  reference ranks (:class:`~exporter.statistics.ranked.RankedWindow`), so a
  cycle searches only the values that entered and makes O(m) vectorised
  passes instead of sorting and searching the whole window. The values that
  enter and leave are queued and applied together, by their net count per
  value, when the report is asked for;
* categorical: the count of each category key;
* both: the number of missing values.

:meth:`IncrementalDrift.report` gives the same :class:`DriftReport` as
:func:`exporter.statistics.drift.compute_drift` on the window's rows (equal
to rounding: sums are taken over the same intervals in a different grouping).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from exporter.statistics.categorical import count_categories
from exporter.statistics.columns import MISSING, FeatureColumns
from exporter.statistics.drift import (
    DriftConfig,
    DriftReport,
    FeatureDrift,
    categorical_drift,
    drift_report,
    missing_rate_pvalue,
    numeric_drift,
)
from exporter.statistics.ranked import RankedWindow, SpareTable
from exporter.statistics.reference import CategoricalReference, NumericReference, ReferenceProfile


class IncrementalDrift:
    """Drift of the rows added and not yet removed, against ``reference`` (see the module docstring)."""

    def __init__(self, reference: ReferenceProfile, config: DriftConfig = DriftConfig()):
        self.reference = reference
        self.config = config
        self.n_rows = 0
        spare = SpareTable()
        self._ranked = {
            name: RankedWindow(ref, spare)
            for name, ref in reference.features.items()
            if isinstance(ref, NumericReference)
        }
        # per numeric feature: (+1 or -1, values) not yet applied to its RankedWindow, oldest first
        self._pending: dict[str, list[tuple[int, np.ndarray]]] = {name: [] for name in self._ranked}
        self._counts: dict[str, Counter[str]] = {
            name: Counter() for name in reference.features if name not in self._ranked
        }
        self._missing = dict.fromkeys(reference.features, 0)

    def add(self, rows: FeatureColumns) -> None:
        """Rows entering the window (parsed with the reference's schema)."""
        self._update(rows, +1)

    def remove(self, rows: FeatureColumns) -> None:
        """Rows leaving the window; they must have been added (else :meth:`report` raises
        :class:`~exporter.statistics.ranked.WindowOutOfStep`: build a new one)."""
        self._update(rows, -1)

    def _update(self, rows: FeatureColumns, sign: int) -> None:
        if not rows.n_rows:
            return
        for name, pending in self._pending.items():
            pending.append((sign, rows.values[name]))
        for name, counts in self._counts.items():
            counted = count_categories(rows.values[name])
            if sign > 0:
                counts.update(counted)
            else:
                counts.subtract(counted)
                for key in [key for key, count in counts.items() if count <= 0]:
                    del counts[key]
        for name in self._missing:
            self._missing[name] += sign * int(np.count_nonzero(rows.status[name] == MISSING))
        self.n_rows += sign * rows.n_rows

    def report(self) -> DriftReport:
        """The drift of the rows currently held (what ``compute_drift`` gives on the same rows)."""
        config = self.config
        # One thread: the per-feature work is many short numpy calls, so threads contend for the GIL
        # and measured slower than one (scripts/bench_exporter.py).
        tested = {name: self._numeric(name) for name in self._ranked}
        results: dict[str, FeatureDrift] = {}
        for name, ref in self.reference.features.items():
            if isinstance(ref, CategoricalReference):
                result = categorical_drift(name, ref, self._counts[name], config)
            else:
                result = tested[name]
            result.missing_rate_pvalue = missing_rate_pvalue(
                ref, self._missing[name], self.n_rows, config.min_rows
            )
            results[name] = result
        return drift_report(results, config, self.n_rows, self.reference)

    def _numeric(self, name: str) -> FeatureDrift:
        ranked, pending = self._ranked[name], self._pending[name]
        if pending:
            ranked.update(pending)
            pending.clear()
        reference = self.reference.features[name]
        assert isinstance(reference, NumericReference)
        return numeric_drift(name, reference, ranked.size, ranked.sample, self.config)
