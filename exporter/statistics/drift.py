"""Data drift of a model's current window against its prepared reference.

Per feature (rules in DESIGN.md "Statistics" and the README):

* numeric → two-sample KS (D and Smirnov's asymptotic p-value, equal to
  ``scipy.stats.ks_2samp(method="asymp")``), effect size = Wasserstein
  distance / reference standard deviation, PSI over the reference's deciles;
* categorical → chi-square on the 2×K contingency table (see
  :mod:`exporter.statistics.categorical`), effect size = Cramér's V with both
  samples weighted equally (``balanced_cramers_v``), PSI over categories;
* NaN/±inf and missing values are dropped before a test; the missing rate
  itself is compared with Fisher's exact test (``missing_rate_pvalue``,
  :func:`missing_rate_pvalue`);
* fewer than ``min_rows`` finite values in the window or the reference → the
  test is skipped: NaN plus a reason (:class:`SkipReason`), never a flag;
* ``drift_detected`` is decided after a multiple-testing correction across the
  features that were tested (Bonferroni by default, Benjamini–Hochberg with
  ``correction="bh"``); raw p-values are what is exported. With a minimum
  effect (``min_effect``, per feature in the schema) a feature is flagged only
  when its effect size also reaches it: practical, not only statistical,
  significance (off by default).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import special, stats

from exporter.statistics.categorical import chi2_test, count_categories
from exporter.statistics.columns import MISSING, FeatureColumns
from exporter.statistics.correction import CORRECTIONS, Correction, adjust_pvalues
from exporter.statistics.numeric import SortedSample, ks_pvalues, psi_of_counts
from exporter.statistics.psi import DEFAULT_EPSILON
from exporter.statistics.reference import CategoricalReference, NumericReference, ReferenceProfile
from exporter.statistics.skips import SkipReason

# Below this many window rows a feature takes well under a millisecond and threads cost more than they save.
PARALLEL_MIN_ROWS = 20_000

# ks_2samp(method="auto") computes exact p-values when both samples have at most this many values.
SCIPY_EXACT_KS_LIMIT = 10_000


@dataclass(frozen=True)
class DriftConfig:
    """How drift is decided.

    ``alpha``: family-wise (Bonferroni) or false-discovery (BH) level.
    ``min_rows``: fewest finite values, in the window and in the reference, to run a test.
    ``min_expected_count``: Cochran's rule for chi-square cells (rarer categories are merged).
    ``ks_method``: ``"asymp"`` (default, as ``ks_2samp(method="asymp")``) or ``"auto"``
    (exact p-value, by scipy, when both samples have ≤ 10,000 values).
    ``threads``: :func:`compute_drift` tests numeric features in this many threads (numpy's sort
    and search release the GIL, so two cores halve the time); 1 runs them in the caller's thread.
    :class:`~exporter.statistics.incremental.IncrementalDrift` always runs in one (measured faster).
    ``min_effect``: a feature is flagged only when its effect size (Wasserstein / reference SD,
    or Cramér's V) is at least this; 0 (default) flags on the p-value alone. A feature's
    ``min_effect`` in the schema (:class:`exporter.schema.FeatureSpec`) overrides it.
    """

    alpha: float = 0.05
    correction: Correction = "bonferroni"
    min_rows: int = 30
    min_expected_count: float = 5.0
    psi_epsilon: float = DEFAULT_EPSILON
    ks_method: Literal["asymp", "auto"] = "asymp"
    threads: int = 2
    min_effect: float = 0.0

    def __post_init__(self) -> None:
        if not self.min_effect >= 0:
            raise ValueError(f"min_effect must be 0 or more, not {self.min_effect}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, not {self.alpha}")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS}, not {self.correction!r}")
        if self.min_rows < 1:
            raise ValueError(f"min_rows must be at least 1, not {self.min_rows}")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, not {self.threads}")
        if self.ks_method not in ("asymp", "auto"):
            raise ValueError(f"ks_method must be 'asymp' or 'auto', not {self.ks_method!r}")


@dataclass
class FeatureDrift:
    """The drift result of one feature. Statistics are NaN when the test was skipped (``skip_reason``)."""

    feature: str
    test: Literal["ks", "chi2"]
    n_reference: int  # finite/present values used from the reference
    n_current: int  # finite/present values used from the window
    statistic: float = math.nan  # KS D or chi-square
    pvalue: float = math.nan  # raw, uncorrected
    effect_size: float = math.nan  # Wasserstein / reference std, or Cramér's V
    psi: float = math.nan
    missing_rate_pvalue: float = math.nan
    skip_reason: SkipReason | None = None
    adjusted_pvalue: float = math.nan  # after the correction; drift when ≤ alpha
    min_effect: float = 0.0  # the effect size drift_detected also needs (0: none)
    drift_detected: bool = False


@dataclass
class DriftReport:
    """Drift of every schema feature, in schema order, and the settings that decided it."""

    features: dict[str, FeatureDrift]
    alpha: float
    correction: str
    n_current_rows: int
    tested: int = field(init=False)

    def __post_init__(self) -> None:
        self.tested = sum(1 for f in self.features.values() if f.skip_reason is None)

    @property
    def drift_columns_count(self) -> int:
        return sum(1 for f in self.features.values() if f.drift_detected)

    @property
    def drifted(self) -> list[str]:
        return [name for name, f in self.features.items() if f.drift_detected]


def compute_drift(
    reference: ReferenceProfile, current: FeatureColumns, config: DriftConfig = DriftConfig()
) -> DriftReport:
    """Drift of each feature of ``current`` (parsed with ``reference.schema``) against ``reference``, from scratch.

    A window that slides from cycle to cycle gets the same report incrementally from
    :class:`exporter.statistics.incremental.IncrementalDrift`.
    """
    numeric = [
        (name, ref) for name, ref in reference.features.items() if isinstance(ref, NumericReference)
    ]

    def test_numeric(name: str, ref: NumericReference) -> FeatureDrift:
        finite = current.values[name][np.isfinite(current.values[name])]
        return numeric_drift(
            name,
            ref,
            int(finite.size),
            lambda: SortedSample.search(ref.sorted_values, np.sort(finite), ref.prefix),
            config,
        )

    if config.threads > 1 and len(numeric) > 1 and current.n_rows >= PARALLEL_MIN_ROWS:
        with ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="drift") as pool:
            tested = list(pool.map(lambda item: test_numeric(*item), numeric))
    else:
        tested = [test_numeric(name, ref) for name, ref in numeric]
    by_name = {result.feature: result for result in tested}
    results: dict[str, FeatureDrift] = {}
    for name, ref in reference.features.items():
        if isinstance(ref, NumericReference):
            result = by_name[name]
        else:
            result = categorical_drift(name, ref, count_categories(current.values[name]), config)
        missing = int(np.count_nonzero(current.status[name] == MISSING))
        result.missing_rate_pvalue = missing_rate_pvalue(
            ref, missing, current.n_rows, config.min_rows
        )
        results[name] = result
    return drift_report(results, config, current.n_rows, reference)


def drift_report(
    results: dict[str, FeatureDrift],
    config: DriftConfig,
    n_rows: int,
    reference: ReferenceProfile | None = None,
) -> DriftReport:
    """The report of per-feature results (KS p-values still NaN are computed here, all features at once),
    with ``drift_detected`` decided after the multiple-testing correction (and each feature's minimum
    effect: the schema's, from ``reference``, else ``config.min_effect``)."""
    pending_ks = [
        r
        for r in results.values()
        if r.test == "ks" and r.skip_reason is None and math.isnan(r.pvalue)
    ]
    if pending_ks:
        pvalues = ks_pvalues(
            np.array([r.statistic for r in pending_ks]),
            np.array([r.n_reference for r in pending_ks]),
            np.array([r.n_current for r in pending_ks]),
        )
        for result, pvalue in zip(pending_ks, pvalues):
            result.pvalue = float(pvalue)
    for name, result in results.items():
        spec = reference.schema.by_name.get(name) if reference is not None else None
        override = spec.min_effect if spec is not None else None
        result.min_effect = config.min_effect if override is None else override
    _decide(results, config)
    return DriftReport(results, config.alpha, config.correction, n_rows)


def numeric_drift(
    name: str,
    ref: NumericReference,
    n_current: int,
    sample: Callable[[], SortedSample],
    config: DriftConfig,
) -> FeatureDrift:
    """KS statistic, effect size and PSI of one numeric feature with ``n_current`` finite window values;
    ``sample`` gives them as a :class:`SortedSample` when the test runs. The p-value is left to
    :func:`drift_report` unless ``config.ks_method`` asks scipy for an exact one."""
    result = FeatureDrift(name, "ks", ref.n, n_current)
    reason = _size_skip_reason(ref.n, n_current, config.min_rows)
    if reason:
        result.skip_reason = reason
        return result
    current = sample()
    measured = current.statistics(ref.psi_edges)  # KS, Wasserstein and the PSI bins in one pass
    result.statistic = measured.ks
    if config.ks_method == "auto" and max(ref.n, n_current) <= SCIPY_EXACT_KS_LIMIT:
        result.pvalue = float(
            stats.ks_2samp(ref.sorted_values, current.expanded(), method="auto").pvalue
        )
    result.effect_size = measured.wasserstein / ref.std if ref.std > 0 else math.nan
    result.psi = psi_of_counts(ref.psi_proportions, measured, config.psi_epsilon)
    return result


def categorical_drift(
    name: str, ref: CategoricalReference, counted: Mapping[str, int], config: DriftConfig
) -> FeatureDrift:
    """Chi-square test, Cramér's V and PSI of one categorical feature from its window category counts."""
    result = FeatureDrift(name, "chi2", ref.n, sum(counted.values()))
    reason = _size_skip_reason(ref.n, result.n_current, config.min_rows)
    if reason:
        result.skip_reason = reason
        return result
    test = chi2_test(ref, counted, config.min_expected_count, config.psi_epsilon)
    result.psi = test.psi
    if test.skip_reason:
        result.skip_reason = test.skip_reason
        return result
    result.statistic, result.pvalue, result.effect_size = (
        test.statistic,
        test.pvalue,
        test.effect_size,
    )
    return result


def _size_skip_reason(n_reference: int, n_current: int, min_rows: int) -> SkipReason | None:
    if n_reference == 0:
        return SkipReason.NO_REFERENCE
    if n_current == 0:
        return SkipReason.NO_CURRENT_VALUES
    if n_reference < min_rows or n_current < min_rows:
        return SkipReason.TOO_FEW_ROWS
    return None


def missing_rate_pvalue(
    ref: NumericReference | CategoricalReference, n_missing: int, n_rows: int, min_rows: int
) -> float:
    """Two-sided test of the missing rate, window vs reference: :func:`fisher_exact_pvalue`."""
    if n_rows < min_rows or ref.n_rows < min_rows:
        return math.nan
    return fisher_exact_pvalue(ref.n_missing, ref.n_rows, n_missing, n_rows)


# Fisher's p-value sums the tables at most this much likelier than the observed one (R's fisher.test
# tolerance), so that tables of equal probability computed with rounding still count as equal.
FISHER_TIE_TOLERANCE = 1e-7
# Beyond this many tables to sum (only with thousands of missing values on both sides, where the normal
# approximation is accurate) the pooled z-test is used instead.
FISHER_MAX_TABLES = 20_000


@functools.lru_cache(maxsize=4096)
def fisher_exact_pvalue(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided Fisher's exact test of x1/n1 vs x2/n2: ``scipy.stats.fisher_exact`` on the 2×2 table.

    The normal approximation (two-proportion z-test) is far off when counts are sparse: 0 of 100,000
    reference rows missing and 1 of 1,000 window rows gives p = 1.5e-23 where the exact p is 0.0099.
    Given all missing values (``k``), the window's count is hypergeometric; the p-value sums the
    probabilities of the counts no likelier than the observed one, computed in one vectorised pass
    over the counts within 12 standard deviations of the mode or the observation (the rest add less
    than 1e-30 of the p-value), a few microseconds to ~0.1 ms; scipy's function takes ~1 ms.
    Results are cached: in the steady state the counts seldom change between cycles.
    """
    total, k = n1 + n2, x1 + x2
    if k == 0 or k == total:
        return 1.0
    lowest, highest = max(0, n2 - (total - k)), min(k, n2)
    mode = (n2 + 1) * (k + 1) // (total + 2)
    spread = math.sqrt(n2 * k / total * (1 - k / total) * (total - n2) / max(total - 1, 1))
    reach = abs(x2 - mode) + 12 * spread + 20
    first, last = max(lowest, math.floor(mode - reach)), min(highest, math.ceil(mode + reach))
    if last - first > FISHER_MAX_TABLES:
        return two_proportion_pvalue(x1, n1, x2, n2)
    counts = np.arange(first, last + 1, dtype=np.float64)
    # log P(window count = x) up to a constant: -ln(x! (k-x)! (n2-x)! (total-k-n2+x)!)
    log_weight = -(
        special.gammaln(counts + 1)
        + special.gammaln(k - counts + 1)
        + special.gammaln(n2 - counts + 1)
        + special.gammaln(total - k - n2 + counts + 1)
    )
    log_constant = (
        special.gammaln(k + 1)
        + special.gammaln(total - k + 1)
        + special.gammaln(n2 + 1)
        + special.gammaln(n1 + 1)
        - special.gammaln(total + 1)
    )
    relative = log_weight - log_weight[x2 - first]
    as_likely = relative <= math.log1p(FISHER_TIE_TOLERANCE)
    observed = math.exp(float(log_weight[x2 - first] + log_constant))
    return min(float(np.exp(relative[as_likely]).sum()) * observed, 1.0)


def two_proportion_pvalue(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided pooled z-test of x1/n1 vs x2/n2 (equals chi-square on the 2×2 table without continuity
    correction); accurate only when every cell expects many counts."""
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z)))


def _decide(results: Mapping[str, FeatureDrift], config: DriftConfig) -> None:
    ordered = list(results.values())
    adjusted = adjust_pvalues(np.array([r.pvalue for r in ordered]), config.correction)
    for result, value in zip(ordered, adjusted):
        result.adjusted_pvalue = float(value)
        # NaN effect sizes (a constant reference has no SD) never pass a minimum effect.
        large_enough = result.min_effect <= 0 or result.effect_size >= result.min_effect
        result.drift_detected = bool(value <= config.alpha) and large_enough
