"""The per-cycle pass over a numeric feature's window, compiled (numba): one loop instead of ~20 numpy
passes and ~100 short calls per feature and cycle.

:func:`merge_and_measure` merges the values that entered and left the window
into its sorted table of distinct values (:class:`~exporter.statistics.ranked.RankedWindow`)
and, in the same loop, computes KS, Wasserstein and the PSI bin counts over
the merged values (:class:`~exporter.statistics.numeric.SortedSample`). The
table of a 100,000-row window is ~1 MB per feature, more than the caches keep
across 20 features: the merge is bound by memory, and the statistics' work
hides in its stalls instead of taking a pass of its own. With no changes it is
the statistics pass alone.

The arithmetic is the one the module docstrings of
:mod:`~exporter.statistics.numeric` and :mod:`~exporter.statistics.ranked`
describe, term by term; results are checked against scipy in
``tests/statistics/``. Everything is in one function: numba reference-counts
the arrays passed to a called function on each call, which in a loop over
every value costs more than the work itself.

Compiled on first use and cached on disk (:mod:`exporter.compiled`).
"""

from __future__ import annotations

import numpy as np

from exporter.compiled import jit as _jit

# merge_and_measure's width when a value leaving was never added.
OUT_OF_STEP = -1


@_jit
def _prefix_at(values: np.ndarray, blocks: np.ndarray, block: int, k: int) -> float:
    """Σ values[:k] from the block prefix sums (blocks[i] = Σ values[:i·block]) and at most block-1 values."""
    first = k // block
    total = blocks[first]
    for i in range(first * block, k):
        total += values[i]
    return total


@_jit
def _rank_left(sorted_values: np.ndarray, value: float, start: int, stop: int) -> int:
    """Values < ``value`` in ``sorted_values`` (``np.searchsorted(..., side="left")``), given that at least
    ``start`` and at most ``stop`` of them are. Gallops from ``start``, then halves without jumps (a
    select: values in no predictable order would mispredict half of a textbook binary search's
    branches). The merge passes the ranks of the table's neighbours of the value as bounds: usually a few
    reference values apart, in one or two cache lines of a reference the caches no longer hold."""
    low, step = start, 1
    while low + step <= stop and sorted_values[low + step - 1] < value:
        low += step
        step *= 2
    length = min(low + step - 1, stop) - low  # the answer is in [low, low + length]
    while length > 0:
        half = length >> 1
        below = sorted_values[low + half] < value
        low = low + half + 1 if below else low
        length = length - half - 1 if below else half
    return low


@_jit
def _rank_right(sorted_values: np.ndarray, value: float, start: int, stop: int) -> int:
    """Values <= ``value`` in ``sorted_values``, given that at least ``start`` and at most ``stop`` of them
    are (as :func:`_rank_left`)."""
    low, step = start, 1
    while low + step <= stop and sorted_values[low + step - 1] <= value:
        low += step
        step *= 2
    length = min(low + step - 1, stop) - low
    while length > 0:
        half = length >> 1
        at_or_below = sorted_values[low + half] <= value
        low = low + half + 1 if at_or_below else low
        length = length - half - 1 if at_or_below else half
    return low


@_jit
def _finite_part(sorted_values: np.ndarray) -> tuple[int, int]:
    """Where the finite values of a sorted array start and stop (-inf sorts first, +inf then NaN last)."""
    start, stop = 0, sorted_values.size
    while stop > start and not sorted_values[stop - 1] < np.inf:
        stop -= 1
    while start < stop and sorted_values[start] == -np.inf:
        start += 1
    return start, stop


# One entry per distinct window value, all its numbers in one 32-byte record: a merge then reads one
# stream and writes one (five arrays, one per field, measured ~2x slower when the tables are not in the
# caches, as with 20 features of ~1 MB each). Counts and reference ranks in int32 limit a reference to
# 2**31 - 1 values per feature.
ENTRY = np.dtype(
    [
        ("distinct", np.float64),  # the value u
        ("integral", np.float64),  # n·∫F_ref up to u = Σ over the reference values r < u of (u - r)
        ("count", np.int32),  # its copies in the window
        ("below", np.int32),  # reference values < u
        ("at_or_below", np.int32),  # reference values <= u
        ("unused", np.int32),  # (padding to 32 bytes)
    ]
)
# The most reference values per feature the int32 ranks hold.
MAX_REFERENCE = int(np.iinfo(np.int32).max)


