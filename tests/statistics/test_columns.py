"""Parsing logged rows into columns: bad values never raise, each gets a status; windows append and slide."""

from __future__ import annotations

import math

import numpy as np

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics.columns import (
    MISSING,
    OK,
    OUT_OF_RANGE,
    UNKNOWN_CATEGORY,
    WRONG_TYPE,
    FeatureColumns,
    encode_column,
)

SCHEMA = FeatureSchema(
    (
        FeatureSpec("x", "numeric", minimum=0.0, maximum=10.0),
        FeatureSpec("c", "categorical", required=False, categories=("a", "b")),
    )
)

ROWS = [
    {"x": 1.5, "c": "a"},
    {"x": 3, "c": "b"},
    {"x": None, "c": None},
    {"c": "z"},
    {"x": float("nan"), "c": 7},
    {"x": float("inf"), "c": ["a"]},
    {"x": "4.0", "c": True},
    {"x": 11.0, "c": "a", "extra": 1},
    {"x": True, "c": "a", "extra": 2, "more": 3},
    {"x": 10**400, "c": "b"},
]


def test_every_bad_value_gets_a_status_and_none_raises():
    cols = FeatureColumns.from_rows(SCHEMA, ROWS)

    assert cols.n_rows == len(ROWS)
    assert cols.status["x"].tolist() == [
        OK,
        OK,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        WRONG_TYPE,
        OUT_OF_RANGE,
        WRONG_TYPE,
        MISSING,
    ]
    x = cols.values["x"]
    assert x[:2].tolist() == [1.5, 3.0] and x[7] == 11.0
    assert np.isnan(x[[2, 3, 4, 5, 6, 8, 9]]).all()
    assert cols.status["c"].tolist() == [
        OK,
        OK,
        MISSING,
        UNKNOWN_CATEGORY,
        UNKNOWN_CATEGORY,
        WRONG_TYPE,
        UNKNOWN_CATEGORY,
        OK,
        OK,
        OK,
    ]
    assert cols.values["c"].tolist() == ["a", "b", None, "z", "7", None, "true", "a", "a", "b"]
    assert {name: mask.tolist().count(True) for name, mask in cols.unknown_fields.items()} == {
        "extra": 2,
        "more": 1,
    }


def test_violation_counts_per_column_and_kind():
    counts = FeatureColumns.from_rows(SCHEMA, ROWS).violation_counts()
    assert counts == {
        ("x", "wrong_type"): 2,
        ("x", "out_of_range"): 1,
        ("x", "missing_required"): 5,
        ("c", "unknown_category"): 3,
        ("c", "wrong_type"): 1,
        ("extra", "unknown_field"): 2,
        ("more", "unknown_field"): 1,
    }


def test_the_fast_and_slow_numeric_paths_agree():
    fast = FeatureColumns.from_rows(SCHEMA, [{"x": v} for v in (1, 2.5, None, math.nan, 12)])
    slow = FeatureColumns.from_rows(
        SCHEMA, [{"x": v} for v in (1, 2.5, None, math.nan, 12, "s")]
    ).slice(0, 5)
    np.testing.assert_array_equal(fast.values["x"], slow.values["x"])
    np.testing.assert_array_equal(fast.status["x"], slow.status["x"])


def test_a_window_appends_batches_and_keeps_the_newest_rows():
    first = FeatureColumns.from_rows(SCHEMA, ROWS[:4])
    second = FeatureColumns.from_rows(SCHEMA, ROWS[4:])
    window = FeatureColumns.concat([FeatureColumns.empty(SCHEMA), first, second])
    whole = FeatureColumns.from_rows(SCHEMA, ROWS)

    assert window.n_rows == whole.n_rows
    assert window.violation_counts() == whole.violation_counts()
    newest = window.tail(3)
    assert newest.n_rows == 3
    assert newest.values["c"].tolist() == ["a", "a", "b"]
    assert (
        newest.violation_counts() == FeatureColumns.from_rows(SCHEMA, ROWS[-3:]).violation_counts()
    )


