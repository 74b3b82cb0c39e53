"""Drift test of a categorical feature: chi-square on the 2×K table of reference vs current counts.

Never the one-sample ``chisquare`` against reference shares: that treats the
reference as exact and, with a reference of finite size, gives far too many
false alarms. The 2×K contingency test accounts for both samples' noise.

Table columns are the categories seen in either sample: each category of the
window that the reference lacks is a column of its own (reference count 0),
never one "unseen" column. A long-tail feature (zip codes, product ids) has
many categories a reference *sample* happens to miss; lumping them into one
column whose reference count is 0 by construction selects that column by the
reference's data and makes the test reject although nothing changed.

Under "no drift" the reference and the window are draws from one
distribution, so given each column's total (reference + window) the window's
share of it is hypergeometric whatever the distribution. Merging columns by a
rule that reads only the column totals (and the category keys, which are not
data) keeps the test valid, so rare columns are merged that way:

* a column is rare when its expected count in the smaller row is below
  ``min_expected`` (5, Cochran's rule);
* rare columns are taken in order of total, then of category key (never of
  either sample's own count), and cut into consecutive groups, each expecting
  at least ``min_expected``;
* a last group still too small joins the previous group, else the smallest
  other column when at least two remain;
* one common column plus one group too small for the chi-square is a 2×2
  table: Fisher's exact test (``scipy.stats.fisher_exact``) gives its p-value.

So a window made of categories the reference never had is tested (and
flagged), not skipped. With fewer than two columns left there is nothing to
test: ``constant_reference`` (reference and window hold one category) or
``low_expected_count``. PSI keeps one bin for all unseen categories.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from exporter.statistics.psi import population_stability_index
from exporter.statistics.reference import CategoricalReference
from exporter.statistics.skips import SkipReason


@dataclass(frozen=True)
class CategoricalResult:
    statistic: float
    pvalue: float
    effect_size: float  # balanced_cramers_v of the merged table
    psi: float
    skip_reason: SkipReason | None = None


@dataclass(frozen=True)
class MergedTable:
    """The 2×K table after rare columns were merged; ``exact`` when Fisher's exact test must give its p-value."""

    table: np.ndarray
    exact: bool = False


def count_categories(current: np.ndarray) -> Counter[str]:
    """How often each category key occurs in ``current`` (None, a missing value, is not counted)."""
    counted = Counter(current.tolist())
    counted.pop(None, None)
    return counted


