"""One numeric feature of a sliding window, kept sorted with its ranks in the reference between cycles.

A steady-state cycle adds ~1,000 rows to a 100,000-row window and drops as
many. Sorting the window and searching every value in the reference again
costs O(m log n) per feature and cycle; :class:`RankedWindow` instead keeps
the window's distinct values sorted, each with its count and its ranks in the
reference (which never change), and per cycle

* searches only the values that enter (in the reference and in the window);
  a value already held just gets its count raised, a new one is inserted
  (``np.insert``: one memory move per array);
* lowers the counts of the values that leave. A value whose count reaches 0
  stays in place (it changes no statistic) until a quarter of the entries
  are such, when they are dropped in one pass.

:meth:`RankedWindow.sample` then gives the KS/Wasserstein/PSI input without
any search or sort, with the numbers a from-scratch
:meth:`~exporter.statistics.numeric.SortedSample.search` would hold.
"""

from __future__ import annotations

import numpy as np

from exporter.statistics.numeric import SCRATCH_ROWS, SortedSample, at_or_above_ranks
from exporter.statistics.reference import NumericReference

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
    spare serves every feature: ~1× the tables' memory, not 2×.
    """

    def __init__(self) -> None:
        self._table: np.ndarray | None = None
        self._scratch = np.empty((SCRATCH_ROWS, 0))

    def scratch(self, width: int) -> np.ndarray:
        """The scratch of the :class:`SortedSample` being built (one at a time: it is reused by the next)."""
        if self._scratch.shape[1] < width:
            self._scratch = np.empty((SCRATCH_ROWS, width + width // 4 + 64))
        return self._scratch

    def take(self, width: int) -> np.ndarray:
        """A table with room for ``width`` entries (grown by a quarter when a new one is needed)."""
        table, self._table = self._table, None
        if table is None or table.shape[1] < width:
            table = np.empty((len(RankedWindow.FIELDS), width + width // 4 + 64))
        return table

    def give(self, table: np.ndarray) -> None:
        if self._table is None or table.shape[1] > self._table.shape[1]:
            self._table = table


class RankedWindow:
    """The finite window values of one numeric feature (see the module docstring).

    One row per field (:data:`FIELDS`: the value, its count, the reference
    values below it, at or below it, and the sum of those below) and one
    column per distinct value, all ``float64``; each row is contiguous. The
    arrays it exposes (and the :class:`SortedSample` it builds) are views
    valid until the next :meth:`add` or :meth:`remove`.
    """

    FIELDS = ("distinct", "counts", "below", "at_or_below", "prefix_below")

    def __init__(self, reference: NumericReference, spare: SpareTable | None = None):
        self.reference = reference
        self._spare = spare if spare is not None else SpareTable()
        self._table = np.empty((len(self.FIELDS), 0))
        self._width = 0  # columns in use
        self.size = 0  # values held (the sum of counts)
        self._emptied = 0  # columns with count 0

    def _row(self, index: int) -> np.ndarray:
        return self._table[index, : self._width]

    @property
    def distinct(self) -> np.ndarray:
        return self._row(0)

    @property
    def counts(self) -> np.ndarray:
        return self._row(1)

    def _locate(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct finite ``values``, how often each occurs, and where each is or would be in ``distinct``."""
        unique, copies = np.unique(values[np.isfinite(values)], return_counts=True)
        return unique, copies, np.searchsorted(self.distinct, unique, side="left")

    def add(self, values: np.ndarray) -> None:
        """Add the finite ones of ``values`` (NaN/±inf are missing and never tested)."""
        new, copies, where = self._locate(values)
        if not new.size:
            return
        distinct, counts = self.distinct, self.counts
        held = where < distinct.size
        held[held] = distinct[where[held]] == new[held]
        if held.any():
            at = where[held]
            self._emptied -= int(np.count_nonzero(counts[at] == 0))
            counts[at] += copies[held]
        fresh = ~held
        if fresh.any():
            value = new[fresh]
            ref = self.reference.sorted_values
            below = np.searchsorted(ref, value, side="left")
            self._insert(
                where[fresh],
                (
                    value,
                    copies[fresh],
                    below,
                    at_or_above_ranks(ref, value, below),
                    self.reference.prefix.at(below),
                ),
            )
        self.size += int(copies.sum())

    def _insert(self, where: np.ndarray, columns: tuple[np.ndarray, ...]) -> None:
        """Insert new columns before the columns at ``where`` (sorted), merging into the spare table."""
        width = self._width + where.size
        destination = where + np.arange(where.size)
        kept = np.ones(width, dtype=bool)
        kept[destination] = False
        table = self._spare.take(width)
        for index, column in enumerate(columns):
            row = table[index, :width]
            row[destination] = column
            row[kept] = self._row(index)
        self._swap(table, width)

    def remove(self, values: np.ndarray) -> None:
        """Remove the finite ones of ``values``, which must have been added; raises :class:`WindowOutOfStep`."""
        old, copies, where = self._locate(values)
        if not old.size:
            return
        distinct, counts = self.distinct, self.counts
        if (
            where[-1] >= distinct.size
            or not np.array_equal(distinct[where], old)
            or (counts[where] < copies).any()
        ):
            raise WindowOutOfStep(
                f"feature {self.reference.name!r}: a value leaving the window was never added"
            )
        counts[where] -= copies
        self._emptied += int(np.count_nonzero(counts[where] == 0))
        self.size -= int(copies.sum())
        if self._emptied >= max(COMPACT_SHARE * distinct.size, COMPACT_MIN):
            keep = counts > 0
            width = int(np.count_nonzero(keep))
            table = self._spare.take(width)
            for index in range(len(self.FIELDS)):
                np.compress(keep, self._row(index), out=table[index, :width])
            self._swap(table, width)
            self._emptied = 0

    def _swap(self, table: np.ndarray, width: int) -> None:
        self._spare.give(self._table)
        self._table, self._width = table, width

    def sample(self) -> SortedSample:
        """The window as a :class:`SortedSample` against the reference, without searching or sorting.

        Valid until the next :meth:`add`, :meth:`remove` or :meth:`sample` of a window sharing the spare table.
        """
        ref = self.reference
        distinct, counts, below, at_or_below, prefix_below = (
            self._row(i) for i in range(len(self.FIELDS))
        )
        return SortedSample(
            ref.sorted_values,
            ref.prefix,
            distinct,
            counts,
            below,
            at_or_below,
            prefix_below,
            self.size,
            self._spare.scratch(self._width),
        )
