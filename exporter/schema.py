"""The feature schema: what each model input looks like, inferred from the reference.

A :class:`FeatureSchema` holds one :class:`FeatureSpec` per feature: its kind
(``numeric`` or ``categorical``), whether it is required, its allowed range
(numeric) or categories (categorical). It drives two things:

* which drift test a feature gets (KS for numeric, chi-square for categorical);
* schema validation of each logged value, counted by the runtime as
  ``schema_violations_count{column, kind}``.

Inference rules (:meth:`FeatureSchema.infer`, documented in the README):

* strings and booleans → categorical, categories = the values seen;
* integers with at most ``max_integer_categories`` (20) distinct values →
  categorical (``bedrooms`` is better tested with chi-square than KS, which
  is built for continuous data and is conservative with heavy ties);
* other numbers → numeric, with the allowed range = reference min/max widened
  by ``range_margin`` (25%) of the reference range on each side; when the
  reference minimum is ≥ 0 the lower bound is clamped at 0 (a feature never
  negative in training must not become negative);
* a feature is required when it is present (non-null) in every reference row.

Overrides come from a JSON file (stdlib ``json`` only: the exporter's container
has no YAML parser)::

    {"features": {"sqft": {"kind": "numeric", "min": 0, "max": 20000},
                  "zipcode": {"kind": "categorical", "categories": ["98101", "98102"]},
                  "notes": {"required": false, "range": null}}}

or, for several models, ``{"models": {"<model_name>": {"features": {...}}}}``.
Only the keys given replace the inferred ones; ``"range": null`` removes the
range check; ``"categories": null`` accepts any category.

This module must not import ``mlmon``; it needs only the standard library and numpy.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

FeatureKind = Literal["numeric", "categorical"]
KINDS: tuple[str, ...] = ("numeric", "categorical")

# Violation kinds, as in exporter.catalog.VIOLATION_KINDS.
WRONG_TYPE = "wrong_type"
UNKNOWN_CATEGORY = "unknown_category"
OUT_OF_RANGE = "out_of_range"
MISSING_REQUIRED = "missing_required"
UNKNOWN_FIELD = "unknown_field"
VIOLATION_KINDS: tuple[str, ...] = (
    WRONG_TYPE,
    UNKNOWN_CATEGORY,
    OUT_OF_RANGE,
    MISSING_REQUIRED,
    UNKNOWN_FIELD,
)

DEFAULT_MAX_INTEGER_CATEGORIES = 20
DEFAULT_RANGE_MARGIN = 0.25


class SchemaConfigError(ValueError):
    """A schema override file that cannot be used; the message names the file, the feature and what to do."""


def is_missing(value: Any) -> bool:
    """True for an absent value: None, NaN or ±inf (they are counted as missing, never tested)."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool (JSON ``true`` is not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def category_key(value: Any) -> str:
    """The string a categorical value is counted under.

    Booleans become ``"true"``/``"false"`` (as in JSON), integral numbers lose
    their ``.0`` (``3`` and ``3.0`` are the same category), strings are kept.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its kind, whether it must be present, and what values are allowed.

    ``minimum``/``maximum`` bound numeric values (None: unbounded on that side);
    ``categories`` lists the allowed category keys (see :func:`category_key`)
    of a categorical feature, in a stable order (None: any category allowed).
    """

    name: str
    kind: FeatureKind
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None
    # drift (issue #13): flag only with an effect size at least this; None: EXPORTER_DRIFT_MIN_EFFECT
    min_effect: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"feature {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}"
            )
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(
                f"feature {self.name!r}: min {self.minimum} is greater than max {self.maximum}"
            )

    def violation(self, value: Any) -> str | None:
        """The violation kind of one raw value (as parsed from the log's JSON), or None when it is valid.

        A missing value (None, NaN, ±inf) is ``missing_required`` for a
        required feature and valid otherwise; the caller counts it as missing
        either way.
        """
        if is_missing(value):
            return MISSING_REQUIRED if self.required else None
        if self.kind == "numeric":
            if not is_number(value):
                return WRONG_TYPE
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                return OUT_OF_RANGE
            return None
        if not isinstance(value, (str, bool, int, float)):
            return WRONG_TYPE
        if self.categories is not None and category_key(value) not in self._category_set:
            return UNKNOWN_CATEGORY
        return None

    @property
    def _category_set(self) -> frozenset[str]:
        cached = self.__dict__.get("_categories_cache")
        if cached is None:
            cached = frozenset(self.categories or ())
            object.__setattr__(self, "_categories_cache", cached)
        return cached

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "required": self.required}
        if self.kind == "numeric":
            out["min"], out["max"] = self.minimum, self.maximum
        else:
            out["categories"] = list(self.categories) if self.categories is not None else None
        if self.min_effect is not None:
            out["min_effect"] = self.min_effect
        return out


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
        """Infer the schema from reference rows (dicts of feature name → raw value); rules in the module docstring."""
        rows = rows if isinstance(rows, list) else list(rows)
        names = dict.fromkeys(name for row in rows for name in row)
        return cls(
            tuple(
                infer_feature(
                    name,
                    [row.get(name) for row in rows],
                    max_integer_categories=max_integer_categories,
                    range_margin=range_margin,
                )
                for name in names
            )
        )

    def with_overrides(
        self, overrides: Mapping[str, Mapping[str, Any]], *, source: str = "<overrides>"
    ) -> FeatureSchema:
        """A copy with per-feature overrides applied (the ``features`` object of the JSON config).

        A feature named in the overrides but absent from the reference is added
        (its ``kind`` is then required). Raises :class:`SchemaConfigError`
        naming ``source`` and the feature for unknown keys or bad values.
        """
        specs = {spec.name: spec for spec in self.features}
        for name, override in overrides.items():
            where = f"{source}: feature {name!r}"
            if not isinstance(override, Mapping):
                raise SchemaConfigError(
                    f'{where}: expected an object like {{"kind": "numeric"}}, got {override!r}'
                )
            unknown = set(override) - _OVERRIDE_KEYS
            if unknown:
                raise SchemaConfigError(
                    f"{where}: unknown key(s) {sorted(unknown)}; allowed keys are {sorted(_OVERRIDE_KEYS)}"
                )
            base = specs.get(name)
            if base is None:
                if "kind" not in override:
                    raise SchemaConfigError(
                        f'{where}: not in the reference data, so "kind" is required'
                    )
                base = FeatureSpec(
                    name, override["kind"] if override["kind"] in KINDS else "numeric"
                )
            try:
                specs[name] = _apply_override(base, override)
            except (TypeError, ValueError) as exc:
                raise SchemaConfigError(f"{where}: {exc}") from None
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


