"""The feature schema: inference from the reference, JSON overrides, and violation kinds of raw values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from exporter.catalog import VIOLATION_KINDS, get
from exporter.schema import VIOLATION_KINDS as SCHEMA_KINDS
from exporter.schema import FeatureSchema, FeatureSpec, SchemaConfigError, infer_feature

REFERENCE = [
    {
        "sqft": 1000.5 + 10 * i,
        "bedrooms": 1 + i % 4,
        "city": ["paris", "lyon"][i % 2],
        "garage": i % 3 == 0,
        "year": 1900 + i,
        "note": None if i % 2 else "x",
    }
    for i in range(100)
]


@pytest.fixture(scope="module")
def schema():
    return FeatureSchema.infer(REFERENCE)


def test_violation_kinds_are_the_catalogs():
    assert all(
        get("schema_violations_count").allows_label_value("kind", kind) for kind in SCHEMA_KINDS
    )
    assert set(SCHEMA_KINDS) == set(VIOLATION_KINDS.split("|"))


def test_kinds_are_inferred_from_the_values(schema):
    assert schema["sqft"].kind == "numeric"
    assert schema["year"].kind == "numeric"  # integers with more than 20 distinct values
    assert schema["bedrooms"] == FeatureSpec(
        "bedrooms", "categorical", categories=("1", "2", "3", "4")
    )
    assert schema["city"].categories == ("lyon", "paris")
    assert schema["garage"].categories == ("false", "true")
    assert schema.names == ("sqft", "bedrooms", "city", "garage", "year", "note")


def test_required_means_present_in_every_reference_row(schema):
    assert schema["sqft"].required
    assert not schema["note"].required


def test_numeric_range_is_the_reference_range_widened_by_a_quarter(schema):
    low, high = 1000.5, 1000.5 + 990
    margin = 0.25 * (high - low)
    assert schema["sqft"].minimum == pytest.approx(max(low - margin, 0.0))
    assert schema["sqft"].maximum == pytest.approx(high + margin)


def test_non_negative_features_stay_non_negative():
    schema = FeatureSchema.infer([{"x": 0.5 + i} for i in range(50)])
    assert schema["x"].minimum == 0.0
    signed = FeatureSchema.infer([{"x": -10.5 + i} for i in range(50)])
    assert signed["x"].minimum == pytest.approx(-10.5 - 0.25 * 49)


@pytest.mark.parametrize(
    "feature, value, kind",
    [
        ("sqft", 1500.0, None),
        ("sqft", 1500, None),
        ("sqft", "1500", "wrong_type"),
        ("sqft", True, "wrong_type"),
        ("sqft", [1], "wrong_type"),
        ("sqft", 10**9, "out_of_range"),
        ("sqft", -1.0, "out_of_range"),
        ("sqft", None, "missing_required"),
        ("sqft", math.nan, "missing_required"),
        ("sqft", math.inf, "missing_required"),
        ("note", None, None),
        ("city", "paris", None),
        ("city", "tokyo", "unknown_category"),
        ("city", {"a": 1}, "wrong_type"),
        ("bedrooms", 2.0, None),
        ("bedrooms", "2", None),
        ("bedrooms", 9, "unknown_category"),
        ("garage", True, None),
    ],
)
def test_violation_of_a_raw_value(schema, feature, value, kind):
    assert schema[feature].violation(value) == kind


def test_row_violations_include_absent_required_and_unknown_fields(schema):
    row = dict(REFERENCE[0], city="tokyo", extra=1)
    del row["sqft"]
    assert sorted(schema.violations(row)) == [
        ("city", "unknown_category"),
        ("extra", "unknown_field"),
        ("sqft", "missing_required"),
    ]


def test_overrides_from_a_json_file_replace_only_the_keys_given(schema, tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(
        json.dumps(
            {
                "features": {
                    "sqft": {"min": 0, "max": 50000},
                    "bedrooms": {"kind": "numeric", "range": None},
                    "city": {"categories": ["paris", "lyon", "nice"]},
                    "note": {"required": True},
                    "zip": {"kind": "categorical", "required": False},
                }
            }
        )
    )

    overridden = schema.with_override_file(path)

    assert (overridden["sqft"].minimum, overridden["sqft"].maximum) == (0.0, 50000.0)
    assert overridden["sqft"].required
    assert overridden["bedrooms"] == FeatureSpec("bedrooms", "numeric")
    assert overridden["city"].violation("nice") is None
    assert overridden["note"].required
    assert overridden["zip"] == FeatureSpec("zip", "categorical", required=False)


def test_per_model_sections(schema, tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"models": {"house": {"features": {"sqft": {"range": None}}}}}))
    assert schema.with_override_file(path, "house")["sqft"].maximum is None
    assert schema.with_override_file(path, "other") == schema


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", r"schema.json:1:2: not valid JSON"),
        ('{"features": {"sqft": {"kind": "number"}}}', r"feature 'sqft': \"kind\" must be one of"),
        (
            '{"features": {"sqft": {"maximum": 3}}}',
            r"feature 'sqft': unknown key\(s\) \['maximum'\]",
        ),
        ('{"features": {"sqft": {"min": "0"}}}', r"feature 'sqft': \"min\" must be a number"),
        ('{"features": {"sqft": {"min": 5, "max": 1}}}', r"feature 'sqft': .*greater than max"),
        (
            '{"features": {"new": {"required": false}}}',
            r"feature 'new': not in the reference data, so \"kind\" is required",
        ),
        ('{"features": []}', r"\"features\" must be an object"),
    ],
)
def test_bad_override_files_name_the_file_and_the_feature(schema, tmp_path, content, message):
    path = tmp_path / "schema.json"
    path.write_text(content)
    with pytest.raises(SchemaConfigError, match=message) as info:
        schema.with_override_file(path)
    assert str(path) in str(info.value)


def test_missing_override_file_is_a_clear_error(schema, tmp_path):
    with pytest.raises(SchemaConfigError, match="schema override file not found"):
        schema.with_override_file(tmp_path / "absent.json")


def test_round_trip_through_json(schema):
    again = FeatureSchema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema


def _scanned(name, raw):
    """The value-by-value inference every column once took: the reference the vectorised paths must equal."""
    from exporter.schema import DEFAULT_MAX_INTEGER_CATEGORIES, DEFAULT_RANGE_MARGIN, _Observed

    observed = _Observed()
    for value in raw:
        observed.add(value, DEFAULT_MAX_INTEGER_CATEGORIES)
    return observed.spec(name, len(raw), DEFAULT_MAX_INTEGER_CATEGORIES, DEFAULT_RANGE_MARGIN)


_COLUMN_RNG = np.random.default_rng(7)
COLUMNS = {
    "floats with gaps": [
        None if i % 7 == 0 else float(v) for i, v in enumerate(_COLUMN_RNG.normal(5, 2, 500))
    ],
    "nan and inf are missing": [math.nan, math.inf, -math.inf, 1.5, 2.5] * 20,
    "few integers": [int(v) for v in _COLUMN_RNG.integers(1, 6, 300)],
    "integral floats": [float(v) for v in _COLUMN_RNG.integers(0, 4, 300)] + [None],
    "many integers": [int(v) for v in _COLUMN_RNG.integers(-500, 500, 400)],
    "ints and floats": [1, 2.5, 3, None, 7] * 10,
    "non-negative": [0.25 * i for i in range(100)],
    "strings": [["b", "a", None, "c"][i % 4] for i in range(100)],
    "many strings": [f"id{i}" for i in range(1500)],
    "all missing": [None, math.nan] * 10,
    "empty": [],
    "booleans": [True, False, None] * 5,
    "mixed": [1, "x", 2.5, True, None, {"nested": 1}],
    "huge integers": [2**60, 2**60 + 1, 3] * 10,
}


@pytest.mark.parametrize("raw", COLUMNS.values(), ids=COLUMNS.keys())
def test_column_inference_equals_the_value_by_value_rules(raw):
    assert infer_feature("x", raw) == _scanned("x", raw)


def test_infer_on_rows_equals_infer_per_column():
    columns = {name: raw for name, raw in COLUMNS.items() if len(raw) == 100}
    rows = [
        {name: raw[i] for name, raw in columns.items() if raw[i] is not None} for i in range(100)
    ]
    schema = FeatureSchema.infer(rows)
    assert schema.names == tuple(columns)
    assert all(schema[name] == _scanned(name, raw) for name, raw in columns.items())
