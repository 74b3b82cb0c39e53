"""KS against scipy: D and p-value from the pre-sorted reference equal ks_2samp(method="asymp") to 1e-9."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from exporter.statistics import DriftConfig, compute_drift
from exporter.statistics.numeric import (
    SortedSample,
    _smirnov_log_terms,
    ks_pvalues,
    ks_statistic,
    smirnov_sf,
    smirnov_sf_many,
    smirnov_terms,
    wasserstein,
)
from tests.statistics.builders import columns_of, profile_of, schema_of

RNG = np.random.default_rng(20261129)

CASES = {
    "no drift": (RNG.normal(size=5000), RNG.normal(size=800)),
    "mean shift": (RNG.normal(size=5000), RNG.normal(0.3, 1.0, size=800)),
    "scale change": (RNG.normal(size=3000), RNG.normal(0, 1.5, size=3000)),
    "current larger than reference": (RNG.exponential(size=300), RNG.exponential(size=4000)),
    "heavy ties": (
        RNG.integers(0, 6, size=4000).astype(float),
        RNG.integers(0, 7, size=900).astype(float),
    ),
    "ties shared across samples": (
        np.repeat([1.0, 2.0, 3.0], [50, 30, 20]),
        np.repeat([1.0, 2.0, 3.0], [10, 10, 15]),
    ),
    "small samples": (RNG.normal(size=31), RNG.normal(0.5, 1, size=30)),
    "disjoint supports": (RNG.uniform(0, 1, size=500), RNG.uniform(2, 3, size=50)),
    "one value each, equal": (np.array([4.0]), np.array([4.0])),
    "one value each, different": (np.array([1.0]), np.array([2.0])),
    "one-value reference": (np.full(100, 3.0), RNG.normal(3, 1, size=60)),
    "one-value current": (RNG.normal(size=200), np.full(40, 0.0)),
    "current inside a reference tie": (np.array([0.0, 1.0, 1.0, 1.0, 2.0]), np.array([1.0, 1.0])),
}


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("reference, current", CASES.values(), ids=CASES.keys())
def test_ks_statistic_and_pvalue_equal_scipy_asymp(reference, current):
    expected = stats.ks_2samp(reference, current, method="asymp")
    sample = SortedSample.search(np.sort(reference), np.sort(current))
    d = ks_statistic(sample)
    p = ks_pvalues(np.array([d]), np.array([reference.size]), np.array([current.size]))[0]
    assert d == pytest.approx(expected.statistic, abs=1e-12)
    # scipy's asymptotic p-value is NaN for 1 vs 1 values (n·m/(n+m) rounds to 0); mirrored, and such
    # samples are skipped as too_few_rows by compute_drift anyway.
    assert p == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9, nan_ok=True)


@pytest.mark.parametrize("reference, current", CASES.values(), ids=CASES.keys())
def test_wasserstein_equals_scipy(reference, current):
    sample = SortedSample.search(np.sort(reference), np.sort(current))
    assert wasserstein(sample) == pytest.approx(
        stats.wasserstein_distance(reference, current), rel=1e-9, abs=1e-12
    )


def test_compute_drift_reports_scipy_values_for_known_drift_and_no_drift():
    schema = schema_of(numeric=["stable", "shifted"])
    ref = {"stable": RNG.normal(size=20_000), "shifted": RNG.gamma(2.0, size=20_000)}
    cur = {"stable": RNG.normal(size=2_000), "shifted": RNG.gamma(2.0, size=2_000) + 0.4}
    report = compute_drift(profile_of(schema, ref), columns_of(schema, cur))

    for name in ("stable", "shifted"):
        expected = stats.ks_2samp(ref[name], cur[name], method="asymp")
        result = report.features[name]
        assert result.test == "ks"
        assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
        assert result.pvalue == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
        expected_effect = stats.wasserstein_distance(ref[name], cur[name]) / np.std(ref[name])
        assert result.effect_size == pytest.approx(expected_effect, rel=1e-9)
    assert report.drifted == ["shifted"]
    assert report.drift_columns_count == 1


def test_nan_and_inf_are_dropped_before_the_test():
    schema = schema_of(numeric=["x"])
    reference = RNG.normal(size=1000)
    current = RNG.normal(0.2, 1, size=300)
    dirty = current.copy()
    dirty[::10] = np.nan
    dirty[1::25] = np.inf
    dirty[2::25] = -np.inf
    finite = dirty[np.isfinite(dirty)]

    result = compute_drift(
        profile_of(schema, {"x": reference}), columns_of(schema, {"x": dirty})
    ).features["x"]

    assert result.n_current == finite.size
    assert result.pvalue == pytest.approx(
        stats.ks_2samp(reference, finite, method="asymp").pvalue, abs=1e-9, rel=1e-9
    )


def test_auto_method_mirrors_scipy_exact_pvalue_for_small_samples():
    schema = schema_of(numeric=["x"])
    reference, current = RNG.normal(size=400), RNG.normal(0.25, 1, size=90)
    config = DriftConfig(ks_method="auto")

    result = compute_drift(
        profile_of(schema, {"x": reference}), columns_of(schema, {"x": current}), config
    )

    assert result.features["x"].pvalue == pytest.approx(
        stats.ks_2samp(reference, current, method="auto").pvalue, abs=1e-12
    )


GRID = [
    (n, z)
    for n in (20, 141, 1_000, 9_091, 20_000)
    for z in (0.05, 0.3, 0.9, 1.3, 1.5, 2.0, 3.0, 6.0, 14.0, 20.0)
]


@pytest.mark.parametrize("n_eff, z", GRID)
def test_asymptotic_pvalue_equals_scipy_kstwo_in_every_branch(n_eff, z):
    # n = m = 2·n_eff gives round(n·m/(n+m)) = n_eff; D = z/√n_eff crosses every branch scipy takes.
    d = min(z / np.sqrt(n_eff), 0.999)
    ours = ks_pvalues(np.array([d]), np.array([2 * n_eff]), np.array([2 * n_eff]))[0]
    assert ours == pytest.approx(stats.kstwo.sf(d, n_eff), abs=1e-12, rel=1e-9)


@pytest.mark.parametrize("z", [1.6, 3.0, 9.0])
def test_smirnov_series_equals_scipy_where_scipy_is_slow(z):
    # large N: the series is summed only where its terms matter (found on a coarse grid first)
    n_eff, d = 90_909, z / np.sqrt(90_909)
    ours = ks_pvalues(np.array([d]), np.array([1_000_000]), np.array([100_000]))[0]
    assert ours == pytest.approx(stats.kstwo.sf(d, n_eff), abs=1e-12, rel=1e-9)


def test_threads_give_the_same_report_as_one_thread():
    schema = schema_of(numeric=["a", "b", "c"])
    reference = {name: RNG.normal(size=30_000) for name in "abc"}
    current = {name: RNG.normal(0.02 * i, 1, size=25_000) for i, name in enumerate("abc")}
    profile, window = profile_of(schema, reference), columns_of(schema, current)

    one = compute_drift(profile, window, DriftConfig(threads=1))
    two = compute_drift(profile, window, DriftConfig(threads=2))

    assert one.features == two.features


def _smirnov_every_term(n: int, d: float) -> float:
    """The Smirnov series summed over every one of its terms (what smirnov_sf samples when the stretch is wide)."""
    terms = smirnov_terms(n)
    log_terms = _smirnov_log_terms(terms, d, slice(0, math.floor(n * (1.0 - d)) + 1))
    peak = log_terms.max()
    return d * math.exp(peak) * float(np.exp(log_terms - peak).sum())


SMIRNOV_GRID = [
    (n, z)
    for n in (141, 1_000, 2_000, 9_091, 50_000, 90_909)
    for z in (0.8, 1.5, 3.0, 6.0, 9.0, 14.0)
    if z / math.sqrt(n) < 1
]


@pytest.mark.parametrize("n, z", SMIRNOV_GRID)
def test_smirnov_sum_over_sampled_terms_equals_the_sum_over_every_term(n, z):
    d = z / math.sqrt(n)
    expected = _smirnov_every_term(n, d)
    assert smirnov_sf(n, d) == pytest.approx(expected, rel=1e-10, abs=1e-300)
    if n >= 1_000 and 1.5 <= z <= 6:  # where scipy is fast enough to ask it
        assert 2 * smirnov_sf(n, d) == pytest.approx(stats.kstwo.sf(d, n), rel=1e-9)


@pytest.mark.parametrize("n", [500, 9_091, 50_000])
def test_the_smirnov_tails_of_many_features_equal_each_feature_alone(n):
    # wide and narrow series (every term summed), sampled ones and ones that reach j = 0, in one pass
    d = np.array([z / math.sqrt(n) for z in (1.5, 2.2, 3.0, 6.0, 9.0, 14.0)] + [0.6, 0.95])
    one_by_one = [smirnov_sf(n, value) for value in d.tolist()]
    assert smirnov_sf_many(n, d) == pytest.approx(one_by_one, rel=1e-14, abs=1e-300)
