"""One numeric feature of a sliding window, kept sorted with its ranks in the reference between cycles.

A steady-state cycle adds ~1,000 rows to a 100,000-row window and drops as
many. Sorting the window and searching every value in the reference again
costs O(m log n) per feature and cycle; :class:`RankedWindow` instead keeps
the window's distinct values sorted, each with its count and its ranks in the
reference and n·∫F_ref up to it (which never change), and per cycle

* sorts the values that enter and those that leave (~1,000 each);
* merges both into its table and measures the result, in one compiled pass
  (:func:`~exporter.statistics.kernels.merge_and_measure`) that writes into
  the spare table (no memory allocated): each value's count changes by its
  copies entering minus its copies leaving (a value that leaves and comes
  back costs nothing), a value whose count reaches 0 is dropped, a new one is
  searched in the reference as it is written. KS, Wasserstein and the PSI
  bin counts of the merged window come out of the same loop.

:meth:`RankedWindow.sample` then gives those statistics and the numbers a
from-scratch :meth:`~exporter.statistics.numeric.SortedSample.search` would
hold, without any search or sort.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exporter.statistics import kernels
from exporter.statistics.numeric import SampleStatistics, SortedSample, measure
from exporter.statistics.reference import NumericReference

# Counts and reference ranks: 4 bytes each (the table is memory traffic: a merge reads and writes all of
# it); the statistics widen them to int64 where they multiply them. Ranks in int32 limit a reference to
# 2**31 - 1 values per feature.
RANK_DTYPE = np.int32


class WindowOutOfStep(RuntimeError):
    """A value to remove is not in the ranked window: the caller must rebuild it from the window's columns."""


def _tables(room: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty tables (floats, ints) with room for ``room`` columns."""
    return (
        np.empty((len(RankedWindow.FLOAT_FIELDS), room)),
        np.empty((len(RankedWindow.INT_FIELDS), room), dtype=RANK_DTYPE),
    )


class SpareTable:
    """One spare table shared by the ranked windows of a model (used one at a time).

    Fresh 100,000-column arrays per merge would cost page faults on memory
    touched for the first time, more than the copy itself. A merge writes into
    the spare table instead and hands back the table it replaced, so memory is
    reused and one spare serves every feature: ~1× the tables' memory, not 2×.
    """

    def __init__(self) -> None:
        self._tables: tuple[np.ndarray, np.ndarray] | None = None

    def take(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Tables (floats, ints) with room for ``width`` entries (grown by a quarter when new ones are needed)."""
        tables, self._tables = self._tables, None
        if tables is None or tables[0].shape[1] < width:
            tables = _tables(width + width // 4 + 64)
        return tables

    def give(self, tables: tuple[np.ndarray, np.ndarray]) -> None:
        if self._tables is None or tables[0].shape[1] > self._tables[0].shape[1]:
            self._tables = tables


class RankedWindow:
    """The finite window values of one numeric feature (see the module docstring).

    Two tables, one column per distinct value: :data:`FLOAT_FIELDS` (the value
    and n·∫F_ref up to it) as ``float64`` and :data:`INT_FIELDS` (its count, the
    reference values below it and at or below it) as :data:`RANK_DTYPE`; each
    row is contiguous, every count > 0. The :class:`SortedSample` it builds
    holds views valid until the next :meth:`update`.
    """

    FLOAT_FIELDS = ("distinct", "integral_below")
    INT_FIELDS = ("counts", "below", "at_or_below")

    def __init__(self, reference: NumericReference, spare: SpareTable | None = None):
        self.reference = reference
        self._spare = spare if spare is not None else SpareTable()
        self._floats, self._ints = _tables(0)
        self._width = 0  # columns in use
        self.size = 0  # values held (the sum of counts)
        self._measured: SampleStatistics | None = (
            None  # of the table as it is, for the reference's PSI bins
        )

    @property
    def distinct(self) -> np.ndarray:
        return self._floats[0, : self._width]

    @property
    def counts(self) -> np.ndarray:
        return self._ints[0, : self._width]

    def add(self, values: np.ndarray) -> None:
        """Add the finite ones of ``values`` (NaN/±inf are missing and never tested)."""
        self.update([(1, values)])

    def remove(self, values: np.ndarray) -> None:
        """Remove the finite ones of ``values``, which must have been added; raises :class:`WindowOutOfStep`."""
        self.update([(-1, values)])

    def update(self, changes: Sequence[tuple[int, np.ndarray]]) -> None:
        """Apply ``(+1 or -1, values)`` changes (values entering or leaving; NaN/±inf are never tested) in one
        pass that also measures the result: their net count per distinct value is applied, so a value that
        leaves and enters in the same update costs nothing. Raises :class:`WindowOutOfStep` when the net
        count of a value would fall below 0 (it was never added); the window is then unchanged.
        """
        entering = _sorted([values for sign, values in changes if sign > 0])
        leaving = _sorted([values for sign, values in changes if sign < 0])
        if not entering.size and not leaving.size:
            return
        ref = self.reference
        tables = self._spare.take(self._width + entering.size)
        width, measured = measure(
            ref.sorted_values,
            ref.prefix,
            self._floats,
            self._ints,
            self._width,
            self.size,
            ref.psi_edges,
            entering=entering,
            leaving=leaving,
            into=tables,
        )
        if width == kernels.OUT_OF_STEP:
            self._spare.give(tables)
            raise WindowOutOfStep(
                f"feature {ref.name!r}: a value leaving the window was never added"
            )
        self._spare.give((self._floats, self._ints))
        (self._floats, self._ints), self._width = tables, width
        self.size = measured.m
        self._measured = measured

    def sample(self) -> SortedSample:
        """The window as a :class:`SortedSample` against the reference, with its statistics for the
        reference's PSI bins, without searching or sorting (views of the table: valid until the next
        :meth:`update`)."""
        ref, width = self.reference, self._width
        if self._measured is None:
            self._measured = measure(
                ref.sorted_values,
                ref.prefix,
                self._floats,
                self._ints,
                width,
                self.size,
                ref.psi_edges,
                write=False,
            )[1]
        return SortedSample(
            ref.sorted_values,
            ref.prefix,
            self._floats[:, :width],
            self._ints[:, :width],
            self.size,
            measured=(ref.psi_edges, self._measured),
        )


_EMPTY = np.empty(0)


def _sorted(parts: list[np.ndarray]) -> np.ndarray:
    """The values of ``parts`` in one sorted ``float64`` array (non-finite ones included: the merge skips them)."""
    if not parts:
        return _EMPTY
    values = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return np.sort(np.asarray(values, dtype=np.float64))
