"""Categorical drift: chi-square on the 2×K table against scipy.stats.chi2_contingency, unseen and rare categories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.stats.contingency import association

from exporter.statistics import DriftConfig, compute_drift
from exporter.statistics.categorical import chi2_contingency, merge_rare_columns
from tests.statistics.builders import columns_of, profile_of, schema_of

RNG = np.random.default_rng(7)
SCHEMA = schema_of(categorical=["city"])


def draw(categories, shares, size):
    return RNG.choice(np.array(categories, dtype=object), p=shares, size=size).tolist()


def drift_of(reference, current):
    return compute_drift(
        profile_of(SCHEMA, {"city": reference}), columns_of(SCHEMA, {"city": current})
    ).features["city"]


def test_pvalue_statistic_and_cramers_v_equal_scipy_on_the_2xk_table():
    reference = draw(["a", "b", "c", "d"], [0.4, 0.3, 0.2, 0.1], 5000)
    current = draw(["a", "b", "c", "d"], [0.3, 0.3, 0.25, 0.15], 600)
    table = np.array([[reference.count(c) for c in "abcd"], [current.count(c) for c in "abcd"]])

    result = drift_of(reference, current)

    expected = stats.chi2_contingency(table)
    assert result.test == "chi2"
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    # the effect size is Cramér's V with both samples weighted equally (equal to scipy's on equal rows)
    p, q = table[0] / table[0].sum(), table[1] / table[1].sum()
    assert result.effect_size == pytest.approx(
        math.sqrt(0.5 * np.sum((p - q) ** 2 / (p + q))), rel=1e-9
    )
    assert result.drift_detected


def test_effect_size_is_scipys_cramers_v_when_both_samples_have_the_same_size():
    reference = draw(["a", "b", "c", "d"], [0.4, 0.3, 0.2, 0.1], 2000)
    current = draw(["a", "b", "c", "d"], [0.25, 0.3, 0.25, 0.2], 2000)
    table = np.array([[reference.count(c) for c in "abcd"], [current.count(c) for c in "abcd"]])
    result = drift_of(reference, current)
    assert result.effect_size == pytest.approx(association(table, method="cramer"), rel=1e-9)


def test_effect_size_does_not_shrink_with_the_windows_share_of_the_rows():
    # shares 50/50 → 30/70: the same change whatever the sizes; plain Cramér's V shrinks ≈ √(1000/101000)×
    expected = math.sqrt(0.5 * (0.2**2 / 0.8 + 0.2**2 / 1.2))  # 0.204
    for reference_rows, window_rows in ((1_000, 1_000), (100_000, 1_000)):
        half = reference_rows // 2
        result = drift_of(
            ["a"] * half + ["b"] * half,
            ["a"] * (window_rows * 3 // 10) + ["b"] * (window_rows * 7 // 10),
        )
        assert result.effect_size == pytest.approx(expected, rel=1e-9)
    plain = association(np.array([[50_000, 50_000], [300, 700]]), method="cramer")
    assert plain < 0.05  # 0.040


def test_no_drift_gives_a_large_pvalue():
    shares = [0.5, 0.3, 0.2]
    result = drift_of(draw(["x", "y", "z"], shares, 4000), draw(["x", "y", "z"], shares, 400))
    assert result.pvalue > 0.01
    assert not result.drift_detected


def test_unseen_categories_share_their_own_bin():
    reference = ["a"] * 300 + ["b"] * 200
    current = ["a"] * 40 + ["b"] * 30 + ["new1"] * 20 + ["new2"] * 10

    result = drift_of(reference, current)

    expected = stats.chi2_contingency(np.array([[300, 200, 0], [40, 30, 30]]))
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.drift_detected


def test_rare_categories_are_merged_into_one_column_before_the_test():
    reference = ["a"] * 500 + ["b"] * 400 + ["r1"] * 3 + ["r2"] * 2
    current = ["a"] * 50 + ["b"] * 45 + ["r1"] * 1 + ["r2"] * 2 + ["new"] * 1

    result = drift_of(reference, current)

    # r1, r2 and the unseen column expect < 5 counts in the current row: merged into "other" (4+5+1 = 10 rows),
    # which still expects < 5, so it joins the smallest column (b).
    merged = np.array([[500, 400 + 5], [50, 45 + 4]])
    assert result.pvalue == pytest.approx(stats.chi2_contingency(merged).pvalue, rel=1e-9)


def test_merge_keeps_an_other_column_when_it_is_large_enough():
    table = np.array([[1000, 1000, 30, 30, 30], [100, 100, 2, 2, 2]])
    merged = merge_rare_columns(table, 5.0)
    assert merged.table.tolist() == [[1000, 1000, 90], [100, 100, 6]]
    assert not merged.exact


@pytest.mark.parametrize(
    "reference, current, reason",
    [
        (["only"] * 100, ["only"] * 50, "constant_reference"),
        # 8 window rows (min_rows lowered to 5): no two groups of columns can each expect 5 of them
        (
            ["a"] * 100 + ["b"] * 100 + ["c"] * 100,
            ["a", "b", "c", "a", "b", "c", "a", "b"],
            "low_expected_count",
        ),
    ],
    ids=["one category everywhere", "too few window rows for two columns"],
)
def test_untestable_tables_are_skipped_with_a_reason(reference, current, reason):
    result = compute_drift(
        profile_of(SCHEMA, {"city": reference}),
        columns_of(SCHEMA, {"city": current}),
        DriftConfig(min_rows=5),
    ).features["city"]
    assert result.skip_reason == reason
    assert math.isnan(result.pvalue)
    assert not result.drift_detected


def test_one_common_column_and_a_rare_rest_get_fishers_exact_test():
    # b expects 0.08 window rows: too rare for a chi-square, but a 2×2 table Fisher's test takes exactly
    result = drift_of(["a"] * 1000 + ["b"] * 2, ["a"] * 40)
    assert result.skip_reason is None
    assert result.pvalue == pytest.approx(
        stats.fisher_exact([[1000, 2], [40, 0]]).pvalue, rel=1e-12
    )
    assert not result.drift_detected


def test_a_new_category_in_a_constant_reference_is_testable():
    result = drift_of(["only"] * 100, ["only"] * 30 + ["other"] * 20)
    assert result.skip_reason is None
    assert result.drift_detected


def test_integers_booleans_and_strings_are_counted_as_category_keys():
    reference = [1] * 200 + [2.0] * 100 + ["2"] * 100 + [True] * 100
    current = ["1"] * 40 + [2] * 40 + ["true"] * 20
    result = drift_of(reference, current)
    expected = stats.chi2_contingency(np.array([[200, 200, 100], [40, 40, 20]]))
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-9)


def test_two_sample_table_keeps_false_alarms_at_alpha_where_one_sample_chisquare_does_not():
    categories, shares = ["a", "b", "c", "d", "e"], [0.3, 0.25, 0.2, 0.15, 0.1]
    ours = one_sample = 0
    seeds = 200
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        reference = rng.choice(categories, p=shares, size=300).tolist()
        current = rng.choice(categories, p=shares, size=300).tolist()
        ours += drift_of(reference, current).pvalue < 0.05
        ref_counts = np.array([reference.count(c) for c in categories])
        cur_counts = np.array([current.count(c) for c in categories])
        one_sample += (
            stats.chisquare(cur_counts, ref_counts / ref_counts.sum() * cur_counts.sum()).pvalue
            < 0.05
        )
    assert stats.binomtest(int(ours), seeds, 0.05).pvalue > 0.01
    assert one_sample > 3 * ours  # the one-sample test treats the reference's noise as truth


def test_our_chi2_contingency_equals_scipy_to_the_last_bit_on_random_tables():
    # 2×K tables of every width, 2×2 ones with Yates' correction included, small and large counts
    rng = np.random.default_rng(11)
    for _ in range(500):
        width = int(rng.integers(2, 12))
        table = np.vstack(
            (
                rng.integers(1, int(rng.integers(2, 100_000)), size=width),
                rng.integers(1, int(rng.integers(2, 2_000)), size=width),
            )
        )
        expected = stats.chi2_contingency(table)
        assert chi2_contingency(table) == (float(expected.statistic), float(expected.pvalue))


def test_our_chi2_contingency_of_a_table_with_an_empty_column_raises_as_scipy_does():
    with pytest.raises(ValueError, match="zero element"):
        chi2_contingency(np.array([[3, 0, 4], [2, 0, 5]]))
