"""The ranked window (sorted distinct values, counts and reference ranks kept between cycles) holds, after
any sequence of updates, exactly what a from-scratch search of the same values holds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from exporter.statistics.numeric import SortedSample, ks_statistic, wasserstein
from exporter.statistics.ranked import RankedWindow, WindowOutOfStep
from tests.statistics.builders import profile_of, schema_of

RNG = np.random.default_rng(20261202)
SCHEMA = schema_of(numeric=["x"])


def reference(n: int = 5_000):
    # rounded: window values tie with reference values and with each other
    return profile_of(SCHEMA, {"x": np.round(RNG.normal(size=n), 2)}).features["x"]


def assert_holds(ranked: RankedWindow, values: np.ndarray) -> None:
    """The ranked window's live entries equal a from-scratch search of ``values``; its statistics equal scipy's."""
    ref = ranked.reference
    finite = np.sort(values[np.isfinite(values)])
    expected = SortedSample.search(ref.sorted_values, finite, ref.prefix)
    got = ranked.sample()
    assert (got.counts > 0).all()  # a value whose count reaches 0 is dropped
    assert got.m == finite.size == ranked.size
    np.testing.assert_array_equal(got.distinct, expected.distinct)
    np.testing.assert_array_equal(got.counts, expected.counts)
    np.testing.assert_array_equal(got.ref_below, expected.ref_below)
    np.testing.assert_array_equal(got.ref_at_or_below, expected.ref_at_or_below)
    np.testing.assert_allclose(got.integral_below, expected.integral_below, rtol=1e-12)
    assert got.counts.dtype.kind == got.ref_below.dtype.kind == "i"
    assert ks_statistic(got) == stats.ks_2samp(ref.sorted_values, finite).statistic
    assert wasserstein(got) == pytest.approx(
        stats.wasserstein_distance(ref.sorted_values, finite), rel=1e-9
    )
    # measured while merging: what a pass over the merged table alone gives
    measured = got.statistics(ref.psi_edges)
    again = SortedSample(ref.sorted_values, ref.prefix, got.table.copy(), got.m)
    alone = again.statistics(ref.psi_edges)
    assert (alone.m, alone.ks, alone.wasserstein) == (measured.m, measured.ks, measured.wasserstein)
    np.testing.assert_array_equal(alone.psi_counts, measured.psi_counts)


def test_updates_that_net_entering_and_leaving_values_hold_what_a_search_finds():
    ranked = RankedWindow(reference())
    batches = [
        np.round(RNG.normal(0.1, 1.2, size=int(RNG.integers(50, 600))), 2) for _ in range(30)
    ]
    for batch in batches[:3]:
        batch[::13] = np.nan  # missing values are never held
        batch[::17] = np.inf
    held: list[np.ndarray] = []
    for batch in batches:
        changes = [(1, batch)]
        held.append(batch)
        while (
            sum(b.size for b in held) > 2_000
        ):  # a batch leaves in the update that adds the next one
            changes.insert(0, (-1, held.pop(0)))
        ranked.update(changes)
        assert_holds(ranked, np.concatenate(held))


def test_a_value_leaving_and_entering_in_one_update_is_left_as_it_was():
    ranked = RankedWindow(reference())
    ranked.update([(1, np.array([0.5, 0.5, 1.25]))])
    ranked.update([(-1, np.array([0.5, 1.25])), (1, np.array([1.25, 7.0]))])
    assert_holds(ranked, np.array([0.5, 1.25, 7.0]))


def test_a_failed_update_changes_nothing():
    ranked = RankedWindow(reference())
    values = np.arange(4_000, dtype=np.float64) / 100
    ranked.add(values)
    ranked.update([(1, np.array([100.5, 101.5]))])
    ranked.remove(values[:999])
    held = np.concatenate((values[999:], [100.5, 101.5]))
    assert_holds(ranked, held)
    for changes in (
        [(-1, values[[0, -1]])],  # the last value is held, the first one was removed already
        [(-1, np.array([101.5, 101.5]))],  # held once
        [(1, np.array([7.125])), (-1, np.array([100.5, 102.5]))],  # never added
    ):
        with pytest.raises(WindowOutOfStep):
            ranked.update(changes)
        assert_holds(ranked, held)


@pytest.mark.parametrize(
    "changes",
    [
        [(-1, np.array([3.0]))],  # never added
        [(1, np.array([1.0])), (-1, np.array([1.0, 1.0]))],  # leaves more often than it entered
    ],
)
def test_a_value_that_leaves_more_often_than_it_entered_is_reported(changes):
    ranked = RankedWindow(reference())
    ranked.add(np.array([2.0]))
    with pytest.raises(WindowOutOfStep, match="never added"):
        ranked.update(changes)


def test_a_reference_without_finite_values_still_holds_the_window():
    empty = profile_of(SCHEMA, {"x": np.full(50, np.nan)}).features["x"]
    assert empty.sorted_values.size == 0
    ranked = RankedWindow(empty)
    ranked.update([(1, np.array([2.0, 1.0, 2.0, np.nan]))])
    ranked.update([(-1, np.array([1.0])), (1, np.array([3.0]))])
    np.testing.assert_array_equal(ranked.distinct, [2.0, 3.0])
    np.testing.assert_array_equal(ranked.counts, [2, 1])
    assert ranked.size == ranked.sample().m == 3
    np.testing.assert_array_equal(ranked.sample().ref_below, [0, 0])


def test_a_merge_without_room_for_its_result_is_refused_before_the_kernel_writes():
    from exporter.statistics.numeric import measure

    ranked = RankedWindow(reference())
    ranked.add(np.array([0.5, 1.5]))
    sample = ranked.sample()
    ref = ranked.reference
    with pytest.raises(ValueError, match="room for 0 entries"):
        measure(
            ref.sorted_values, ref.prefix, sample.table, 2, 2, ref.psi_edges,
            entering=np.array([2.5]),
        )  # fmt: skip
    assert_holds(ranked, np.array([0.5, 1.5]))
