"""Inferring a feature schema from reference data (or, lacking one, from a model's first logged rows).

Rules (:func:`infer_specs`, documented in the prediction-log docs):

* strings and booleans → categorical, categories = the values seen;
* integers with at most ``max_integer_categories`` (20) distinct values →
  categorical (``bedrooms`` is better tested with chi-square than KS, which
  is built for continuous data and is conservative with heavy ties);
* other numbers → numeric, with the allowed range = reference min/max widened
  by ``range_margin`` (25%) of the reference range on each side; when the
  reference minimum is ≥ 0 the lower bound is clamped at 0 (a feature never
  negative in training must not become negative);
* a feature is required when it is present (non-null) in every reference row.

Columns of only numbers or only strings (the usual case) are summarised with
numpy in a few passes; a column mixing types falls back to a value-by-value scan.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from exporter.schema.feature import FeatureSpec
from exporter.values import category_key, is_missing, is_number, number_column

DEFAULT_MAX_INTEGER_CATEGORIES = 20
DEFAULT_RANGE_MARGIN = 0.25


def infer_specs(
    rows: Iterable[Mapping[str, Any]],
    *,
    max_integer_categories: int = DEFAULT_MAX_INTEGER_CATEGORIES,
    range_margin: float = DEFAULT_RANGE_MARGIN,
) -> tuple[FeatureSpec, ...]:
    """One spec per feature of reference ``rows`` (dicts of feature name → raw value), in first-seen order."""
    rows = rows if isinstance(rows, list) else list(rows)
    names = dict.fromkeys(name for row in rows for name in row)
    return tuple(
        infer_feature(
            name,
            [row.get(name) for row in rows],
            max_integer_categories=max_integer_categories,
            range_margin=range_margin,
        )
        for name in names
    )


def provisional_specs(rows: Iterable[Mapping[str, Any]]) -> tuple[FeatureSpec, ...]:
    """Lenient specs for a model without reference data, from its first logged rows.

    Kinds are inferred as for a reference, but nothing is required and no range
    or category list is enforced: without a reference there is nothing to
    validate against, only missing values to count.
    """
    return tuple(
        replace(spec, required=False, minimum=None, maximum=None, categories=None)
        for spec in infer_specs(rows)
    )


def infer_feature(
    name: str,
    raw: Sequence[Any] | np.ndarray,
    *,
    max_integer_categories: int = DEFAULT_MAX_INTEGER_CATEGORIES,
    range_margin: float = DEFAULT_RANGE_MARGIN,
) -> FeatureSpec:
    """Infer one feature from its reference column (raw values, None where absent, or a :func:`number_column`);
    rules in the module docstring.

    Columns of only numbers or only strings (the usual case) are summarised with
    numpy in a few passes; a column mixing types falls back to a value-by-value scan.
    """
    if isinstance(raw, np.ndarray) and raw.dtype == np.float64:
        return _observe_numbers(raw, max_integer_categories).spec(
            name, raw.size, max_integer_categories, range_margin
        )
    raw = raw if isinstance(raw, list) else list(raw)
    observed = None
    types = set(map(type, raw))
    if types <= _NUMBER_TYPES:
        numbers = number_column(raw)
        observed = None if numbers is None else _observe_numbers(numbers, max_integer_categories)
    elif types <= {str, type(None)}:
        observed = _observe_strings(raw)
    if observed is None:
        observed = _Observed()
        for value in raw:
            observed.add(value, max_integer_categories)
    return observed.spec(name, len(raw), max_integer_categories, range_margin)


_NUMBER_TYPES = frozenset({int, float, type(None)})


def _observe_numbers(values: np.ndarray, max_integer_categories: int) -> _Observed:
    """Summary of a column of numbers given as ``float64`` (NaN/±inf are missing)."""
    finite = values[np.isfinite(values)]
    observed = _Observed(present=int(finite.size))
    if not finite.size:
        return observed
    observed.minimum, observed.maximum = float(finite.min()), float(finite.max())
    observed.floats = bool(np.any(finite != np.floor(finite)))
    if not observed.floats:
        distinct = np.unique(finite)
        observed.integers = set(distinct[: max_integer_categories + 1].astype(np.int64).tolist())
        if distinct.size <= max_integer_categories:
            observed.categories = dict.fromkeys(category_key(v) for v in observed.integers)
    return observed


def infer_string_feature(
    name: str,
    distinct: Iterable[str],
    n_rows: int,
    present: int,
    *,
    max_integer_categories: int = DEFAULT_MAX_INTEGER_CATEGORIES,
    range_margin: float = DEFAULT_RANGE_MARGIN,
) -> FeatureSpec:
    """:func:`infer_feature` for a column of strings and None given as its distinct strings in
    first-seen order (a dictionary-encoded reference column) and its count of non-missing rows."""
    return _observed_strings(distinct, present).spec(
        name, n_rows, max_integer_categories, range_margin
    )


def _observe_strings(raw: list[Any]) -> _Observed:
    """Summary of a column of strings and None: categorical, categories in first-seen order (capped)."""
    seen = dict.fromkeys(raw)
    seen.pop(None, None)
    return _observed_strings(seen, len(raw) - raw.count(None))


def _observed_strings(distinct: Iterable[str], present: int) -> _Observed:
    categories = dict.fromkeys(itertools.islice(distinct, _MAX_INFERRED_CATEGORIES + 1))
    return _Observed(present=present, non_numbers=bool(present), categories=categories)


@dataclass
class _Observed:
    """What inference saw of one feature across the reference rows."""

    present: int = 0
    non_numbers: bool = False  # a string or boolean was seen
    floats: bool = False  # a non-integral float was seen
    integers: set[int] = field(default_factory=set)
    categories: dict[str, None] = field(default_factory=dict)
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, value: Any, max_integer_categories: int) -> None:
        if is_missing(value):
            return
        self.present += 1
        if is_number(value):
            self.minimum = min(self.minimum, value)
            self.maximum = max(self.maximum, value)
            if isinstance(value, int) or value.is_integer():
                if len(self.integers) <= max_integer_categories:
                    self.integers.add(int(value))
            else:
                self.floats = True
        else:
            self.non_numbers = True
        if len(self.categories) <= _MAX_INFERRED_CATEGORIES:
            self.categories[category_key(value)] = None

    def spec(
        self, name: str, n_rows: int, max_integer_categories: int, range_margin: float
    ) -> FeatureSpec:
        required = self.present == n_rows
        if self.non_numbers or self.present == 0:
            return FeatureSpec(
                name, "categorical", required, categories=tuple(sorted(self.categories))
            )
        if not self.floats and len(self.integers) <= max_integer_categories:
            return FeatureSpec(
                name, "categorical", required, categories=tuple(sorted(self.categories, key=float))
            )
        span = self.maximum - self.minimum
        lower = self.minimum - range_margin * span
        if self.minimum >= 0:
            lower = max(lower, 0.0)
        return FeatureSpec(
            name, "numeric", required, float(lower), float(self.maximum + range_margin * span)
        )


# A string feature with more distinct values than this (an id, free text) is
# still categorical, but only the first values seen are kept as its categories.
_MAX_INFERRED_CATEGORIES = 1000
