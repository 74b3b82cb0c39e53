"""Two-sample statistics of a numeric feature against its sorted reference.

Everything here takes the reference's finite values sorted once and the
current window's finite values sorted. KS and PSI cost O(m log n) for a window
of m values against n reference values, or O(m) when the window's ranks are
kept between cycles (:mod:`exporter.statistics.ranked`); the Wasserstein
distance reads the reference's block prefix sums (:mod:`exporter.statistics.prefix`).

* KS statistic D: between consecutive distinct current values the current
  ECDF is constant, so the supremum of |F_ref - F_cur| is reached just before
  a current value (reference ECDF evaluated with ``side="left"``) or at it
  (``side="right"``). The result is the same floating-point number as
  ``scipy.stats.ks_2samp``; the p-value is Smirnov's asymptotic distribution,
  as in ``ks_2samp(method="asymp")``: ``kstwo.sf(D, round(n·m/(n+m)))``.
* Wasserstein-1 distance: ∫|F_ref - F_cur| dx, integrated exactly interval by
  interval between current values, using the reference's prefix sums.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from exporter.statistics import kernels
from exporter.statistics.prefix import BLOCK, PrefixSums
from exporter.statistics.psi import population_stability_index

NOTHING = np.empty(0)  # no PSI edges, no values entering or leaving


@dataclass(frozen=True)
class SampleStatistics:
    """What one pass over a :class:`SortedSample` gives (see :func:`ks_statistic`, :func:`wasserstein`)."""

    m: int  # window values measured
    ks: float  # D = sup |F_ref - F_cur|
    wasserstein: float  # W1 = ∫ |F_ref - F_cur| dx
    psi_counts: np.ndarray  # window values per PSI bin (-inf, e0], (e0, e1], ..., (e_last, inf)


class SortedSample:
    """The current window's finite values of one feature as sorted distinct values with counts, each with
    its ranks in the sorted reference (the input of KS, Wasserstein and PSI).

    ``table``: one :data:`~exporter.statistics.kernels.ENTRY` record per
    distinct value, sorted, every count > 0. Its fields, as arrays:
    ``distinct[j]``; ``counts[j]`` copies in the window; ``ref_below[j]``
    reference values < it and ``ref_at_or_below[j]`` <= it (``int32``; the
    KS statistic is computed in exact ``int64`` integers scaled by n·m); and
    ``integral_below[j]`` = Σ over the reference values r < it of (it - r),
    that is n·∫ F_ref up to it (it depends on the value alone, so the ranked
    window computes it once, when the value enters). :meth:`search` builds a
    sample from scratch; the ranked window keeps one between cycles
    (:mod:`exporter.statistics.ranked`), and hands over the statistics it
    measured while merging (``measured``: for the edges its reference bins
    PSI with).
    """

    def __init__(
        self,
        reference: np.ndarray,
        prefix: PrefixSums,
        table: np.ndarray,
        m: int,
        measured: tuple[np.ndarray, SampleStatistics] | None = None,
    ):
        self.reference = reference
        self.prefix = prefix
        self.n = int(reference.size)
        self.m = m
        self.table = table
        self._measured = measured

    @property
    def distinct(self) -> np.ndarray:
        return self.table["distinct"]

    @property
    def integral_below(self) -> np.ndarray:
        return self.table["integral"]

    @property
    def counts(self) -> np.ndarray:
        return self.table["count"]

    @property
    def ref_below(self) -> np.ndarray:
        return self.table["below"]

    @property
    def ref_at_or_below(self) -> np.ndarray:
        return self.table["at_or_below"]

    def statistics(self, psi_edges: np.ndarray = NOTHING) -> SampleStatistics:
        """KS, Wasserstein and the window's counts in the PSI bins over ``psi_edges``, in one compiled pass
        (:func:`exporter.statistics.kernels.merge_and_measure` with nothing to merge), unless measured already."""
        if self._measured is not None and self._measured[0] is psi_edges:
            return self._measured[1]
        return measure(self.reference, self.prefix, self.table, self.table.size, self.m, psi_edges)[
            1
        ]

    @classmethod
    def search(
        cls, reference: np.ndarray, current_sorted: np.ndarray, prefix: PrefixSums | None = None
    ) -> SortedSample:
        """The sample of sorted finite ``current_sorted`` against sorted ``reference``, ranks searched here."""
        if reference.size > np.iinfo(np.int32).max:
            raise ValueError(
                f"a reference of {reference.size:,} values: at most 2**31 - 1 per feature"
            )
        prefix = prefix if prefix is not None else PrefixSums(reference)
        starts = np.flatnonzero(np.concatenate(([True], current_sorted[1:] != current_sorted[:-1])))
        table = np.zeros(starts.size, dtype=kernels.ENTRY)
        table["distinct"] = distinct = current_sorted[starts]
        table["count"] = np.diff(np.append(starts, current_sorted.size))
        table["below"] = below = np.searchsorted(reference, distinct, side="left")
        table["at_or_below"] = at_or_above_ranks(reference, distinct, below)
        table["integral"] = integral_below(prefix, distinct, below)
        return cls(reference, prefix, table, int(current_sorted.size))

    def expanded(self) -> np.ndarray:
        """The window's finite values, sorted, one entry per value."""
        return np.repeat(self.distinct, self.counts)


