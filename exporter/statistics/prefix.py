"""Prefix sums of a sorted reference column, Σ of its first k values for any k, at 1/32 of the memory.

The Wasserstein distance needs ``Σ reference[:k]`` at many ranks ``k``. A full
prefix-sum array would double the memory of a large reference (one more
``float64`` per value and feature), and recomputing it each cycle costs a pass
over the whole reference. :class:`PrefixSums` keeps the sum at every
:data:`BLOCK`-th rank and adds the at most ``BLOCK - 1`` values between: a few
memory reads per query, at ``8 / BLOCK`` bytes per reference value.
"""

from __future__ import annotations

import numpy as np

BLOCK = 32
# Queries are answered in chunks of this many ranks (a chunk gathers CHUNK × BLOCK values).
_CHUNK = 4096
# Cost of a gathered value relative to one value of a sequential cumulative sum (measured, roughly).
_GATHER_COST = 4


class PrefixSums:
    """``at(k)`` = Σ ``values[:k]`` for ranks ``0 <= k <= n`` of a (sorted) ``float64`` array."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.n = int(values.size)
        whole = self.n // BLOCK * BLOCK
        # blocks[i] = Σ values[:i·BLOCK]
        self.blocks = np.concatenate(
            ([0.0], np.cumsum(values[:whole].reshape(-1, BLOCK).sum(axis=1)))
        )
        self.total = float(self.blocks[-1] + values[whole:].sum())
        # The values as rows of BLOCK (a view) plus the last partial block padded (a copy of < BLOCK values):
        # a query gathers whole rows, much cheaper than BLOCK separate elements per rank.
        self._rows = values[:whole].reshape(-1, BLOCK)
        self._tail = np.zeros(BLOCK)
        self._tail[: self.n - whole] = values[whole:]

    def at(self, ranks: np.ndarray) -> np.ndarray:
        """Σ ``values[:k]`` for each ``k`` in ``ranks`` (``float64``)."""
        ranks = np.asarray(ranks, dtype=np.int64)
        # A query reads up to BLOCK values per rank through several temporaries; one sequential pass
        # over the whole array is cheaper unless the ranks are much fewer than n / BLOCK.
        if ranks.size * BLOCK * _GATHER_COST >= self.n:
            full = np.empty(self.n + 1)
            full[0] = 0.0
            np.cumsum(self.values, out=full[1:])
            return full[ranks]
        out = np.empty(ranks.size)
        offsets = np.arange(BLOCK)
        full_rows = self._rows.shape[0]
        for first in range(0, ranks.size, _CHUNK):
            k = ranks[first : first + _CHUNK]
            block = k // BLOCK
            inside = offsets < (k - block * BLOCK)[:, None]
            if full_rows:
                gathered = self._rows.take(np.minimum(block, full_rows - 1), axis=0)
                gathered[block >= full_rows] = self._tail
            else:
                gathered = np.broadcast_to(self._tail, inside.shape)
            out[first : first + _CHUNK] = self.blocks[block] + np.where(inside, gathered, 0.0).sum(
                axis=1
            )
        return out