def count_table(
    reference: CategoricalReference, counted: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The 2×(K+U) table and its column labels: per reference category its reference and current counts,
    then one column per category of ``counted`` the reference lacks (reference count 0), by key."""
    cur = np.array([counted.get(category, 0) for category in reference.categories], dtype=np.int64)
    known = reference.category_set
    unseen = sorted((key, count) for key, count in counted.items() if key not in known)
    unseen_counts = np.array([count for _, count in unseen], dtype=np.int64)
    table = np.vstack(
        (
            np.concatenate((reference.counts, np.zeros(unseen_counts.size, dtype=np.int64))),
            np.concatenate((cur, unseen_counts)),
        )
    )
    labels = np.concatenate(
        (reference.category_keys, np.array([key for key, _ in unseen], dtype=str))
    )
    return table, labels


def merge_rare_columns(
    table: np.ndarray, min_expected: float, labels: np.ndarray | None = None
) -> MergedTable:
    """Drop empty columns, then merge rare columns by their totals and ``labels`` only (module docstring).

    Without labels, columns of equal total are taken in the table's order, which must then not depend
    on the counts."""
    occupied = table.sum(axis=0) > 0
    table = table[:, occupied]
    keys = None if labels is None else labels[occupied]
    total = table.sum()
    if total == 0 or table.shape[1] < 2:
        return MergedTable(table)
    column_totals = table.sum(axis=0)
    # expected count in the smaller row per unit of column total
    per_total = table.sum(axis=1).min() / total
    rare = column_totals * per_total < min_expected
    if not rare.any():
        return MergedTable(table)
    kept = table[:, ~rare]
    rare_keys = None if keys is None else keys[rare]
    groups = _group_by_total(table[:, rare], rare_keys, per_total, min_expected)  # 2 × G
    last = groups[:, -1]
    if last.sum() * per_total < min_expected:
        if groups.shape[1] > 1:
            groups = groups[:, :-1].copy()
            groups[:, -1] += last
        elif kept.shape[1] >= 2:
            kept = kept.copy()
            smallest = int(np.argmin(kept.sum(axis=0)))
            kept[:, smallest] += last
            return MergedTable(kept)
        elif kept.shape[1] == 1:
            return MergedTable(np.column_stack((kept[:, 0], last)), exact=True)
    return MergedTable(np.hstack((kept, groups)))


def _group_by_total(
    rare: np.ndarray, keys: np.ndarray | None, per_total: float, min_expected: float
) -> np.ndarray:
    """The 2 × G sums of consecutive groups of the rare columns in order of (total, key), each cut once
    it expects ``min_expected``; the last group may expect less."""
    column_totals = rare.sum(axis=0)
    order = (
        np.argsort(column_totals, kind="stable")
        if keys is None
        else np.lexsort((keys, column_totals))
    )
    ordered = rare[:, order]
    # cut where the running total first reaches what a group needs past the previous cut
    needed = min_expected / per_total
    running = np.cumsum(column_totals[order]).tolist()
    starts, reached = [0], 0.0
    while True:
        stop = bisect.bisect_left(running, reached + needed, lo=starts[-1]) + 1
        if stop >= len(running):
            break
        starts.append(stop)
        reached = running[stop - 1]
    return np.add.reduceat(ordered, starts, axis=1)


def chi2_test(
    reference: CategoricalReference,
    counted: Mapping[str, int],
    min_expected: float,
    psi_epsilon: float,
) -> CategoricalResult:
    """Chi-square test of homogeneity (or Fisher's, see the module docstring), effect size
    (:func:`balanced_cramers_v`) and PSI of one categorical feature's current category counts
    (:func:`count_categories`)."""
    table, labels = count_table(reference, counted)
    psi = _psi(table, len(reference.categories), psi_epsilon)
    merged = merge_rare_columns(table, min_expected, labels)
    if merged.table.shape[1] < 2:
        single_category = len(reference.categories) == 1 and table.shape[1] == 1
        reason = SkipReason.CONSTANT_REFERENCE if single_category else SkipReason.LOW_EXPECTED_COUNT
        return CategoricalResult(math.nan, math.nan, math.nan, psi, reason)
    if merged.exact:
        pvalue = float(stats.fisher_exact(merged.table).pvalue)
        return CategoricalResult(
            pearson_statistic(merged.table), pvalue, balanced_cramers_v(merged.table), psi
        )
    statistic, pvalue = chi2_contingency(merged.table)
    return CategoricalResult(statistic, pvalue, balanced_cramers_v(merged.table), psi)


def chi2_contingency(table: np.ndarray) -> tuple[float, float]:
    """Statistic and p-value of ``scipy.stats.chi2_contingency(table)`` for a 2×K table without empty
    rows or columns, computed with the same operations in the same order (equal to the last bit on the
    tables of tests/statistics/test_chi2.py) in ~30 µs instead of ~1 ms of scipy's argument handling.
    Yates' continuity correction applies when the table is 2×2 (one degree of freedom), as in scipy."""
    observed = np.asarray(table, dtype=np.float64)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0, keepdims=True)
    expected /= observed.sum()
    if not expected.all():  # an empty row or column: scipy says what is wrong
        result = stats.chi2_contingency(table)
        return float(result.statistic), float(result.pvalue)
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    if dof == 0:
        return 0.0, 1.0
    if dof == 1:
        diff = expected - observed
        observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return statistic, float(special.chdtrc(dof, statistic))


def _psi(table: np.ndarray, n_known: int, epsilon: float) -> float:
    """PSI over the reference's categories plus one bin for every category the reference lacks."""
    binned = np.column_stack((table[:, :n_known], table[:, n_known:].sum(axis=1)))
    return population_stability_index(
        binned[0] / binned[0].sum(), binned[1] / binned[1].sum(), epsilon
    )


def pearson_statistic(table: np.ndarray) -> float:
    """Pearson's chi-square of a table, without continuity correction."""
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    return float(np.sum((table - expected) ** 2 / expected))


def balanced_cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a 2×K table with both rows weighted equally: √(½ Σ (p − q)² / (p + q)) over the
    reference's and the window's shares p and q.

    Plain Cramér's V of a reference-vs-window table shrinks with the window's share of the rows
    (V² = chi²/N, and chi² grows with the smaller sample only): a 1,000-row window against a
    100,000-row reference shows shares moving from 50/50 to 30/70 as V = 0.04 (0.2 with equal
    sizes). Weighted equally, V
    measures the distributions alone, in [0, 1] (1: no category in common); it equals
    :func:`cramers_v` when both samples have the same size. This is the effect size exported and
    compared with a minimum effect.
    """
    p = table[0] / table[0].sum()
    q = table[1] / table[1].sum()
    pooled = p + q
    present = pooled > 0
    return math.sqrt(0.5 * float(np.sum((p[present] - q[present]) ** 2 / pooled[present])))


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a 2×K table from the uncorrected chi-square (``scipy.stats.contingency.association``)."""
    return math.sqrt(pearson_statistic(table) / (table.sum() * (min(table.shape) - 1)))