_NO_TABLE = np.empty(0, dtype=kernels.ENTRY)


def measure(
    reference: np.ndarray,
    prefix: PrefixSums,
    table: np.ndarray,
    width: int,
    m: int,
    psi_edges: np.ndarray,
    *,
    entering: np.ndarray = NOTHING,
    leaving: np.ndarray = NOTHING,
    into: np.ndarray = _NO_TABLE,
) -> tuple[int, SampleStatistics]:
    """:func:`exporter.statistics.kernels.merge_and_measure` of ``table`` (``width`` entries in use, ``m``
    values) with the values ``entering`` and ``leaving`` (sorted) merged into ``into``: the merged width
    (or ``kernels.OUT_OF_STEP``) and its statistics. With nothing entering or leaving, ``table`` is
    measured as it is."""
    if (entering.size or leaving.size) and into.size < width + entering.size:
        raise ValueError(
            f"room for {into.size} entries, the merge may need {width + entering.size}"
        )
    psi_counts = np.empty(psi_edges.size + 1, dtype=np.int64)
    width, merged_m, ks_scaled, wasserstein_scaled = kernels.merge_and_measure(
        table,
        width,
        m,
        entering,
        leaving,
        reference,
        prefix.blocks,
        BLOCK,
        prefix.total,
        psi_edges,
        psi_counts,
        into,
    )
    n = int(reference.size)
    scale = n * merged_m
    return width, SampleStatistics(
        merged_m,
        ks_scaled / scale if scale else math.nan,
        wasserstein_scaled / n if n and merged_m else math.nan,
        psi_counts,
    )


def integral_below(prefix: PrefixSums, values: np.ndarray, below: np.ndarray) -> np.ndarray:
    """Σ (value - r) over the reference values r < each of ``values`` (``below`` of them): n·∫ F_ref up to it."""
    integral = np.multiply(below, values)
    integral -= prefix.at(below)
    return integral


def at_or_above_ranks(reference: np.ndarray, values: np.ndarray, below: np.ndarray) -> np.ndarray:
    """Reference values <= each of ``values``, given the count strictly below (``searchsorted`` side left).

    Only values that also occur in the reference need a second search (continuous data: almost none).
    """
    ranks = below.copy()
    if reference.size:
        tied = reference[np.minimum(below, reference.size - 1)] == values
        if tied.any():
            ranks[tied] = np.searchsorted(reference, values[tied], side="right")
    return ranks


def ks_statistic(sample: SortedSample) -> float:
    """Two-sided KS statistic D (sup |F_ref - F_cur|), equal to ``ks_2samp(ref, cur).statistic``.

    The supremum is reached just before a current value or at it; the ECDF
    gaps there are computed as exact integers (scaled by n·m) and divided once.
    """
    return sample.statistics().ks


