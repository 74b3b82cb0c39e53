"""Drift test of a categorical feature: chi-square on the 2×K table of reference vs current counts.

Never the one-sample ``chisquare`` against reference shares: that treats the
reference as exact and, with a reference of finite size, gives far too many
false alarms. The 2×K contingency test accounts for both samples' noise.

Table columns are the reference's categories plus one "unseen" column for all
categories the reference never had. Columns whose smallest expected count is
below ``min_expected`` (5, Cochran's rule) are merged into one "other" column;
if that column is still too small it joins the smallest remaining column. With
fewer than two columns left there is nothing to test: the test is skipped with
``constant_reference`` (the reference and window hold one category) or
``low_expected_count``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from exporter.statistics.psi import population_stability_index
from exporter.statistics.reference import CategoricalReference


@dataclass(frozen=True)
class CategoricalResult:
    statistic: float
    pvalue: float
    cramers_v: float
    psi: float
    skip_reason: str | None = None


def count_categories(current: np.ndarray) -> Counter[str]:
    """How often each category key occurs in ``current`` (None, a missing value, is not counted)."""
    counted = Counter(current.tolist())
    counted.pop(None, None)
    return counted


def count_table(reference: CategoricalReference, counted: Mapping[str, int]) -> np.ndarray:
    """The 2×(K+1) table: reference counts and current counts per reference category, last column unseen."""
    cur = np.array([counted.get(category, 0) for category in reference.categories], dtype=np.int64)
    unseen = sum(counted.values()) - int(cur.sum())
    return np.array([np.append(reference.counts, 0), np.append(cur, unseen)], dtype=np.int64)


def merge_rare_columns(table: np.ndarray, min_expected: float) -> np.ndarray:
    """Drop empty columns, then merge columns whose expected count is below ``min_expected`` (module docstring)."""
    table = table[:, table.sum(axis=0) > 0]
    total = table.sum()
    if total == 0 or table.shape[1] < 2:
        return table
    smallest_expected = table.sum(axis=0) * table.sum(axis=1).min() / total
    rare = smallest_expected < min_expected
    if not rare.any():
        return table
    kept = table[:, ~rare]
    other = table[:, rare].sum(axis=1, keepdims=True)
    if other.sum() * table.sum(axis=1).min() / total < min_expected and kept.shape[1] > 0:
        smallest = int(np.argmin(kept.sum(axis=0)))
        kept = kept.copy()
        kept[:, smallest : smallest + 1] += other
        return kept
    return np.hstack((kept, other))


def chi2_test(
    reference: CategoricalReference,
    counted: Mapping[str, int],
    min_expected: float,
    psi_epsilon: float,
) -> CategoricalResult:
    """Chi-square test of homogeneity, Cramér's V and PSI for one categorical feature's current category counts
    (:func:`count_categories`)."""
    table = count_table(reference, counted)
    psi = population_stability_index(
        table[0] / table[0].sum(), table[1] / table[1].sum(), psi_epsilon
    )
    merged = merge_rare_columns(table, min_expected)
    if merged.shape[1] < 2:
        single_category = len(reference.categories) == 1 and table[1, -1] == 0
        reason = "constant_reference" if single_category else "low_expected_count"
        return CategoricalResult(math.nan, math.nan, math.nan, psi, reason)
    # scipy applies Yates' continuity correction when the table is 2×2 (one degree of freedom).
    result = stats.chi2_contingency(merged)
    return CategoricalResult(float(result.statistic), float(result.pvalue), cramers_v(merged), psi)


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a 2×K table from the uncorrected chi-square (``scipy.stats.contingency.association``)."""
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    return math.sqrt(chi2 / (total * (min(table.shape) - 1)))
