"""The feature schema: what each model input looks like, inferred from the reference.

One module per job:

* :mod:`exporter.schema.feature` — one feature (:class:`FeatureSpec`) and the
  violation kinds it reports;
* :mod:`exporter.schema.model` — a model's features (:class:`FeatureSchema`);
* :mod:`exporter.schema.inference` — inference from reference data or logged rows;
* :mod:`exporter.schema.overrides` — the JSON override files users correct it with.

The value rules they share (missing, number, category key) live in
:mod:`exporter.values`. This package must not import ``mlmon``; it needs only
the standard library and numpy.
"""

from exporter.schema.feature import (
    KINDS,
    MISSING_REQUIRED,
    OUT_OF_RANGE,
    UNKNOWN_CATEGORY,
    UNKNOWN_FIELD,
    VIOLATION_KINDS,
    WRONG_TYPE,
    FeatureKind,
    FeatureSpec,
    SchemaConfigError,
)
from exporter.schema.inference import (
    DEFAULT_MAX_INTEGER_CATEGORIES,
    DEFAULT_RANGE_MARGIN,
    _Observed,  # the value-by-value scan; tests compare the vectorised paths with it
    infer_feature,
    infer_string_feature,
)
from exporter.schema.model import FeatureSchema
from exporter.schema.overrides import load_overrides
from exporter.values import category_key, is_missing, is_number

__all__ = [
    "DEFAULT_MAX_INTEGER_CATEGORIES",
    "DEFAULT_RANGE_MARGIN",
    "KINDS",
    "MISSING_REQUIRED",
    "OUT_OF_RANGE",
    "UNKNOWN_CATEGORY",
    "UNKNOWN_FIELD",
    "VIOLATION_KINDS",
    "WRONG_TYPE",
    "FeatureKind",
    "FeatureSchema",
    "FeatureSpec",
    "SchemaConfigError",
    "_Observed",
    "category_key",
    "infer_feature",
    "infer_string_feature",
    "is_missing",
    "is_number",
    "load_overrides",
]
