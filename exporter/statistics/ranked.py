"""One numeric feature of a sliding window, kept sorted with its ranks in the reference between cycles.

A steady-state cycle adds ~1,000 rows to a 100,000-row window and drops as
many. Sorting the window and searching every value in the reference again
costs O(m log n) per feature and cycle; :class:`RankedWindow` instead keeps
the window's distinct values sorted, each with its count and its ranks in the
reference and n·∫F_ref up to it (which never change), and per cycle

* sorts the values that enter and those that leave (~1,000 each);
* merges both into its table and measures the result, in one compiled call
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
from exporter.statistics.numeric import NOTHING, SampleStatistics, SortedSample, measure
from exporter.statistics.reference import NumericReference


class WindowOutOfStep(RuntimeError):
    """A value to remove is not in the ranked window: the caller must rebuild it from the window's columns."""


def _table(room: int) -> np.ndarray:
    return np.empty(room, dtype=kernels.ENTRY)


class SpareTable:
    """One spare table shared by the ranked windows of a model (used one at a time).

    Fresh 100,000-entry arrays per merge would cost page faults on memory
    touched for the first time, more than the copy itself. A merge writes into
    the spare table instead and hands back the table it replaced, so memory is
    reused and one spare serves every feature: ~1× the tables' memory, not 2×.
    """

    def __init__(self) -> None:
        self._table: np.ndarray | None = None

    def take(self, width: int) -> np.ndarray:
        """A table with room for ``width`` entries (grown by a quarter when more are needed)."""
        table, self._table = self._table, None
        if table is None or table.size < width:
            table = _table(width + width // 4 + 64)
        return table

    def give(self, table: np.ndarray) -> None:
        if self._table is None or table.size > self._table.size:
            self._table = table


class RankedWindow:
    """The finite window values of one numeric feature (see the module docstring).

    A table of :data:`~exporter.statistics.kernels.ENTRY` records, one per
    distinct value, sorted, every count > 0: the value and n·∫F_ref up to it
    (``float64``), its count and the reference values below it and at or
    below it (``int32``), 32 bytes in all. The :class:`SortedSample` it builds
    holds a view valid until the next :meth:`update`.
    """

    def __init__(self, reference: NumericReference, spare: SpareTable | None = None):
        if reference.sorted_values.size > kernels.MAX_REFERENCE:
            raise ValueError(
                f"feature {reference.name!r}: {reference.sorted_values.size:,} reference values, "
                "at most 2**31 - 1 per feature"
            )
        self.reference = reference
        self._spare = spare if spare is not None else SpareTable()
        self._table = _table(0)
        self._width = 0  # entries in use
        self.size = 0  # values held (the sum of counts)
        self._measured: SampleStatistics | None = (
            None  # of the table as it is, for the reference's PSI bins
        )

    @property
    def distinct(self) -> np.ndarray:
        return self._table["distinct"][: self._width]

    @property
    def counts(self) -> np.ndarray:
        return self._table["count"][: self._width]

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
        into = self._spare.take(self._width + entering.size)
        width, measured = measure(
            ref.sorted_values,
            ref.prefix,
            self._table,
            self._width,
            self.size,
            ref.psi_edges,
            entering=entering,
            leaving=leaving,
            into=into,
        )
        if width == kernels.OUT_OF_STEP:
            self._spare.give(into)
            raise WindowOutOfStep(
                f"feature {ref.name!r}: a value leaving the window was never added"
            )
        self._spare.give(self._table)
        self._table, self._width = into, width
        self.size = measured.m
        self._measured = measured

    def sample(self) -> SortedSample:
        """The window as a :class:`SortedSample` against the reference, with its statistics for the
        reference's PSI bins, without searching or sorting (a view of the table: valid until the next
        :meth:`update`)."""
        ref, width = self.reference, self._width
        if self._measured is None:
            self._measured = measure(
                ref.sorted_values,
                ref.prefix,
                self._table,
                width,
                self.size,
                ref.psi_edges,
            )[1]
        return SortedSample(
            ref.sorted_values,
            ref.prefix,
            self._table[:width],
            self.size,
            measured=(ref.psi_edges, self._measured),
        )


def _sorted(parts: list[np.ndarray]) -> np.ndarray:
    """The values of ``parts`` in one sorted ``float64`` array (non-finite ones included: the merge skips them)."""
    if not parts:
        return NOTHING
    values = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return np.sort(np.asarray(values, dtype=np.float64))
