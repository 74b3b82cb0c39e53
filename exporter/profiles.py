"""Loading a model's reference from the prediction log into what the cycle needs, once per reference version.

The reference is read one column at a time (a 1,000,000-row reference never
exists as rows in memory), turned into a :class:`ReferenceProfile` (sorted
arrays, category counts) and then dropped, so memory stays at about one
``float64`` array per numeric feature.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics.columns import FeatureColumns, encode_column
from exporter.statistics.reference import ReferenceProfile
from exporter.store import PredictionStore, ReferenceHeader


@dataclass(frozen=True)
class ModelReference:
    """A model's prepared reference: its schema, profile, task and the reference's target values."""

    header: ReferenceHeader
    schema: FeatureSchema
    profile: ReferenceProfile
    targets: np.ndarray | None  # object array of the reference targets, for task inference

    @property
    def task(self) -> str | None:
        return self.header.task


def load_reference(store: PredictionStore, model_name: str, schema_path: Path | None = None) -> ModelReference | None:
    """Read and prepare ``model_name``'s reference; None when it has none.

    The schema is the stored one when the writer saved it, else inferred from
    the reference; ``schema_path`` (a JSON override file) is applied on top.
    Raises ``exporter.schema.SchemaConfigError`` for a bad override file.
    """
    found = store.iter_reference(model_name)
    if found is None:
        return None
    header, columns = found
    stored_schema = FeatureSchema.from_dict(header.feature_schema, source=f"stored schema of {model_name!r}") \
        if header.feature_schema else None
    specs: list[FeatureSpec] = []
    values: dict[str, np.ndarray] = {}
    status: dict[str, np.ndarray] = {}
    targets = None
    with contextlib.closing(columns):
        for name, role, raw in columns:
            if role == "target":
                targets = np.empty(len(raw), dtype=object)
                targets[:] = raw
                continue
            spec = stored_schema.by_name.get(name) if stored_schema is not None else None
            if spec is None:
                spec = _infer_spec(name, raw)
            specs.append(spec)
            values[name], status[name] = encode_column(spec, raw)
            del raw
    schema = FeatureSchema(tuple(specs))
    if stored_schema is not None:  # features the writer declared but the reference lacks
        schema = FeatureSchema(schema.features + tuple(s for s in stored_schema if s.name not in schema))
    if schema_path is not None:
        schema = schema.with_override_file(schema_path, model_name)
    for spec in schema:
        if spec.name not in values or _kind_changed(spec, values[spec.name]):
            values[spec.name], status[spec.name] = encode_column(spec, _decode(values.get(spec.name), header.rows))
    reference_columns = FeatureColumns(schema, header.rows, {n: values[n] for n in schema.names},
                                       {n: status[n] for n in schema.names}, {})
    profile = ReferenceProfile.from_columns(reference_columns)
    return ModelReference(header, schema, profile, targets)


def _infer_spec(name: str, raw: list[Any]) -> FeatureSpec:
    inferred = FeatureSchema.infer({name: value} for value in raw)
    if name in inferred:
        return inferred[name]
    return FeatureSpec(name, "numeric", required=False)  # an empty reference column




def _kind_changed(spec: FeatureSpec, encoded: np.ndarray) -> bool:
    """True when an override changed a feature's kind after it was encoded."""
    return (spec.kind == "numeric") != (encoded.dtype == np.float64)


def _decode(encoded: np.ndarray | None, rows: int) -> list[Any]:
    if encoded is None:
        return [None] * rows
    if encoded.dtype == np.float64:
        return [None if not math.isfinite(v) else v for v in encoded.tolist()]
    return encoded.tolist()