@_jit
def merge_and_measure(
    table: np.ndarray,
    width: int,
    size: int,
    entering: np.ndarray,
    leaving: np.ndarray,
    reference: np.ndarray,
    blocks: np.ndarray,
    block: int,
    total: float,
    psi_edges: np.ndarray,
    psi_counts: np.ndarray,
    into: np.ndarray,
) -> tuple[int, int, int, float]:
    """Merge the values entering and leaving into a sorted table of distinct values and measure the result.

    The table: :data:`ENTRY` records, ``width`` of them in use, sorted by
    value, every count > 0, ``size`` values in all (the sum of the counts).
    ``entering`` and ``leaving`` are sorted, with repeats; their non-finite
    values are skipped. Each value's count changes by its copies entering
    minus its copies leaving: a value held gets its new count (and is dropped
    at 0), a new value is searched in ``reference`` (sorted) with
    ``blocks``, its prefix sums at every ``block``-th rank. The merged table
    goes to ``into``, which must have room for ``width + entering.size``
    entries (not checked here); with nothing entering or leaving, nothing is
    written and the table itself is measured.

    Returns ``(merged width, m, n·m·D, n·W1)``: m values after the merge, the
    KS statistic D scaled by n·m as an exact integer, the Wasserstein-1
    distance W1 scaled by n (n the reference's size); ``psi_counts`` (one
    more than ``psi_edges``) receives the window values in each PSI bin
    ``(-inf, e0], (e0, e1], ..., (e_last, inf)``. The width is
    :data:`OUT_OF_STEP` when a count would fall below 0 (a value leaving was
    never added); the input table is never changed.

    Statistics, per merged value u_j with C_j window values <= u_j (C_{-1} = 0):

    * KS: n·m·(F_ref - F_cur) just before u_j is ``below_j·m - C_{j-1}·n``
      and n·m·(F_cur - F_ref) at u_j is ``C_j·n - at_or_below_j·m``;
    * Wasserstein: on [u_j, u_{j+1}) F_cur is the level C_j/m and n·∫F_ref is
      ``integral_{j+1} - integral_j``, so the interval adds |level·span -
      ∫F_ref| unless F_ref crosses the level inside it (F_cur above F_ref at
      u_j, not below it just before u_{j+1}: both KS gaps), where it is split
      at the reference value x_k where F_ref reaches the level. Below u_0
      F_cur is 0 (adds n·∫F_ref up to u_0); the last interval ends at
      max(u_last, reference max), where F_ref = 1.
    """
    n = reference.size
    a, a_stop = _finite_part(entering)
    b, b_stop = _finite_part(leaving)
    if a < a_stop or b < b_stop:  # 1. the merge, into ``into``
        width = _merge(
            table, width, entering, a, a_stop, leaving, b, b_stop,
            reference, blocks, block, into,
        )  # fmt: skip
        if width == OUT_OF_STEP:
            return OUT_OF_STEP, size, 0, 0.0
        size += (a_stop - a) - (b_stop - b)
        table = into
    # 2. the statistics of the merged table: a loop of its own (a merge's branches in the same loop
    # measured three times slower), over entries that are in the caches when just merged
    m = size
    edges = psi_edges.size
    psi_counts[:] = 0
    if width == 0 or m == 0:
        psi_counts[edges] = m
        return width, m, 0, 0.0
    inverse_m = 1.0 / m
    next_edge = psi_edges[0] if edges else np.inf
    edge = 0
    best = 0  # the largest KS gap so far
    area_total = table[0].integral  # below the first value F_cur is 0: n·∫F_ref up to it
    cumulative = np.int64(0)  # window values before u_j
    u = table[0].distinct
    integral = table[0].integral
    for j in range(width):
        while next_edge < u:  # the PSI bins up to this edge close before u
            psi_counts[edge] = cumulative
            edge += 1
            next_edge = psi_edges[edge] if edge < edges else np.inf
        gap = np.int64(table[j].below) * m - cumulative * n  # n·m·(F_ref - F_cur) just before u_j
        best = max(best, int(gap))
        cumulative += table[j].count
        level_n = cumulative * n  # n·m·F_cur on [u_j, u_{j+1})
        above = level_n - np.int64(table[j].at_or_below) * m  # n·m·(F_cur - F_ref) at u_j
        best = max(best, int(above))
        if j + 1 < width:
            end = table[j + 1].distinct
            end_integral = table[j + 1].integral
            crossing = above > 0 and np.int64(table[j + 1].below) * m - level_n >= 0
        else:  # the last interval, up to where F_ref = 1 >= F_cur: no crossing inside
            end = max(u, reference[n - 1]) if n else u
            end_integral = n * end - total
            crossing = False
        area = end_integral - integral
        if crossing:  # F_ref reaches the level inside the interval: split where it does, at x_k
            k = (level_n + m - 1) // m
            x = reference[k - 1]
            level = level_n / m
            integral_x = k * x - _prefix_at(reference, blocks, block, k)
            area_total += (
                level * (x - u)
                - (integral_x - integral)
                + (integral + area - integral_x)
                - level * (end - x)
            )
        else:
            area_total += abs(level_n * (end - u) * inverse_m - area)
        u, integral = end, end_integral
    while edge < edges:
        psi_counts[edge] = cumulative
        edge += 1
    # counts per bin from the cumulative counts at the edges; the last bin takes the rest of the m values
    previous = np.int64(0)
    for e in range(edges):
        at = psi_counts[e]
        psi_counts[e] = at - previous
        previous = at
    psi_counts[edges] = m - previous
    return width, m, best, area_total


