"""Loading a model's reference from the prediction log into what the cycle needs, once per reference version.

The reference is read one column at a time (a 1,000,000-row reference never
exists as rows in memory), turned into a :class:`ReferenceProfile` (sorted
arrays, category counts) and then dropped, so memory stays at about one
``float64`` array per numeric feature.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from exporter.schema import FeatureSchema, FeatureSpec, infer_feature, load_overrides
from exporter.statistics.columns import FeatureColumns, encode_column
from exporter.statistics.performance import Task, infer_task
from exporter.statistics.reference import FeatureReference, ReferenceProfile
from exporter.store import PredictionStore, ReferenceHeader
from exporter.values import number_column

PROFILE_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class ModelReference:
    """A model's prepared reference: its schema, profile, and task (declared, or inferred from the targets)."""

    header: ReferenceHeader
    schema: FeatureSchema
    profile: ReferenceProfile
    task: Task | None


def load_reference(
    store: PredictionStore, model_name: str, schema_path: Path | None = None
) -> ModelReference | None:
    """Read and prepare ``model_name``'s reference; None when it has none.

    The schema is the stored one when the writer saved it, else inferred from
    the reference; ``schema_path`` (a JSON override file) is applied on top.
    Each column is profiled as soon as it is read (on a small thread pool) and then dropped.
    Raises ``exporter.schema.SchemaConfigError`` for a bad override file.
    """
    found = store.iter_reference(model_name)
    if found is None:
        return None
    header, columns = found
    stored = (
        FeatureSchema.from_dict(header.feature_schema, source=f"stored schema of {model_name!r}")
        if header.feature_schema
        else FeatureSchema(())
    )
    overrides = load_overrides(schema_path, model_name) if schema_path is not None else {}
    source = str(schema_path)
    specs: list[FeatureSpec] = []
    features: dict[str, FeatureReference] = {}
    # the store's CHECK constraint allows only the two tasks or NULL
    task = cast("Task | None", header.task)

    def prepare(name: str, raw: list[Any] | np.ndarray) -> tuple[FeatureSpec, FeatureReference]:
        if not (isinstance(raw, np.ndarray) and raw.dtype == np.float64):
            numbers = number_column(raw)  # stored as JSON: convert once for inference and encoding
            if numbers is not None:
                raw = numbers
        spec = stored.by_name.get(name) or infer_feature(name, raw)
        if name in overrides:
            spec = FeatureSchema((spec,)).with_overrides({name: overrides[name]}, source=source)[
                name
            ]
        return spec, _profile(spec, raw)

    # Columns are profiled on a few threads (numpy's sorts release the GIL) while the next one is read;
    # at most PROFILE_THREADS + 1 columns are in memory at once.
    pending: deque[tuple[str, Future]] = deque()
    with contextlib.closing(columns), ThreadPoolExecutor(PROFILE_THREADS) as pool:
        for name, role, raw in columns:
            if role == "target":
                task = infer_task(raw, header.task)
                continue
            pending.append((name, pool.submit(prepare, name, raw)))
            del raw
            while len(pending) > PROFILE_THREADS:
                _collect(pending.popleft(), specs, features)
        while pending:
            _collect(pending.popleft(), specs, features)
    # Features declared (stored schema or override file) that the reference lacks: no reference values.
    declared = [s for s in stored if s.name not in features]
    schema = FeatureSchema(tuple(specs)).with_overrides(
        {
            **{s.name: s.to_dict() for s in declared},
            **{n: o for n, o in overrides.items() if n not in features},
        },
        source=source,
    )
    for spec in schema:
        if spec.name not in features:
            features[spec.name] = _profile(spec, [None] * header.rows)
    return ModelReference(header, schema, ReferenceProfile(schema, header.rows, features), task)


def _collect(
    item: tuple[str, Future], specs: list[FeatureSpec], features: dict[str, FeatureReference]
) -> None:
    name, future = item
    spec, profile = future.result()
    specs.append(spec)
    features[name] = profile


def _profile(spec: FeatureSpec, raw: list[Any] | np.ndarray) -> FeatureReference:
    values, status = encode_column(spec, raw)
    column = FeatureColumns(
        FeatureSchema((spec,)), len(raw), {spec.name: values}, {spec.name: status}, {}
    )
    return ReferenceProfile.from_columns(column).features[spec.name]
