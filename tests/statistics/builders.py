"""Feature schemas, columns and reference profiles built straight from arrays, for the statistics tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics.columns import FeatureColumns, encode_column
from exporter.statistics.reference import ReferenceProfile


def schema_of(numeric: Sequence[str] = (), categorical: Sequence[str] = ()) -> FeatureSchema:
    """Unbounded numeric features and open categorical features (no range or category checks)."""
    return FeatureSchema(
        tuple(FeatureSpec(name, "numeric") for name in numeric)
        + tuple(FeatureSpec(name, "categorical") for name in categorical)
    )


def columns_of(
    schema: FeatureSchema, data: Mapping[str, Sequence[Any] | np.ndarray]
) -> FeatureColumns:
    """Columns of equal length; NaN, ±inf and None are missing values."""
    lengths = {len(values) for values in data.values()}
    assert len(lengths) == 1, "columns must have equal lengths"
    n_rows = lengths.pop()
    values, status = {}, {}
    for spec in schema:
        raw = data[spec.name]
        values[spec.name], status[spec.name] = encode_column(
            spec, raw.tolist() if isinstance(raw, np.ndarray) else raw
        )
    return FeatureColumns(schema, n_rows, values, status, {})


def profile_of(
    schema: FeatureSchema, data: Mapping[str, Sequence[Any] | np.ndarray]
) -> ReferenceProfile:
    return ReferenceProfile.from_columns(columns_of(schema, data))
