"""One numeric feature of a sliding window, kept sorted with its ranks in the reference between cycles.

A steady-state cycle adds ~1,000 rows to a 100,000-row window and drops as
many. Sorting the window and searching every value in the reference again
costs O(m log n) per feature and cycle; :class:`RankedWindow` instead keeps
the window's distinct values sorted, each with its count and its ranks in the
reference and n·∫F_ref up to it (which never change), and per cycle

* nets the values that enter and leave (one sort of ~2,000 values: a value
  that leaves and comes back costs nothing) and searches only those in the
  window, and the new ones in the reference;
* changes the counts of the values held, and inserts the new ones in one
  merge per table (the spare tables take the merge, so no memory is
  allocated). A value whose count reaches 0 stays in place (it changes no
  statistic) until a quarter of the entries are such, when they are dropped
  in one pass.

:meth:`RankedWindow.sample` then gives the KS/Wasserstein/PSI input without
any search or sort, with the numbers a from-scratch
:meth:`~exporter.statistics.numeric.SortedSample.search` would hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exporter.statistics.numeric import Scratch, SortedSample, at_or_above_ranks, integral_below
from exporter.statistics.reference import NumericReference

# Counts and reference ranks: 4 bytes each (a table is read and rewritten by each merge: its width is
# memory traffic); the statistics widen them to int64 where they multiply them.
RANK_DTYPE = np.int32
# Entries with count 0 are dropped once they are this share of all entries (and at least this many).
COMPACT_SHARE = 0.25
COMPACT_MIN = 1024


class WindowOutOfStep(RuntimeError):
    """A value to remove is not in the ranked window: the caller must rebuild it from the window's columns."""


