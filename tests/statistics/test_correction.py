"""Multiple testing: false alarms with 20 no-drift features stay near α after correction; power on a known shift."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from exporter.statistics import DriftConfig, compute_drift
from exporter.statistics.correction import adjust_pvalues
from tests.statistics.builders import columns_of, profile_of, schema_of

FEATURES = [f"f{i:02d}" for i in range(20)]
SCHEMA = schema_of(numeric=FEATURES)
SEEDS = 200
ALPHA = 0.05


def run(
    seed: int, shift: dict[str, float], config: DriftConfig, n_ref: int = 1000, n_cur: int = 200
):
    rng = np.random.default_rng(seed)
    reference = {name: rng.normal(size=n_ref) for name in FEATURES}
    current = {name: rng.normal(shift.get(name, 0.0), 1.0, size=n_cur) for name in FEATURES}
    return compute_drift(profile_of(SCHEMA, reference), columns_of(SCHEMA, current), config)


@pytest.fixture(scope="module")
def null_reports():
    return [run(seed, {}, DriftConfig(alpha=ALPHA)) for seed in range(SEEDS)]


def test_false_alarm_rate_with_20_no_drift_features_is_about_alpha_after_bonferroni(null_reports):
    alarms = sum(report.drift_columns_count > 0 for report in null_reports)
    # Bonferroni bounds the family-wise rate by α; with independent features it is 1-(1-α/20)^20 ≈ 0.049.
    # Check the count is compatible with that rate (two-sided binomial test at 1%), and not the 64% of no correction.
    expected_rate = 1 - (1 - ALPHA / len(FEATURES)) ** len(FEATURES)
    assert stats.binomtest(alarms, SEEDS, expected_rate).pvalue > 0.01, (
        f"{alarms} false alarms in {SEEDS} cycles"
    )
    uncorrected = sum(
        any(f.pvalue < ALPHA for f in report.features.values()) for report in null_reports
    )
    assert uncorrected / SEEDS > 0.45, (
        "without correction 20 features should alarm most of the time"
    )


def test_raw_pvalues_under_no_drift_are_uniform(null_reports):
    pvalues = np.array([f.pvalue for report in null_reports for f in report.features.values()])
    # The asymptotic KS p-value is slightly conservative at these sizes; it must not be anti-conservative.
    assert np.mean(pvalues < ALPHA) <= ALPHA + 0.01
    assert stats.kstest(pvalues, "uniform").statistic < 0.05


def test_benjamini_hochberg_also_keeps_false_alarms_near_alpha_under_no_drift(null_reports):
    # Under no drift at all, BH's family-wise rate is α too; the raw p-values are the same, only the decision differs.
    alarms = sum(
        bool(
            (adjust_pvalues(np.array([f.pvalue for f in r.features.values()]), "bh") <= ALPHA).any()
        )
        for r in null_reports
    )
    assert stats.binomtest(alarms, SEEDS, ALPHA).pvalue > 0.01
    bh = run(0, {}, DriftConfig(alpha=ALPHA, correction="bh"))
    expected = adjust_pvalues(np.array([f.pvalue for f in null_reports[0].features.values()]), "bh")
    assert [f.adjusted_pvalue for f in bh.features.values()] == pytest.approx(expected.tolist())


def test_known_shift_is_detected_in_the_drifted_features_only():
    shifted = {"f03": 0.4, "f11": 0.4, "f17": 0.4}
    reports = [run(seed, shifted, DriftConfig(alpha=ALPHA)) for seed in range(1000, 1050)]
    found = [set(report.drifted) for report in reports]
    power = np.mean([len(f & shifted.keys()) / 3 for f in found])
    assert power > 0.9
    assert sum(len(f - shifted.keys()) for f in found) <= 3


def test_bh_has_more_power_than_bonferroni_when_several_features_drift():
    shifted = {name: 0.22 for name in FEATURES[:8]}
    bonferroni = sum(run(s, shifted, DriftConfig()).drift_columns_count for s in range(2000, 2030))
    bh = sum(
        run(s, shifted, DriftConfig(correction="bh")).drift_columns_count for s in range(2000, 2030)
    )
    assert bh > bonferroni


def test_bh_adjusted_pvalues_equal_scipy_false_discovery_control():
    rng = np.random.default_rng(11)
    pvalues = np.concatenate([rng.uniform(size=15), rng.uniform(0, 0.01, size=5)])
    assert adjust_pvalues(pvalues, "bh") == pytest.approx(
        stats.false_discovery_control(pvalues, method="bh"), rel=1e-12
    )


def test_skipped_features_do_not_count_as_tests():
    pvalues = np.array([0.01, np.nan, 0.02, np.nan])
    bonferroni = adjust_pvalues(pvalues, "bonferroni")
    assert bonferroni[[0, 2]].tolist() == pytest.approx([0.02, 0.04])
    assert np.isnan(bonferroni[[1, 3]]).all()
    bh = adjust_pvalues(pvalues, "bh")
    assert bh[[0, 2]].tolist() == pytest.approx(
        stats.false_discovery_control([0.01, 0.02]).tolist()
    )


def test_unknown_correction_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="bonferroni"):
        DriftConfig(correction="holm")
