"""The reference, prepared once: everything the per-cycle statistics need from it.

Building a :class:`ReferenceProfile` sorts each numeric feature's finite values
once (KS and Wasserstein then cost O(m log n) per cycle for a window of m rows),
takes its deciles (PSI bins), mean, standard deviation and IQR fences (the
outlier rule), and counts each categorical feature's categories. The raw
reference columns can be dropped afterwards: the profile keeps one sorted
``float64`` copy per numeric feature (8 bytes × rows × features) and its
block prefix sums (:mod:`exporter.statistics.prefix`, 1/32 of that).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from exporter.schema import FeatureSchema
from exporter.statistics.columns import MISSING, FeatureColumns
from exporter.statistics.prefix import PrefixSums

# Outliers lie outside [Q1 - k·IQR, Q3 + k·IQR] of the reference ("far out" in
# Tukey's terms, k = 3): rare enough in clean data that a count is a signal.
IQR_FENCE_FACTOR = 3.0
PSI_QUANTILES = np.linspace(0.1, 0.9, 9)


@dataclass(frozen=True)
class NumericReference:
    """One numeric feature of the reference.

    ``sorted_values`` holds the finite values in ascending order;
    ``psi_edges`` the distinct inner decile edges (bins are ``(-inf, e0],
    (e0, e1], ..., (e_last, inf)``) and ``psi_proportions`` the reference's
    share in each bin; ``prefix`` answers Σ of the k smallest values
    (Wasserstein). ``n_rows`` counts all reference rows, ``n_missing`` the
    rows where the feature was missing.
    """

    name: str
    sorted_values: np.ndarray
    n_rows: int
    n_missing: int
    mean: float
    std: float
    q1: float
    q3: float
    lower_fence: float
    upper_fence: float
    psi_edges: np.ndarray
    psi_proportions: np.ndarray
    prefix: PrefixSums

    kind = "numeric"

    @property
    def n(self) -> int:
        """Number of finite values (the KS sample size)."""
        return int(self.sorted_values.size)


@dataclass(frozen=True)
class CategoricalReference:
    """One categorical feature of the reference: its category counts (most frequent first)."""

    name: str
    categories: tuple[str, ...]
    counts: np.ndarray
    n_rows: int
    n_missing: int

    kind = "categorical"

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @functools.cached_property
    def category_set(self) -> frozenset[str]:
        """The categories, for membership tests (built on first use)."""
        return frozenset(self.categories)

    @functools.cached_property
    def category_keys(self) -> np.ndarray:
        """The categories as a numpy string array (to sort table columns by key; built on first use)."""
        return np.array(self.categories, dtype=str)


FeatureReference = NumericReference | CategoricalReference


@dataclass(frozen=True)
class ReferenceProfile:
    """The prepared reference of one model: a :class:`NumericReference` or
    :class:`CategoricalReference` per schema feature, in schema order."""

    schema: FeatureSchema
    n_rows: int
    features: Mapping[str, FeatureReference]

    @classmethod
    def from_columns(cls, columns: FeatureColumns) -> ReferenceProfile:
        """Prepare the reference from its parsed columns (see :meth:`FeatureColumns.from_rows`)."""
        features: dict[str, FeatureReference] = {}
        for spec in columns.schema:
            missing = int(np.count_nonzero(columns.status[spec.name] == MISSING))
            if spec.kind == "numeric":
                features[spec.name] = _numeric(
                    spec.name, columns.values[spec.name], columns.n_rows, missing
                )
            else:
                features[spec.name] = _categorical(
                    spec.name, columns.values[spec.name], columns.n_rows, missing
                )
        return cls(columns.schema, columns.n_rows, features)


def _numeric(name: str, values: np.ndarray, n_rows: int, n_missing: int) -> NumericReference:
    finite = values[
        np.isfinite(values)
    ]  # a copy, sorted in place: one extra array at a time, not two
    finite.sort()
    return _numeric_sorted(name, finite, n_rows, n_missing)


def numeric_from_sorted(name: str, ascending: np.ndarray) -> NumericReference:
    """A numeric feature's reference from all its reference values in ascending order (numpy's order:
    -inf first, +inf and NaN last), as a ``sorted-f64`` column is stored; no sort, no copy.

    Equal, bit for bit, to what :meth:`ReferenceProfile.from_columns` makes of the same values in any
    row order: non-finite values are missing, the finite ones are a contiguous run of ``ascending``.
    """
    start = int(np.searchsorted(ascending, -np.inf, side="right"))
    stop = int(np.searchsorted(ascending, np.inf, side="left"))
    finite = ascending[start:stop]
    return _numeric_sorted(name, finite, ascending.size, ascending.size - finite.size)


def _numeric_sorted(name: str, finite: np.ndarray, n_rows: int, n_missing: int) -> NumericReference:
    if finite.size == 0:
        nan = math.nan
        return NumericReference(
            name,
            finite,
            n_rows,
            n_missing,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            np.empty(0),
            np.ones(1),
            PrefixSums(finite),
        )
    quantiles = sorted_quantiles(finite, np.concatenate(([0.25, 0.75], PSI_QUANTILES)))
    q1, q3 = quantiles[:2]
    iqr = q3 - q1
    edges = np.unique(quantiles[2:])
    proportions = bin_proportions(finite, edges)
    return NumericReference(
        name,
        finite,
        n_rows,
        n_missing,
        mean=float(finite.mean()),
        std=float(finite.std()),
        q1=float(q1),
        q3=float(q3),
        lower_fence=float(q1 - IQR_FENCE_FACTOR * iqr),
        upper_fence=float(q3 + IQR_FENCE_FACTOR * iqr),
        psi_edges=edges,
        psi_proportions=proportions,
        prefix=PrefixSums(finite),
    )


def sorted_quantiles(sorted_values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``np.quantile(sorted_values, q)`` (method "linear", bit for bit) for an already sorted array.

    ``np.quantile`` copies and partitions its input, which costs as much as the sort on a
    1,000,000-row reference column; on sorted data the answer is a few lookups.
    """
    n = sorted_values.size
    virtual = np.asarray(q, dtype=np.float64) * (n - 1)
    below = np.floor(virtual)
    gamma = virtual - below
    below = below.astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    a, b = sorted_values[below], sorted_values[above]
    diff = b - a
    result = a + diff * gamma  # numpy's _lerp: from the nearer end, for monotonicity
    upper = gamma >= 0.5
    result[upper] = (b - diff * (1 - gamma))[upper]
    return result


