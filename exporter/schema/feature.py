"""One feature of a model's input: its kind, whether it is required, what values it allows.

A :class:`FeatureSpec` checks one raw value (as parsed from the log's JSON)
and names the violation, if any; the kinds of violation are those of
``exporter.catalog.VIOLATION_KINDS`` (``schema_violations_count{kind}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from exporter.values import category_key, is_missing, is_number

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


class SchemaConfigError(ValueError):
    """A schema override file that cannot be used; the message names the file, the feature and what to do."""


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