def ks_pvalues(statistics: np.ndarray, n: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Asymptotic two-sided p-values for many features at once, as ``ks_2samp(method="asymp")``.

    That is ``scipy.stats.kstwo.sf(D, round(n·m/(n+m)))``. Where scipy evaluates
    it as ``2·smirnov(N, D)`` (drift: N·D² ≥ 2.2), its exact O(N) series costs
    ~0.2 s at N ≈ 10⁵; :func:`smirnov_sf` sums the same series vectorised
    (agreeing to ~1e-10 relative). Every other case is passed to scipy.
    """
    statistics = np.asarray(statistics, dtype=np.float64)
    effective = np.round(
        np.asarray(n, dtype=np.float64) * m / (np.asarray(n, dtype=np.float64) + m)
    )
    pvalues = np.full(statistics.shape, np.nan)
    by_scipy = []
    by_size: dict[int, list[int]] = {}  # the features of one effective size share one pass
    for i, (d, size) in enumerate(zip(statistics.tolist(), effective.tolist())):
        branch = _smirnov_branch(d, size)
        if branch == "zero":
            pvalues[i] = 0.0
        elif branch == "smirnov":
            by_size.setdefault(int(size), []).append(i)
        else:
            by_scipy.append(i)
    for size, at in by_size.items():
        tails = smirnov_sf_many(size, statistics[at])
        pvalues[at] = np.clip(2.0 * tails, 0.0, 1.0)
    if by_scipy:
        pvalues[by_scipy] = np.clip(
            stats.kstwo.sf(statistics[by_scipy], effective[by_scipy]), 0.0, 1.0
        )
    return pvalues


def _smirnov_branch(d: float, n: float) -> str | None:
    """Which branch scipy's ``_kolmogn(n, d, cdf=False)`` takes, when it is one we compute here."""
    if not (n > 140 and 0.0 < d < 1.0):
        return None
    t = n * d
    if t <= 1.0 or t >= n - 1:
        return None
    if d >= 0.5:
        return "smirnov"
    nxsquared = t * d
    if nxsquared >= 370.0:
        return "zero"
    return "smirnov" if nxsquared >= 2.2 else None


def smirnov_sf(n: int, d: float) -> float:
    """P(D⁺_n ≥ d), the exact one-sided Smirnov tail (``scipy.special.smirnov``), summed in log space:
    d · Σ_{j=0}^{⌊n(1-d)⌋} C(n, j) (d + j/n)^(j-1) (1 - d - j/n)^(n-j).

    A first pass over a grid of terms (:data:`_COARSE_STEP`) finds where the terms are within e^-50 of
    their peak (the rest add < 1e-16 relative). That stretch is wide at large n (~35,000 of 49,000
    terms at n = 50,000, D = 0.02) and the terms are a smooth, analytic function of j that is
    negligible at both of its ends, so the sum over every term equals ``step`` times the sum over
    every ``step``-th term (the trapezoid rule, whose error falls like exp(-2π²(width/step)²)):
    with at least :data:`_FINE_TERMS` terms across the stretch the two agree to ~1e-11 relative
    (~1e-10 at n = 10⁶), the rounding of the log terms themselves (tests/statistics/test_ks.py).
    Where the stretch reaches j = 0 or the last term, every term is summed.
    """
    terms = smirnov_terms(n)
    count = math.floor(n * (1.0 - d)) + 1
    first, stop, step = 0, count, 1
    if count > 16 * _COARSE_STEP:
        coarse_step = max(_COARSE_STEP, count // _COARSE_TERMS)
        coarse = _smirnov_log_terms(terms, d, slice(0, count, coarse_step))
        near = np.flatnonzero(coarse > coarse.max() - _NEGLIGIBLE_LOG)
        if near.size:
            first = max(int(near[0]) - 1, 0) * coarse_step
            stop = min((int(near[-1]) + 2) * coarse_step, count)
            if int(near[0]) > 0 and int(near[-1]) < coarse.size - 1:  # negligible at both ends
                step = max((stop - first) // _FINE_TERMS, 1)
    log_terms = _smirnov_log_terms(terms, d, slice(first, stop, step))
    peak = log_terms.max()
    if not np.isfinite(peak):
        return 0.0
    log_terms -= peak
    return d * math.exp(peak) * float(np.exp(log_terms, out=log_terms).sum()) * step


def smirnov_sf_many(n: int, ds: np.ndarray) -> np.ndarray:
    """:func:`smirnov_sf` of each of ``ds`` at one n, the same terms for all of them in one pass (a row
    each, padded with zero terms): the features of a full window share their n, and one 2-D pass costs
    far less than one pass per feature."""
    ds = np.asarray(ds, dtype=np.float64)
    counts = np.floor(n * (1.0 - ds)).astype(np.int64) + 1
    result = np.zeros(ds.size)
    wide = np.flatnonzero(counts > 16 * _COARSE_STEP)
    if wide.size < 2:  # nothing to share
        return np.array([smirnov_sf(n, d) for d in ds.tolist()])
    terms = smirnov_terms(n)
    d, count = ds[wide][:, None], counts[wide]
    coarse_step = np.maximum(_COARSE_STEP, count // _COARSE_TERMS)
    samples = (count + coarse_step - 1) // coarse_step  # coarse terms of each row
    grid = np.arange(int(samples.max())) * coarse_step[:, None]
    coarse = _smirnov_log_terms(terms, d, np.minimum(grid, (count - 1)[:, None]))
    coarse[grid >= count[:, None]] = -np.inf
    peak = coarse.max(axis=1)
    near = coarse > (peak - _NEGLIGIBLE_LOG)[:, None]
    first_near = near.argmax(axis=1)
    last_near = near.shape[1] - 1 - near[:, ::-1].argmax(axis=1)
    first = np.maximum(first_near - 1, 0) * coarse_step
    stop = np.minimum((last_near + 2) * coarse_step, count)
    inside = (first_near > 0) & (last_near < samples - 1)  # negligible at both ends: sampled
    step = np.where(inside, np.maximum((stop - first) // _FINE_TERMS, 1), 1)
    width = int(((stop - first + step - 1) // step).max())
    at = first[:, None] + step[:, None] * np.arange(width)
    log_terms = _smirnov_log_terms(terms, d, np.minimum(at, (stop - 1)[:, None]))
    log_terms[at >= stop[:, None]] = -np.inf
    top = log_terms.max(axis=1)
    finite = np.isfinite(top) & np.isfinite(peak)
    log_terms[finite] -= top[finite][:, None]
    sums = np.exp(log_terms[finite]).sum(axis=1)
    result[wide[finite]] = d[finite, 0] * np.exp(top[finite]) * sums * step[finite]
    for i in np.concatenate((np.flatnonzero(counts <= 16 * _COARSE_STEP), wide[~finite])).tolist():
        result[i] = smirnov_sf(n, float(ds[i]))  # narrow series, or no term above 0 on the grid
    return result


# The first pass reads every _COARSE_STEP-th term, or _COARSE_TERMS terms in all when there are more: the
# stretch that matters is never narrower than a quarter of the terms there.
_COARSE_STEP = 64
_COARSE_TERMS = 512
_NEGLIGIBLE_LOG = 50.0
# Terms summed across the stretch that matters when it is wide (see smirnov_sf).
_FINE_TERMS = 1024


def _smirnov_log_terms(
    terms: SmirnovTerms, d: float | np.ndarray, j: slice | np.ndarray
) -> np.ndarray:
    """ln of the series' terms for the j in ``j`` (-inf where a term is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rising = np.log(terms.share[j] + d)
        rising *= terms.exponent_rising[j]
        falling = terms.rest[j] - d
        np.maximum(falling, 0.0, out=falling)
        zero = falling == 0.0
        np.log(falling, out=falling)
        falling *= terms.exponent_falling[j]
    log_terms = terms.log_binomials[j] + rising
    log_terms += falling
    log_terms[zero] = -np.inf  # 0^(n-j) with n - j > 0
    return log_terms


@dataclass(frozen=True)
class SmirnovTerms:
    """The parts of the Smirnov series that depend only on n (j = 0..n)."""

    log_binomials: np.ndarray  # ln C(n, j)
    share: np.ndarray  # j / n
    rest: np.ndarray  # (n - j) / n
    exponent_rising: np.ndarray  # j - 1
    exponent_falling: np.ndarray  # n - j


@functools.lru_cache(maxsize=8)
def smirnov_terms(n: int) -> SmirnovTerms:
    """A window at its capacity keeps the same effective n cycle after cycle, so the costly log-gamma
    terms are computed once per size (40 bytes per j)."""
    j = np.arange(n + 1, dtype=np.float64)
    return SmirnovTerms(
        special.gammaln(n + 1.0) - special.gammaln(j + 1.0) - special.gammaln(n - j + 1.0),
        j / n,
        (n - j) / n,
        j - 1.0,
        n - j,
    )


def wasserstein(sample: SortedSample) -> float:
    """Wasserstein-1 distance between the reference and the current sample (``scipy.stats.wasserstein_distance``).

    Between consecutive distinct current values ``u_j < u_{j+1}`` the current
    ECDF is a constant level; ∫|F_ref - level| over the interval is
    |level·length - ∫F_ref| unless F_ref crosses the level inside it, and
    ∫F_ref comes from the reference's prefix sums at the ranks the sample
    holds (``integral_below``). Only intervals with a crossing inside need one
    more prefix sum (:func:`exporter.statistics.kernels.merge_and_measure`).
    """
    return sample.statistics().wasserstein


def psi_of_counts(
    reference_proportions: np.ndarray, statistics: SampleStatistics, epsilon: float
) -> float:
    """PSI of the window's counts per bin (:attr:`SampleStatistics.psi_counts`) against the reference's shares."""
    return population_stability_index(
        reference_proportions, statistics.psi_counts / statistics.m, epsilon
    )
