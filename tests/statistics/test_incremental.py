"""Drift and quality of a sliding window, updated as rows enter and leave, equal the from-scratch computation
and scipy, cycle after cycle."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics import DriftConfig, compute_drift, compute_quality
from exporter.statistics.incremental import IncrementalDrift
from exporter.statistics.prefix import BLOCK, PrefixSums
from exporter.statistics.quality import QualityCounts
from exporter.statistics.ranked import WindowOutOfStep
from exporter.store import PredictionRecord
from exporter.window import ModelWindow, parse_batch
from tests.statistics.builders import columns_of, profile_of, schema_of

RNG = np.random.default_rng(20261130)
SCHEMA = schema_of(numeric=["smooth", "ties", "rounded", "sparse"], categorical=["city"])
CITIES = np.array(["paris", "lyon", "nice", "brest"], dtype=object)


def reference_data(n: int) -> dict[str, list]:
    return {
        "smooth": RNG.normal(size=n),
        "ties": RNG.integers(1990, 2025, size=n).astype(
            float
        ),  # heavy ties, shared with the window
        "rounded": np.round(
            RNG.normal(size=n), 2
        ),  # repeated values inside the window and the reference
        "sparse": np.where(RNG.uniform(size=n) < 0.1, np.nan, RNG.exponential(size=n)),
        "city": RNG.choice(CITIES[:3], size=n).tolist(),
    }


def window_rows(n: int, shift: float) -> dict[str, list]:
    rows = {
        "smooth": RNG.normal(shift, 1.0, size=n),
        "ties": RNG.integers(1990, 2026, size=n).astype(float),
        "rounded": np.round(RNG.normal(shift, 1.0, size=n), 2),
        "sparse": np.where(
            RNG.uniform(size=n) < 0.2 + shift, np.nan, RNG.exponential(1 + shift, size=n)
        ),
        "city": RNG.choice(
            CITIES, p=[0.4, 0.3, 0.2, 0.1], size=n
        ).tolist(),  # "brest" is unseen in the reference
    }
    rows["smooth"][::97] = np.inf
    return rows


def assert_same_report(incremental, scratch):
    assert incremental.n_current_rows == scratch.n_current_rows
    assert incremental.drifted == scratch.drifted
    for name, expected in scratch.features.items():
        got = incremental.features[name]
        assert (got.test, got.n_reference, got.n_current, got.skip_reason) == (
            expected.test,
            expected.n_reference,
            expected.n_current,
            expected.skip_reason,
        ), name
        for field in (
            "statistic",
            "pvalue",
            "effect_size",
            "psi",
            "missing_rate_pvalue",
            "adjusted_pvalue",
        ):
            assert getattr(got, field) == pytest.approx(
                getattr(expected, field), rel=1e-9, abs=1e-12, nan_ok=True
            ), (name, field)


def test_a_sliding_window_matches_the_from_scratch_report_and_scipy_after_many_cycles():
    profile = profile_of(SCHEMA, reference_data(20_000))
    drift = IncrementalDrift(profile)
    batches = [
        columns_of(SCHEMA, window_rows(int(RNG.integers(200, 900)), shift=0.002 * k))
        for k in range(40)
    ]
    held: list = []
    for k, batch in enumerate(batches):
        drift.add(batch)
        held.append(batch)
        while sum(b.n_rows for b in held) > 3_000:  # evict whole batches, oldest first
            drift.remove(held.pop(0))
        if k % 8 == 7:
            window = held[0].concat(held)
            assert_same_report(drift.report(), compute_drift(profile, window))

    window = held[0].concat(held)
    report = drift.report()
    # values that left are dropped: the table holds the distinct values of the window
    assert (
        drift._ranked["smooth"].distinct.size
        == np.unique(window.values["smooth"][np.isfinite(window.values["smooth"])]).size
    )
    for name in ("smooth", "ties", "rounded", "sparse"):
        ref = profile.features[name].sorted_values
        current = window.values[name][np.isfinite(window.values[name])]
        expected = stats.ks_2samp(ref, current, method="asymp")
        assert report.features[name].statistic == pytest.approx(expected.statistic, abs=1e-12)
        assert report.features[name].pvalue == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)
        assert report.features[name].effect_size == pytest.approx(
            stats.wasserstein_distance(ref, current) / np.std(ref), rel=1e-9
        )


def test_values_that_leave_and_come_back_and_a_window_emptied_completely():
    profile = profile_of(SCHEMA, reference_data(5_000))
    drift = IncrementalDrift(profile)
    batch = columns_of(SCHEMA, window_rows(2_000, 0.1))
    for _ in range(3):
        drift.add(batch)
        drift.remove(batch)
    assert drift.n_rows == 0
    assert all(f.skip_reason == "no_current_values" for f in drift.report().features.values())
    drift.add(batch)
    assert_same_report(drift.report(), compute_drift(profile, batch))


def test_removing_rows_that_were_never_added_is_reported():
    profile = profile_of(SCHEMA, reference_data(1_000))
    drift = IncrementalDrift(profile)
    drift.add(columns_of(SCHEMA, window_rows(100, 0.0)))
    drift.remove(columns_of(SCHEMA, window_rows(100, 0.0)))
    with pytest.raises(WindowOutOfStep, match="never added"):
        drift.report()


def _records(first: int, count: int, rng: np.random.Generator) -> list[PredictionRecord]:
    values = np.round(rng.normal(0.3, 1.0, size=count), 3)
    return [
        PredictionRecord(
            i,
            f"r{i}",
            float(i),
            "m",
            "v1",
            f'{{"x": {v}, "c": "{"abc"[i % 3]}"}}',
            1.0,
            None,
            None,
            None,
        )
        for i, v in zip(range(first, first + count), values.tolist())
    ]


def test_a_tracked_model_window_reports_what_compute_drift_gives_on_its_rows():
    schema = FeatureSchema(
        (FeatureSpec("x", "numeric"), FeatureSpec("c", "categorical", categories=("a", "b")))
    )
    rng = np.random.default_rng(3)
    profile = profile_of(
        schema, {"x": rng.normal(size=8_000), "c": rng.choice(["a", "b"], size=8_000).tolist()}
    )
    window = ModelWindow(schema, capacity=2_500, max_age_seconds=4_000.0)
    window.append(parse_batch(schema, _records(0, 1_000, rng)))
    drift = IncrementalDrift(profile, DriftConfig(min_rows=30))
    window.track(drift)  # starts from the rows already held
    first, sizes = 1_000, set()
    for cycle in range(25):
        count = int(rng.integers(1, 700))
        window.append(parse_batch(schema, _records(first, count, rng)))  # wraps around the ring
        first += count
        # ts = row number: the capacity evicts first, then a clock 2,500 s ahead evicts by age too
        window.expire(now=float(first + (0 if cycle < 15 else 2_500)))
        sizes.add(window.n_rows)
        assert_same_report(drift.report(), compute_drift(profile, window.columns))
    assert 2_500 in sizes and min(sizes) < 2_500  # both the capacity and the age evicted rows


@pytest.mark.parametrize("n", [0, 1, BLOCK - 1, BLOCK, 10 * BLOCK + 7, 5_000])
def test_prefix_sums_equal_a_full_cumulative_sum(n):
    values = np.sort(RNG.normal(100.0, 30.0, size=n))
    expected = np.concatenate(([0.0], np.cumsum(values)))
    prefix = PrefixSums(values)
    few = RNG.integers(0, n + 1, size=max(n // (16 * BLOCK), 1))  # answered from the blocks
    many = np.arange(n + 1)  # answered with one pass
    np.testing.assert_allclose(prefix.at(few), expected[few], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(prefix.at(many), expected, rtol=1e-12, atol=1e-9)
    assert prefix.total == pytest.approx(expected[-1], rel=1e-12, abs=1e-9)
    assert not math.isnan(prefix.total)


def test_quality_counts_of_a_tracked_window_equal_compute_quality_on_its_rows():
    schema = FeatureSchema(
        (
            FeatureSpec("x", "numeric", minimum=-3.0, maximum=3.0),
            FeatureSpec("c", "categorical", categories=("a", "b")),
        )
    )
    rng = np.random.default_rng(8)
    profile = profile_of(
        schema, {"x": rng.normal(size=4_000), "c": rng.choice(["a", "b"], size=4_000).tolist()}
    )
    window = ModelWindow(schema, capacity=900)
    counts = QualityCounts(profile)
    window.track(counts)
    first = 0
    for _cycle in range(12):
        rows = []
        for i in range(first, first + int(rng.integers(50, 400))):
            x = rng.choice(
                [float(rng.normal(0, 2)), None, "text", 40.0], p=[0.85, 0.05, 0.05, 0.05]
            )
            extra = (
                {f"field{i % 25}": 1} if i % 7 == 0 else {}
            )  # more unknown names than the window tracks
            rows.append(
                PredictionRecord(
                    i,
                    f"r{i}",
                    float(i),
                    "m",
                    "v1",
                    json.dumps({"x": x, "c": str(rng.choice(["a", "b", "z"])), **extra}),
                    1.0,
                    None,
                    None,
                    None,
                )
            )
        window.append(parse_batch(schema, rows))
        first += len(rows)
        assert counts.report() == compute_quality(profile, window.columns)


def test_a_long_tail_feature_with_unseen_categories_matches_the_from_scratch_report():
    # categories the reference lacks enter and leave the window: each is its own column until it leaves
    schema = schema_of(numeric=["x"], categorical=["sku"])
    keys = np.array([f"sku{i}" for i in range(3_000)], dtype=object)
    shares = 1.0 / np.arange(1, 3_001) ** 1.1
    shares /= shares.sum()
    profile = profile_of(
        schema, {"x": RNG.normal(size=10_000), "sku": keys[RNG.choice(3_000, 10_000, p=shares)]}
    )
    assert (
        len(profile.features["sku"].categories) < 3_000
    )  # the reference sample misses part of the tail
    drift = IncrementalDrift(profile, DriftConfig(min_effect=0.05))
    held: list = []
    for k in range(24):
        n = int(RNG.integers(300, 800))
        batch = columns_of(
            schema,
            {"x": RNG.normal(0.01 * k, size=n), "sku": keys[RNG.choice(3_000, n, p=shares)]},
        )
        drift.add(batch)
        held.append(batch)
        while sum(b.n_rows for b in held) > 4_000:
            drift.remove(held.pop(0))
        if k % 6 == 5:
            window = held[0].concat(held)
            scratch = compute_drift(profile, window, DriftConfig(min_effect=0.05))
            assert scratch.features["sku"].skip_reason is None
            assert_same_report(drift.report(), scratch)