_OVERRIDE_KEYS = frozenset({"kind", "required", "min", "max", "range", "categories", "min_effect"})


def _apply_override(base: FeatureSpec, override: Mapping[str, Any]) -> FeatureSpec:
    kind = override.get("kind", base.kind)
    if kind not in KINDS:
        raise ValueError(f'"kind" must be one of {list(KINDS)}, not {kind!r}')
    changes: dict[str, Any] = {"kind": kind}
    if "required" in override:
        if not isinstance(override["required"], bool):
            raise ValueError(f'"required" must be true or false, not {override["required"]!r}')
        changes["required"] = override["required"]
    if kind == "numeric":
        minimum, maximum = (base.minimum, base.maximum) if base.kind == "numeric" else (None, None)
        if "range" in override:
            rng = override["range"]
            if rng is None:
                minimum = maximum = None
            elif isinstance(rng, list) and len(rng) == 2:
                minimum, maximum = rng
            else:
                raise ValueError(f'"range" must be [min, max] or null, not {rng!r}')
        minimum = override.get("min", minimum)
        maximum = override.get("max", maximum)
        for label, bound in (("min", minimum), ("max", maximum)):
            if bound is not None and not is_number(bound):
                raise ValueError(f'"{label}" must be a number or null, not {bound!r}')
        changes.update(
            minimum=None if minimum is None else float(minimum),
            maximum=None if maximum is None else float(maximum),
            categories=None,
        )
    else:
        categories = base.categories if base.kind == "categorical" else None
        if "categories" in override:
            cats = override["categories"]
            if cats is not None and not isinstance(cats, list):
                raise ValueError(f'"categories" must be a list or null, not {cats!r}')
            categories = (
                None if cats is None else tuple(dict.fromkeys(category_key(c) for c in cats))
            )
        changes.update(categories=categories, minimum=None, maximum=None)
    if "min_effect" in override:  # drift's practical-significance threshold (issue #13)
        threshold = override["min_effect"]
        if threshold is not None and not (is_number(threshold) and threshold >= 0):
            raise ValueError(f'"min_effect" must be a number ≥ 0 or null, not {threshold!r}')
        changes["min_effect"] = None if threshold is None else float(threshold)
    return replace(base, **changes)


def load_overrides(
    path: str | Path, model_name: str | None = None
) -> Mapping[str, Mapping[str, Any]]:
    """Read a schema override file and return its ``features`` object (for ``model_name`` if sectioned)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaConfigError(f"{path}: schema override file not found") from None
    except json.JSONDecodeError as exc:
        raise SchemaConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(data, Mapping):
        raise SchemaConfigError(f'{path}: expected a JSON object with "features" or "models"')
    if "models" in data:
        models = data["models"]
        if not isinstance(models, Mapping):
            raise SchemaConfigError(
                f'{path}: "models" must be an object of model name → {{"features": ...}}'
            )
        section = models.get(model_name, {}) if model_name is not None else {}
        features = section.get("features", {}) if isinstance(section, Mapping) else None
    else:
        features = data.get("features", {})
    if not isinstance(features, Mapping):
        raise SchemaConfigError(f'{path}: "features" must be an object of feature name → settings')
    return features


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
# Beyond this magnitude a float no longer holds every integer: such columns take the exact value-by-value scan.
_EXACT_FLOAT_INTEGERS = 2.0**53


def number_column(raw: Sequence[Any]) -> np.ndarray | None:
    """A column of only ints, floats and None as ``float64`` (None → NaN), converted once for inference and
    encoding; None when it holds anything else or integers a float cannot hold exactly."""
    if not set(map(type, raw)) <= _NUMBER_TYPES:
        return None
    with np.errstate(over="ignore"):
        try:
            values = np.array(raw, dtype=np.float64)
        except OverflowError:
            return None
    finite = values[np.isfinite(values)]
    if finite.size and max(-float(finite.min()), float(finite.max())) >= _EXACT_FLOAT_INTEGERS:
        return None
    return values


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


def _observe_strings(raw: list[Any]) -> _Observed:
    """Summary of a column of strings and None: categorical, categories in first-seen order (capped)."""
    seen = dict.fromkeys(raw)
    seen.pop(None, None)
    present = len(raw) - raw.count(None)
    categories = dict.fromkeys(itertools.islice(seen, _MAX_INFERRED_CATEGORIES + 1))
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
