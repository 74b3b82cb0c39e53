"""Too little data gives NaN and a reason, never a flag; the missing rate is tested on its own."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from exporter import catalog
from exporter.statistics import DriftConfig, SkipReason, compute_drift
from tests.statistics.builders import columns_of, profile_of, schema_of

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schema_of(numeric=["x"], categorical=["c"])
RNG = np.random.default_rng(5)
REFERENCE = {"x": RNG.normal(size=1000), "c": RNG.choice(["a", "b"], size=1000).tolist()}


def drift(current, reference=REFERENCE, config=DriftConfig()):
    return compute_drift(profile_of(SCHEMA, reference), columns_of(SCHEMA, current), config)


def assert_skipped(result, reason):
    assert result.skip_reason == reason
    assert (
        math.isnan(result.pvalue)
        and math.isnan(result.statistic)
        and math.isnan(result.effect_size)
    )
    assert not result.drift_detected


def test_eight_wildly_shifted_rows_are_not_flagged():
    report = drift({"x": np.full(8, 100.0), "c": ["zzz"] * 8})
    for name in ("x", "c"):
        assert_skipped(report.features[name], "too_few_rows")
    assert report.drift_columns_count == 0


def test_the_threshold_counts_finite_values_not_rows():
    x = np.concatenate([RNG.normal(size=29), np.full(20, np.nan)])
    report = drift({"x": x, "c": ["a"] * 49})
    assert_skipped(report.features["x"], "too_few_rows")
    assert report.features["c"].skip_reason is None


def test_min_rows_is_configurable():
    x = RNG.normal(size=10)
    report = drift({"x": x, "c": ["a", "b"] * 5}, config=DriftConfig(min_rows=10))
    assert report.features["x"].skip_reason is None
    assert report.features["x"].pvalue == pytest.approx(
        stats.ks_2samp(REFERENCE["x"], x, method="asymp").pvalue, rel=1e-9
    )


def test_feature_absent_from_the_window_is_skipped_as_no_current_values():
    report = drift({"x": [None] * 50, "c": [None] * 50})
    assert_skipped(report.features["x"], "no_current_values")
    assert_skipped(report.features["c"], "no_current_values")


def test_feature_missing_from_the_whole_reference_is_skipped_as_no_reference():
    reference = {"x": [None] * 100, "c": ["a"] * 100}
    report = drift({"x": RNG.normal(size=50), "c": ["a"] * 50}, reference=reference)
    assert_skipped(report.features["x"], "no_reference")


def test_skipped_features_do_not_dilute_the_correction():
    reference = {"x": RNG.normal(size=1000), "c": ["a"] * 1000}
    report = drift({"x": RNG.normal(0.5, 1, size=200), "c": ["a"] * 200}, reference=reference)
    assert report.features["c"].skip_reason == "constant_reference"
    assert report.tested == 1
    assert report.features["x"].adjusted_pvalue == report.features["x"].pvalue


def test_missing_rate_change_has_the_two_proportion_pvalue():
    reference = {
        "x": np.where(RNG.uniform(size=1000) < 0.05, np.nan, RNG.normal(size=1000)),
        "c": ["a"] * 1000,
    }
    current_x = np.where(RNG.uniform(size=400) < 0.2, np.nan, RNG.normal(size=400))
    report = drift({"x": current_x, "c": ["a"] * 400}, reference=reference)

    ref_missing = int(np.isnan(reference["x"]).sum())
    cur_missing = int(np.isnan(current_x).sum())
    table = [[ref_missing, 1000 - ref_missing], [cur_missing, 400 - cur_missing]]
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert report.features["x"].missing_rate_pvalue == pytest.approx(expected, rel=1e-9)
    assert report.features["x"].missing_rate_pvalue < 1e-6
    assert report.features["c"].missing_rate_pvalue == 1.0  # nothing missing anywhere


def test_missing_rate_is_tested_even_when_every_value_is_missing():
    report = drift({"x": [None] * 60, "c": ["a"] * 60})
    assert report.features["x"].skip_reason == "no_current_values"
    assert report.features["x"].missing_rate_pvalue < 1e-10


def test_missing_rate_needs_min_rows_too():
    report = drift({"x": [None] * 5, "c": ["a"] * 5})
    assert math.isnan(report.features["x"].missing_rate_pvalue)


def test_empty_window_skips_everything():
    report = drift({"x": [], "c": []})
    assert {f.skip_reason for f in report.features.values()} == {"no_current_values"}
    assert report.drift_columns_count == 0


def test_the_catalog_allows_exactly_the_skip_reasons_of_the_enum():
    metric = catalog.get("data_drift_test_skipped")
    for reason in SkipReason:
        assert metric.allows_label_value("reason", reason)
    for other in ("too_few", "unseen", "low_expected_count|x", ""):
        assert not metric.allows_label_value("reason", other)


def test_the_catalog_and_the_skip_reasons_import_without_numpy():
    # model services import the catalog without numpy/scipy; exporter.statistics loads them lazily
    code = (
        "import sys; sys.modules['numpy'] = None; sys.modules['scipy'] = None\n"
        "from exporter import catalog\n"
        "from exporter.statistics import SkipReason\n"
        "print(catalog.SKIP_REASONS, SkipReason.TOO_FEW_ROWS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "too_few_rows|low_expected_count" in result.stdout