def bin_proportions(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``sorted_values`` in each bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``."""
    cumulative = np.searchsorted(sorted_values, edges, side="right")
    counts = np.diff(np.concatenate(([0], cumulative, [sorted_values.size])))
    return counts / max(sorted_values.size, 1)


def _categorical(
    name: str, values: np.ndarray, n_rows: int, n_missing: int
) -> CategoricalReference:
    counted = Counter(values.tolist())
    counted.pop(None, None)
    return categorical_from_counts(
        name,
        list(counted),
        np.fromiter(counted.values(), np.int64, len(counted)),
        n_rows,
        n_missing,
    )


def categorical_from_counts(
    name: str, keys: Sequence[str], counts: np.ndarray, n_rows: int, n_missing: int
) -> CategoricalReference:
    """A categorical feature's reference from each category key's count (keys distinct; zero counts dropped).

    Categories are ordered most frequent first, equal counts by key: the profile depends only on the
    values, never on the order of the rows (or of ``keys``), so every storage of the same reference
    gives the same profile.
    """
    ordered = sorted((-count, key) for key, count in zip(keys, counts.tolist()) if count > 0)
    return CategoricalReference(
        name,
        tuple(key for _, key in ordered),
        np.array([-count for count, _ in ordered], dtype=np.int64),
        n_rows,
        n_missing,
    )
