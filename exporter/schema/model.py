"""The feature schema of one model: its :class:`FeatureSpec` per feature, in a stable order.

It drives two things:

* which drift test a feature gets (KS for numeric, chi-square for categorical);
* schema validation of each logged value, counted by the runtime as
  ``schema_violations_count{column, kind}``.

It is inferred from the reference (:mod:`exporter.schema.inference`) and can be
corrected by an override file (:mod:`exporter.schema.overrides`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporter.schema.feature import UNKNOWN_FIELD, FeatureSpec, SchemaConfigError
from exporter.schema.inference import (
    DEFAULT_MAX_INTEGER_CATEGORIES,
    DEFAULT_RANGE_MARGIN,
    infer_specs,
    provisional_specs,
)
from exporter.schema.overrides import load_overrides, override_specs


@dataclass(frozen=True)
class FeatureSchema:
    """The features of one model, in a stable order (the reference's first-seen order)."""

    features: tuple[FeatureSpec, ...]
    by_name: Mapping[str, FeatureSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {spec.name: spec for spec in self.features}
        if len(by_name) != len(self.features):
            raise ValueError("feature names must be unique")
        object.__setattr__(self, "by_name", by_name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.features)

    def __getitem__(self, name: str) -> FeatureSpec:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self):
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)

    @classmethod
    def infer(
        cls,
        rows: Iterable[Mapping[str, Any]],
        *,
        max_integer_categories: int = DEFAULT_MAX_INTEGER_CATEGORIES,
        range_margin: float = DEFAULT_RANGE_MARGIN,
    ) -> FeatureSchema:
        """Infer the schema from reference rows (dicts of feature name → raw value); rules in
        :mod:`exporter.schema.inference`."""
        return cls(
            infer_specs(
                rows, max_integer_categories=max_integer_categories, range_margin=range_margin
            )
        )

    @classmethod
    def provisional(cls, rows: Iterable[Mapping[str, Any]]) -> FeatureSchema:
        """A lenient schema for a model without reference data (see :func:`provisional_specs`)."""
        return cls(provisional_specs(rows))

    def with_overrides(
        self, overrides: Mapping[str, Mapping[str, Any]], *, source: str = "<overrides>"
    ) -> FeatureSchema:
        """A copy with per-feature overrides applied (the ``features`` object of the JSON config).

        A feature named in the overrides but absent from the reference is added
        (its ``kind`` is then required). Raises :class:`SchemaConfigError`
        naming ``source`` and the feature for unknown keys or bad values.
        """
        specs = override_specs(
            {spec.name: spec for spec in self.features}, overrides, source=source
        )
        return FeatureSchema(tuple(specs.values()))

    def with_override_file(self, path: str | Path, model_name: str | None = None) -> FeatureSchema:
        """Apply the overrides in JSON file ``path`` (for ``model_name`` when it has a ``models`` section)."""
        return self.with_overrides(load_overrides(path, model_name), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the store saves and the override file accepts)."""
        return {"features": {spec.name: spec.to_dict() for spec in self.features}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<schema>") -> FeatureSchema:
        features = data.get("features") if isinstance(data, Mapping) else None
        if not isinstance(features, Mapping):
            raise SchemaConfigError(f'{source}: expected an object with a "features" object')
        return cls(()).with_overrides(features, source=source)

    def violations(self, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(column, violation kind) for every problem in one row, including absent required features
        and ``unknown_field`` for names the schema does not know."""
        found = []
        for spec in self.features:
            kind = spec.violation(row.get(spec.name))
            if kind is not None:
                found.append((spec.name, kind))
        found.extend((name, UNKNOWN_FIELD) for name in row if name not in self.by_name)
        return found
