"""Loading a model's reference from the prediction log into what the cycle needs, once per reference version.

The reference is read one column at a time (a 1,000,000-row reference never
exists as rows in memory), turned into a :class:`ReferenceProfile` (sorted
arrays, category counts) and then dropped, so memory stays at about one
``float64`` array per numeric feature.

Columns are read as stored, not in row order (:mod:`exporter.reference_codec`):
numbers come already sorted and strings as dictionary codes, so a numeric
feature's profile is a few passes over its sorted values and a categorical
one's a ``bincount`` of its codes. Columns of older logs (JSON, numbers in row
order) and columns whose stored type does not match the feature's kind take
the general path: :func:`exporter.statistics.columns.encode_column`, then sort
or count.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from exporter.reference_codec import CodedStrings, Column, SortedNumbers
from exporter.schema import (
    FeatureSchema,
    FeatureSpec,
    infer_feature,
    infer_string_feature,
    load_overrides,
)
from exporter.statistics.columns import FeatureColumns, encode_column
from exporter.statistics.performance import Task, infer_task
from exporter.statistics.reference import (
    FeatureReference,
    ReferenceProfile,
    categorical_from_counts,
    numeric_from_sorted,
)
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
    found = store.iter_reference(model_name, in_row_order=False)
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

    def prepare(name: str, raw: Column) -> tuple[FeatureSpec, FeatureReference]:
        if isinstance(raw, list):
            numbers = number_column(raw)  # stored as JSON: convert once for inference and encoding
            if numbers is not None:
                raw = numbers
        spec = stored.by_name.get(name) or _infer(name, raw)
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
                task = _task(raw, header.task)
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


def _infer(name: str, raw: Column) -> FeatureSpec:
    if isinstance(raw, SortedNumbers):
        return infer_feature(name, raw.values)  # inference does not depend on the values' order
    if isinstance(raw, CodedStrings):
        return infer_string_feature(name, raw.dictionary, len(raw), len(raw) - raw.n_missing)
    return infer_feature(name, raw)


def _task(targets: Column, declared: str | None) -> Task | None:
    if isinstance(targets, SortedNumbers):
        return infer_task(targets.values, declared)
    if isinstance(targets, CodedStrings):
        return infer_task(
            targets.dictionary, declared
        )  # each distinct target once: enough to infer
    return infer_task(targets, declared)


def _profile(spec: FeatureSpec, raw: Column) -> FeatureReference:
    if isinstance(raw, SortedNumbers):
        if spec.kind == "numeric":
            return numeric_from_sorted(spec.name, raw.values)
        raw = raw.values  # counted as categories: the order of the rows does not matter
    elif isinstance(raw, CodedStrings):
        if spec.kind == "categorical":
            return categorical_from_counts(
                spec.name, raw.dictionary, raw.counts(), len(raw), raw.n_missing
            )
        raw = raw.tolist()
    values, status = encode_column(spec, raw)
    column = FeatureColumns(
        FeatureSchema((spec,)), len(raw), {spec.name: values}, {spec.name: status}, {}
    )
    return ReferenceProfile.from_columns(column).features[spec.name]
