"""PSI over reference deciles (numeric) and categories, on distributions with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exporter.statistics import compute_drift
from exporter.statistics.psi import DEFAULT_EPSILON, population_stability_index
from tests.statistics.builders import columns_of, profile_of, schema_of

SCHEMA = schema_of(numeric=["x"], categorical=["c"])


def psi_by_hand(p, q):
    return sum((b - a) * math.log(b / a) for a, b in zip(p, q))


def test_numeric_psi_uses_reference_deciles():
    reference = np.arange(1000, dtype=float)  # deciles split it into ten bins of 100 values
    current = np.concatenate(
        [np.full(300, 50.0), np.linspace(100, 999, 700)]
    )  # 30% in the first bin
    cats = ["a"] * 1000

    result = compute_drift(
        profile_of(SCHEMA, {"x": reference, "c": cats}),
        columns_of(SCHEMA, {"x": current, "c": cats[:1000]}),
    ).features["x"]

    edges = np.quantile(reference, np.linspace(0.1, 0.9, 9))
    q = (
        np.diff(
            np.concatenate(
                ([0], np.searchsorted(np.sort(current), edges, side="right"), [current.size])
            )
        )
        / 1000
    )
    assert result.psi == pytest.approx(psi_by_hand([0.1] * 10, q), rel=1e-12)
    assert q[0] == 0.3  # the 300 values at 50: the first decile edge is 99.9


def test_identical_distributions_have_psi_near_zero():
    rng = np.random.default_rng(3)
    reference = rng.normal(size=100_000)
    current = rng.normal(size=100_000)
    cats = ["a"] * 100_000
    result = compute_drift(
        profile_of(SCHEMA, {"x": reference, "c": cats}),
        columns_of(SCHEMA, {"x": current, "c": cats}),
    ).features["x"]
    assert result.psi < 0.001


def test_categorical_psi_over_categories_with_epsilon_for_empty_bins():
    reference = ["a"] * 500 + ["b"] * 500
    current = ["a"] * 80 + ["new"] * 20
    result = compute_drift(
        profile_of(SCHEMA, {"x": np.zeros(1000), "c": reference}),
        columns_of(SCHEMA, {"x": np.zeros(100), "c": current}),
    ).features["c"]
    # bins a, b, unseen: reference 0.5, 0.5, 0 → ε; current 0.8, 0 → ε, 0.2
    expected = psi_by_hand([0.5, 0.5, DEFAULT_EPSILON], [0.8, DEFAULT_EPSILON, 0.2])
    assert result.psi == pytest.approx(expected, rel=1e-12)


def test_psi_is_zero_for_equal_shares_and_positive_otherwise():
    assert population_stability_index(np.array([0.2, 0.8]), np.array([0.2, 0.8])) == 0.0
    assert population_stability_index(np.array([0.5, 0.5]), np.array([0.6, 0.4])) == pytest.approx(
        0.1 * math.log(1.2) - 0.1 * math.log(0.8)
    )