@_jit
def _merge(
    table: np.ndarray,
    width: int,
    entering: np.ndarray,
    a: int,
    a_stop: int,
    leaving: np.ndarray,
    b: int,
    b_stop: int,
    reference: np.ndarray,
    blocks: np.ndarray,
    block: int,
    into: np.ndarray,
) -> int:
    """The merge of :func:`merge_and_measure`: ``entering[a:a_stop]`` and ``leaving[b:b_stop]`` (finite)
    into the table, written to ``into``; the merged width, or :data:`OUT_OF_STEP`."""
    out = 0
    i = 0
    searched = 0  # reference values below the last new value (values come in ascending order)
    while True:
        # the next value whose count changes, and by how much (one copy entering and one leaving cancel out)
        delta = 0
        value = np.inf
        while delta == 0 and (a < a_stop or b < b_stop):
            if b == b_stop or (a < a_stop and entering[a] <= leaving[b]):
                value = entering[a]
            else:
                value = leaving[b]
            while a < a_stop and entering[a] == value:
                delta += 1
                a += 1
            while b < b_stop and leaving[b] == value:
                delta -= 1
                b += 1
        if delta == 0:
            value = np.inf  # no change left: copy the rest
        while i < width and table[i].distinct < value:  # the entries before the value, as they are
            into[out] = table[i]
            out += 1
            i += 1
        if delta == 0:
            return out
        if i < width and table[i].distinct == value:  # held: its new count, dropped at 0
            count = table[i].count + delta
            if count < 0:
                return OUT_OF_STEP
            if count > 0:
                into[out] = table[i]
                into[out].count = count
                out += 1
            i += 1
        else:  # new: its ranks in the reference
            if delta < 0:
                return OUT_OF_STEP
            # bounds from the table's neighbours: reference values <= the entry before, < the entry after
            low = max(searched, int(table[i - 1].at_or_below) if i > 0 else 0)
            high = int(table[i].below) if i < width else reference.size
            below = _rank_left(reference, value, low, high)
            searched = below
            at_or_below = below
            if below < high and reference[below] == value:
                at_or_below = _rank_right(reference, value, below, high)
            entry = into[out]
            entry.distinct = value
            entry.integral = below * value - _prefix_at(reference, blocks, block, below)
            entry.count = delta
            entry.below = below
            entry.at_or_below = at_or_below
            entry.unused = 0
            out += 1
