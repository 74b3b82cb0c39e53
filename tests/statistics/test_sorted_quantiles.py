"""Reference quantiles are read off the sorted column, equal to numpy's bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from exporter.statistics.reference import PSI_QUANTILES, sorted_quantiles

QUANTILES = np.concatenate(([0.0, 0.25, 0.5, 0.75, 1.0], PSI_QUANTILES))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 4_097])
@pytest.mark.parametrize("kind", ["continuous", "rounded", "three_values"])
def test_sorted_quantiles_equal_numpy_linear(n, kind):
    rng = np.random.default_rng(n)
    data = {
        "continuous": rng.normal(size=n) * 1e3,
        "rounded": np.round(rng.normal(size=n), 1),
        "three_values": rng.integers(0, 3, n).astype(float),
    }[kind]
    values = np.sort(data)
    assert np.array_equal(sorted_quantiles(values, QUANTILES), np.quantile(values, QUANTILES))