class SpareTable:
    """One spare table shared by the ranked windows of a model (used one at a time).

    Inserting into a 100,000-entry array with ``np.insert`` allocates a fresh
    array per field and cycle, and touching that new memory (page faults)
    costs more than the copy itself. A merge here writes into the spare table
    instead and hands back the table it replaced, so memory is reused and one
    spare serves every feature: ~1× the tables' memory, not 2×. It also lends
    the :class:`~exporter.statistics.numeric.Scratch` of the sample being built.
    """

    def __init__(self) -> None:
        self._tables: tuple[np.ndarray, np.ndarray] | None = None
        self._scratch = Scratch()

    def scratch(self, width: int) -> Scratch:
        """The scratch of the :class:`SortedSample` being built (one at a time: it is reused by the next)."""
        self._scratch = self._scratch.at_least(width)
        return self._scratch

    def take(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Tables (floats, ints) with room for ``width`` entries (grown by a quarter when new ones are needed)."""
        tables, self._tables = self._tables, None
        if tables is None or tables[0].shape[1] < width:
            room = width + width // 4 + 64
            tables = (
                np.empty((len(RankedWindow.FLOAT_FIELDS), room)),
                np.empty((len(RankedWindow.INT_FIELDS), room), dtype=RANK_DTYPE),
            )
        return tables

    def give(self, tables: tuple[np.ndarray, np.ndarray]) -> None:
        if self._tables is None or tables[0].shape[1] > self._tables[0].shape[1]:
            self._tables = tables


class RankedWindow:
    """The finite window values of one numeric feature (see the module docstring).

    Two tables, one column per distinct value: :data:`FLOAT_FIELDS` (the value
    and n·∫F_ref up to it) as ``float64`` and :data:`INT_FIELDS` (its count, the
    reference values below it and at or below it) as :data:`RANK_DTYPE`; each row is
    contiguous. The arrays it exposes (and the :class:`SortedSample` it builds)
    are views valid until the next :meth:`update`.
    """

    FLOAT_FIELDS = ("distinct", "integral_below")
    INT_FIELDS = ("counts", "below", "at_or_below")

    def __init__(self, reference: NumericReference, spare: SpareTable | None = None):
        self.reference = reference
        self._spare = spare if spare is not None else SpareTable()
        self._floats = np.empty((len(self.FLOAT_FIELDS), 0))
        self._ints = np.empty((len(self.INT_FIELDS), 0), dtype=RANK_DTYPE)
        self._width = 0  # columns in use
        self.size = 0  # values held (the sum of counts)
        self._emptied = 0  # columns with count 0

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
        pass: their net count per distinct value is applied, so a value that leaves and enters in the same
        update costs nothing, and one search and at most one merge serve all of them. Raises
        :class:`WindowOutOfStep` when the net count of a value would fall below 0 (it was never added).
        """
        values, deltas = _net_changes(changes)
        if not values.size:
            return
        distinct, counts = self.distinct, self.counts
        where = np.searchsorted(distinct, values, side="left")
        if distinct.size:
            held = distinct.take(where, mode="clip") == values
        else:
            held = np.zeros(values.size, dtype=bool)
        fresh = ~held
        if (deltas[fresh] < 0).any():
            raise WindowOutOfStep(
                f"feature {self.reference.name!r}: a value leaving the window was never added"
            )
        if held.any():
            at = where[held]
            before = counts[at]
            after = before + deltas[held]
            if (after < 0).any():
                raise WindowOutOfStep(
                    f"feature {self.reference.name!r}: a value leaving the window was never added"
                )
            counts[at] = after
            self._emptied += int(np.count_nonzero(after == 0)) - int(np.count_nonzero(before == 0))
        self.size += int(deltas.sum())
        if fresh.any():
            value = values[fresh]
            ref = self.reference.sorted_values
            below = np.searchsorted(ref, value, side="left")
            self._insert(
                where[fresh],
                (value, integral_below(self.reference.prefix, value, below)),
                (deltas[fresh], below, at_or_above_ranks(ref, value, below)),
            )
        if self._emptied >= max(COMPACT_SHARE * self._width, COMPACT_MIN):
            self._compact()

    def _insert(
        self,
        where: np.ndarray,
        float_columns: tuple[np.ndarray, ...],
        int_columns: tuple[np.ndarray, ...],
    ) -> None:
        """Insert new columns before the columns at ``where`` (sorted), merging into the spare tables."""
        width = self._width + where.size
        destination = where + np.arange(where.size)
        kept = np.ones(width, dtype=bool)
        kept[destination] = False
        tables = self._spare.take(width)
        olds: tuple[np.ndarray, np.ndarray] = (self._floats, self._ints)
        for table, old, columns in zip(tables, olds, (float_columns, int_columns)):
            for index, column in enumerate(columns):
                row = table[index, :width]
                row[destination] = column
                row[kept] = old[index, : self._width]
        self._swap(tables, width)

    def _compact(self) -> None:
        """Drop the columns with count 0."""
        keep = self.counts > 0
        width = int(np.count_nonzero(keep))
        tables = self._spare.take(width)
        olds: tuple[np.ndarray, np.ndarray] = (self._floats, self._ints)
        for table, old in zip(tables, olds):
            for index in range(table.shape[0]):
                table[index, :width] = old[index, : self._width][keep]
        self._swap(tables, width)
        self._emptied = 0

    def _swap(self, tables: tuple[np.ndarray, np.ndarray], width: int) -> None:
        self._spare.give((self._floats, self._ints))
        (self._floats, self._ints), self._width = tables, width

    def sample(self) -> SortedSample:
        """The window as a :class:`SortedSample` against the reference, without searching or sorting.

        Valid until the next :meth:`update` or :meth:`sample` of a window sharing the spare table.
        """
        ref, width = self.reference, self._width
        distinct, integral = self._floats[:, :width]
        counts, below, at_or_below = self._ints[:, :width]
        return SortedSample(
            ref.sorted_values,
            ref.prefix,
            distinct,
            counts,
            below,
            at_or_below,
            integral,
            self.size,
            self._spare.scratch(width),
        )


def _net_changes(changes: Sequence[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct finite values of ``changes`` (sorted) and the net change of each one's count (non-zero)."""
    finite = [values[np.isfinite(values)] for _, values in changes]
    values = np.concatenate(finite) if len(finite) > 1 else finite[0]
    if len(changes) == 1:  # one kind of change: counts are its copies
        unique, copies = np.unique(values, return_counts=True)
        return unique, copies * changes[0][0]
    signs = np.repeat(
        np.array([sign for sign, _ in changes], dtype=np.int64), [v.size for v in finite]
    )
    order = np.argsort(
        values
    )  # the order among equal values does not matter: their signs are summed
    ordered = values[order]
    if not ordered.size:
        return ordered, signs
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    deltas = np.add.reduceat(signs[order], starts)
    changed = deltas != 0
    return ordered[starts][changed], deltas[changed]
