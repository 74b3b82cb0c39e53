"""Data quality on hand-made data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics import compute_quality
from exporter.statistics.columns import FeatureColumns
from exporter.statistics.quality import QualityCounts
from exporter.statistics.reference import ReferenceProfile

SCHEMA = FeatureSchema(
    (
        FeatureSpec("x", "numeric", minimum=-100.0, maximum=100.0),
        FeatureSpec("c", "categorical", categories=("a", "b")),
        FeatureSpec("opt", "numeric", required=False),
    )
)
# x in the reference: 0..10 evenly, so Q1 = 2, Q3 = 8 and the fences are -16 and 26.
REFERENCE_ROWS = [{"x": float(i % 11), "c": "ab"[i % 2], "opt": 1.0} for i in range(1100)]
CURRENT_ROWS = [
    {"x": 5.0, "c": "a", "opt": 1.0},
    {"x": 5.0, "c": "a", "opt": None},  # optional missing: not a violation, still not "good"
    {"x": None, "c": "b", "opt": 1.0},  # required missing
    {"x": 50.0, "c": "b", "opt": 1.0},  # outlier (beyond Q3 + 3·IQR), inside the schema range
    {"x": 500.0, "c": "b", "opt": 1.0},  # outlier and out of range
    {"x": "7", "c": "zz", "opt": 1.0},  # wrong type, unknown category
    {"x": -20.0, "c": "a", "opt": 1.0, "new": 1},  # outlier below Q1 - 3·IQR; unknown field
    {"x": 1.0, "c": "a", "opt": 1.0},
]


@pytest.fixture(scope="module")
def report():
    reference = ReferenceProfile.from_columns(FeatureColumns.from_rows(SCHEMA, REFERENCE_ROWS))
    return compute_quality(reference, FeatureColumns.from_rows(SCHEMA, CURRENT_ROWS))


def test_fences_are_three_iqrs_beyond_the_reference_quartiles():
    reference = ReferenceProfile.from_columns(FeatureColumns.from_rows(SCHEMA, REFERENCE_ROWS))
    q1, q3 = np.quantile([r["x"] for r in REFERENCE_ROWS], [0.25, 0.75])
    x = reference.features["x"]
    assert (x.lower_fence, x.upper_fence) == (q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1))


def test_missing_counts_and_completeness(report):
    assert report.columns["x"].missing_count == 1
    assert report.columns["x"].completeness == pytest.approx(7 / 8)
    assert report.columns["opt"].missing_count == 1
    assert report.columns["c"].completeness == 1.0


def test_outliers_are_counted_for_numeric_columns_only(report):
    assert report.columns["x"].outliers_count == 3
    assert report.columns["opt"].outliers_count == 0  # constant reference: IQR 0, no fences
    assert report.columns["c"].outliers_count is None


def test_violations_per_column_and_kind(report):
    assert report.violations == {
        ("x", "missing_required"): 1,
        ("x", "out_of_range"): 1,
        ("x", "wrong_type"): 1,
        ("c", "unknown_category"): 1,
        ("new", "unknown_field"): 1,
    }


def test_score_is_the_mean_share_of_good_values_per_column(report):
    # x: good rows are 0, 1, 7 → 3/8; c: all but the unknown category → 7/8; opt: all but the missing → 7/8
    assert report.columns["x"].good_share == pytest.approx(3 / 8)
    assert report.score == pytest.approx((3 / 8 + 7 / 8 + 7 / 8) / 3)


def test_clean_data_scores_one_and_an_empty_window_has_no_score():
    reference = ReferenceProfile.from_columns(FeatureColumns.from_rows(SCHEMA, REFERENCE_ROWS))
    assert (
        compute_quality(reference, FeatureColumns.from_rows(SCHEMA, REFERENCE_ROWS[:50])).score
        == 1.0
    )
    empty = compute_quality(reference, FeatureColumns.empty(SCHEMA))
    assert math.isnan(empty.score)
    assert math.isnan(empty.columns["x"].completeness)
    assert empty.columns["x"].missing_count == 0


def test_counts_taken_in_and_out_in_pieces_equal_the_known_answers():
    reference = ReferenceProfile.from_columns(FeatureColumns.from_rows(SCHEMA, REFERENCE_ROWS))
    noise = FeatureColumns.from_rows(SCHEMA, [{"x": 99.0, "c": "q", "opt": 2.0}] * 5)
    counts = QualityCounts(reference)
    counts.add(FeatureColumns.from_rows(SCHEMA, CURRENT_ROWS[:3]))
    counts.add(noise)
    counts.add(FeatureColumns.from_rows(SCHEMA, CURRENT_ROWS[3:]))
    counts.remove(noise)
    report = counts.report()
    assert report.columns["x"].missing_count == 1
    assert report.columns["x"].outliers_count == 3  # 50, 500 and -20
    assert report.columns["opt"].outliers_count == 0  # IQR 0: no fences
    assert report.violations[("x", "out_of_range")] == 1
    assert report.violations[("c", "unknown_category")] == 1
    assert report.columns["x"].good_share == pytest.approx(3 / 8)  # 5, 5, 1
    assert report == compute_quality(reference, FeatureColumns.from_rows(SCHEMA, CURRENT_ROWS))


def test_a_schema_without_features_counts_rows_and_unknown_fields():
    empty = FeatureSchema(())
    reference = ReferenceProfile.from_columns(FeatureColumns.from_rows(empty, []))
    report = compute_quality(reference, FeatureColumns.from_rows(empty, [{"a": 1}, {"a": 2}]))
    assert report.n_rows == 2 and math.isnan(report.score)
    assert report.violations == {("a", "unknown_field"): 2}