def test_unknown_field_names_are_bounded():
    rows = [{"x": 1.0, f"junk{i}": i} for i in range(100)]
    unknown = FeatureColumns.from_rows(SCHEMA, rows).unknown_fields
    assert len(unknown) == 21
    assert int(unknown["_other_"].sum()) == 80


def test_the_fast_and_slow_categorical_paths_agree():
    values = ["a", "b", None, "z", 7, 7.0, 1.5, math.nan, math.inf, "a"]
    fast = FeatureColumns.from_rows(
        SCHEMA, [{"c": v} for v in values]
    )  # no booleans: encoded per distinct value
    slow = FeatureColumns.from_rows(SCHEMA, [{"c": v} for v in values + [True]]).slice(
        0, len(values)
    )
    assert (
        fast.values["c"].tolist()
        == slow.values["c"].tolist()
        == ["a", "b", None, "z", "7", "7", "1.5", None, None, "a"]
    )
    np.testing.assert_array_equal(fast.status["c"], slow.status["c"])


def test_rows_with_the_same_fields_parse_as_rows_that_differ():
    same = [{"x": float(i), "c": "ab"[i % 2], "extra": i} for i in range(6)]
    reordered = same[:5] + [
        {"extra": 5, "c": "b", "x": 5.0}
    ]  # one row lists its fields in another order
    fast, slow = FeatureColumns.from_rows(SCHEMA, same), FeatureColumns.from_rows(SCHEMA, reordered)
    for name in ("x", "c"):
        assert fast.values[name].tolist() == slow.values[name].tolist()
        np.testing.assert_array_equal(fast.status[name], slow.status[name])
    assert fast.unknown_fields.keys() == slow.unknown_fields.keys() == {"extra"}
    assert fast.unknown_fields["extra"].all() and slow.unknown_fields["extra"].all()


BLOCK_SCHEMA = FeatureSchema(
    (
        FeatureSpec("a", "numeric"),
        FeatureSpec("b", "numeric", minimum=-1.0),
        FeatureSpec("c", "categorical"),
        FeatureSpec("d", "numeric", maximum=2.0),
    )
)


def test_numeric_columns_encoded_together_equal_each_column_encoded_alone():
    rng = np.random.default_rng(5)
    choices = [None, math.nan, math.inf, -math.inf, 3, -7, 2.5, 0.0]
    rows = [
        {
            "a": float(rng.normal()),
            "b": choices[int(rng.integers(len(choices)))],
            "c": "xy"[i % 2],
            "d": float(rng.normal(0, 3)) if i % 5 else None,
        }
        for i in range(300)
    ]
    together = FeatureColumns.from_rows(BLOCK_SCHEMA, rows)
    for spec in BLOCK_SCHEMA:
        values, status = encode_column(spec, [row[spec.name] for row in rows])
        np.testing.assert_array_equal(together.values[spec.name], values)
        np.testing.assert_array_equal(together.status[spec.name], status)
    assert int((together.status["b"] == OUT_OF_RANGE).sum()) > 0
    assert int((together.status["d"] == OUT_OF_RANGE).sum()) > 0
    assert int((together.status["b"] == MISSING).sum()) > 0


def test_a_batch_with_a_value_that_is_not_a_number_or_beyond_float_range_is_encoded_column_by_column():
    for odd in ("4.0", True, 10**400):
        rows = [{"a": 1.0, "b": 2.0, "c": "x", "d": 0.5}, {"a": odd, "b": -3.0, "c": "y", "d": 9.0}]
        together = FeatureColumns.from_rows(BLOCK_SCHEMA, rows)
        for spec in BLOCK_SCHEMA:
            values, status = encode_column(spec, [row[spec.name] for row in rows])
            np.testing.assert_array_equal(together.values[spec.name], values)
            np.testing.assert_array_equal(together.status[spec.name], status)
