#!/usr/bin/env python3
"""Power and false-alarm benchmark of the drift tests: what a user gets from the flag, measured by simulation.

Sections (all seeded; rates are shares of ``--trials`` simulated cycles):

* ``numeric``: detection rate of a mean shift (in reference SDs) of one numeric
  feature among 20 with Bonferroni (flag when p ≤ 0.05/20), reference 100,000
  rows, windows of 1,000 and 10,000 rows, and the shift detected 80% of the time
  (interpolated);
* ``categorical``: the chi-square's false-alarm rate on long-tail features
  (Zipf-like, hundreds to thousands of categories, reference a sample of them)
  and its power on drift scenarios, for three ways of treating the categories
  the reference sample lacks: ``before`` (one "unseen" column with reference
  count 0 — mlmon up to this change), ``good-turing`` (that column's reference
  count replaced by the Good–Turing estimate of the unseen mass, singletons),
  ``pooled`` (each unseen category its own column, rare columns merged by
  their totals only — what :mod:`exporter.statistics.categorical` does);
* ``min-effect``: what ``EXPORTER_DRIFT_MIN_EFFECT`` does to power on numeric
  shifts and to the no-drift false-alarm rate at large windows;
* ``missing``: the cost of the missing-rate p-value per feature and cycle
  (Fisher's exact test) against the normal approximation, in the same run;
* ``cost``: the time of one categorical test per cycle, by number of categories.

``--sections`` runs a subset; ``--trials`` trades precision for time (a rate
from 400 trials has a standard error of at most 2.5 points). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy import stats  # noqa: E402

from exporter.schema import FeatureSchema, FeatureSpec  # noqa: E402
from exporter.statistics import DriftConfig, FeatureColumns, ReferenceProfile  # noqa: E402
from exporter.statistics.categorical import chi2_test  # noqa: E402
from exporter.statistics.columns import encode_column  # noqa: E402
from exporter.statistics.drift import compute_drift  # noqa: E402
from exporter.statistics.reference import CategoricalReference  # noqa: E402

ALPHA, FEATURES = 0.05, 20
BONFERRONI = ALPHA / FEATURES
REFERENCE_ROWS = 100_000


# ---------------------------------------------------------------- numeric power


def numeric_columns(schema: FeatureSchema, values: np.ndarray) -> FeatureColumns:
    column, status = encode_column(schema["x"], values)
    return FeatureColumns(schema, values.size, {"x": column}, {"x": status}, {})


def numeric_power(trials: int, rng: np.random.Generator, min_effect: float = 0.0) -> dict:
    """Detection rate per (window, shift): p ≤ α/20 (and effect ≥ min_effect) for the shifted feature."""
    schema = FeatureSchema((FeatureSpec("x", "numeric"),))
    reference = ReferenceProfile.from_columns(
        numeric_columns(schema, rng.standard_normal(REFERENCE_ROWS))
    )
    config = DriftConfig(alpha=BONFERRONI, threads=1)
    rates: dict[tuple[int, float], float] = {}
    for window, shifts in (
        (1_000, (0.0, 0.10, 0.13, 0.16, 0.20)),
        (10_000, (0.0, 0.03, 0.04, 0.05, 0.06)),
    ):
        for shift in shifts:
            flagged = 0
            for _ in range(trials):
                current = numeric_columns(schema, rng.standard_normal(window) + shift)
                result = compute_drift(reference, current, config).features["x"]
                flagged += result.pvalue <= BONFERRONI and (
                    min_effect <= 0 or result.effect_size >= min_effect
                )
            rates[(window, shift)] = flagged / trials
    return rates


def shift_at_80(rates: Mapping[tuple[int, float], float], window: int) -> float:
    """The shift detected 80% of the time, interpolated linearly between measured shifts."""
    points = sorted((shift, rate) for (w, shift), rate in rates.items() if w == window)
    for (s0, r0), (s1, r1) in zip(points, points[1:]):
        if r0 < 0.8 <= r1:
            return s0 + (0.8 - r0) * (s1 - s0) / (r1 - r0)
    return math.nan


def report_numeric(trials: int) -> None:
    print(
        f"\n## numeric: KS power, reference {REFERENCE_ROWS:,}, flag at p ≤ 0.05/20, {trials} trials"
    )
    rates = numeric_power(trials, np.random.default_rng(11))
    print("| window | shift (SD) | detected |\n|---:|---:|---:|")
    for (window, shift), rate in rates.items():
        print(f"| {window:,} | {shift:.2f} | {rate:.1%} |")
    for window in (1_000, 10_000):
        print(f"80% detection, window {window:,}: {shift_at_80(rates, window):.3f} SD")


# ---------------------------------------------------------------- categorical methods


def zipf_shares(categories: int, exponent: float) -> np.ndarray:
    weights = np.arange(1, categories + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


def reference_of(counts: np.ndarray) -> CategoricalReference:
    """A reference profile from per-category counts (category i is key ``c{i}``), most frequent first."""
    seen = np.flatnonzero(counts)
    order = seen[np.argsort(-counts[seen], kind="stable")]
    return CategoricalReference(
        "c", tuple(f"c{i}" for i in order), counts[order].astype(np.int64), int(counts.sum()), 0
    )


def counted_of(counts: np.ndarray) -> dict[str, int]:
    return {f"c{i}": int(counts[i]) for i in np.flatnonzero(counts)}


def _old_merge(table: np.ndarray, min_expected: float = 5.0) -> np.ndarray:
    """mlmon's merge before this change: all rare columns into one "other" (it joins the smallest column
    when still rare)."""
    table = table[:, table.sum(axis=0) > 0]
    total = table.sum()
    if total == 0 or table.shape[1] < 2:
        return table
    rare = table.sum(axis=0) * table.sum(axis=1).min() / total < min_expected
    if not rare.any():
        return table
    kept, other = table[:, ~rare], table[:, rare].sum(axis=1, keepdims=True)
    if other.sum() * table.sum(axis=1).min() / total < min_expected and kept.shape[1] > 0:
        kept = kept.copy()
        kept[:, int(np.argmin(kept.sum(axis=0))) : int(np.argmin(kept.sum(axis=0))) + 1] += other
        return kept
    return np.hstack((kept, other))


def _unseen_column_pvalue(
    reference: np.ndarray, current: np.ndarray, unseen_reference: float
) -> float:
    seen = reference > 0
    table = np.array(
        [
            np.append(reference[seen], unseen_reference),
            np.append(current[seen], current[~seen].sum()),
        ]
    )
    merged = _old_merge(table)
    if merged.shape[1] < 2:
        return math.nan
    return float(stats.chi2_contingency(merged).pvalue)


def pvalue_before(reference: np.ndarray, current: np.ndarray) -> float:
    return _unseen_column_pvalue(reference, current, 0.0)


def pvalue_good_turing(reference: np.ndarray, current: np.ndarray) -> float:
    # Good–Turing: the reference's unseen mass ≈ singletons / n, i.e. a pseudo-count of "singletons" rows.
    return _unseen_column_pvalue(reference, current, float(np.count_nonzero(reference == 1)))


def pvalue_pooled(reference: np.ndarray, current: np.ndarray) -> float:
    return chi2_test(reference_of(reference), counted_of(current), 5.0, 1e-4).pvalue


METHODS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "before": pvalue_before,
    "good-turing": pvalue_good_turing,
    "pooled": pvalue_pooled,
}

# (name, categories, zipf exponent, reference rows, window rows)
LONG_TAIL = (
    ("Zipf s=2, 200 cat.", 200, 2.0, 10_000, 5_000),
    ("Zipf s=1.1, 1,000 cat.", 1_000, 1.1, 50_000, 1_000),
    ("Zipf s=1.1, 1,000 cat.", 1_000, 1.1, 10_000, 10_000),
    ("uniform 5,000 cat.", 5_000, 0.0, 20_000, 10_000),
    ("ordinary 5 cat.", 5, 1.0, 100_000, 1_000),
)


def drifted(shares: np.ndarray, scenario: str) -> np.ndarray:
    """The window's shares under a drift scenario (one extra category at the end for a brand-new one)."""
    out = np.append(shares, 0.0)
    if scenario == "new category 2%":
        out *= 0.98
        out[-1] = 0.02
    elif scenario == "head -10%":  # the most frequent category loses 10% of its share to the others
        moved = out[0] * 0.10
        out[0] -= moved
        out[1:-1] += moved * out[1:-1] / out[1:-1].sum()
    elif scenario == "tail +30%":  # categories past the top 10 gain 30% of their share
        out[10:-1] *= 1.3
        out /= out.sum()
    return out


def report_categorical(trials: int) -> None:
    rng = np.random.default_rng(13)
    print(f"\n## categorical: false alarms without drift, {trials} trials per row")
    print(
        "| feature | reference | window | method | p ≤ 0.05 | p ≤ 0.05/20 |\n|---|---:|---:|---|---:|---:|"
    )
    for name, categories, exponent, n_ref, n_cur in LONG_TAIL:
        shares = zipf_shares(categories, exponent)
        pvalues: dict[str, list[float]] = {method: [] for method in METHODS}
        for _ in range(trials):
            reference = rng.multinomial(n_ref, shares)
            current = rng.multinomial(n_cur, shares)
            for method, test in METHODS.items():
                pvalues[method].append(test(reference, current))
        for method, values in pvalues.items():
            p = np.array(values)
            print(
                f"| {name} | {n_ref:,} | {n_cur:,} | {method} | {np.mean(p <= ALPHA):.1%} "
                f"| {np.mean(p <= BONFERRONI):.1%} |"
            )
    print(f"\n## categorical: power (flag at p ≤ 0.05/20), {trials} trials per row")
    print(
        "| feature | reference | window | drift | before | good-turing | pooled |\n|---|---:|---:|---|---:|---:|---:|"
    )
    for name, categories, exponent, n_ref, n_cur in LONG_TAIL:
        shares = zipf_shares(categories, exponent)
        for scenario in ("new category 2%", "head -10%", "tail +30%"):
            window_shares = drifted(shares, scenario)
            detected = dict.fromkeys(METHODS, 0)
            for _ in range(trials):
                reference = np.append(rng.multinomial(n_ref, shares), 0)
                current = rng.multinomial(n_cur, window_shares)
                for method, test in METHODS.items():
                    detected[method] += test(reference, current) <= BONFERRONI
            cells = " | ".join(f"{detected[m] / trials:.1%}" for m in METHODS)
            print(f"| {name} | {n_ref:,} | {n_cur:,} | {scenario} | {cells} |")


# ---------------------------------------------------------------- minimum effect


def report_min_effect(trials: int) -> None:
    print(
        f"\n## min-effect: detection rate (p ≤ 0.05/20 and Wasserstein/SD ≥ min effect), {trials} trials"
    )
    thresholds = (0.0, 0.05, 0.1, 0.2)
    results = {t: numeric_power(trials, np.random.default_rng(17), t) for t in thresholds}
    print("| window | shift (SD) | " + " | ".join(f"min {t:g}" for t in thresholds) + " |")
    print("|---:|---:|" + "---:|" * len(thresholds))
    for key in results[0.0]:
        print(
            f"| {key[0]:,} | {key[1]:.2f} | "
            + " | ".join(f"{results[t][key]:.1%}" for t in thresholds)
            + " |"
        )
    # At large n KS flags trivial, real shifts (here 0.02 SD: a 100k window against a 1M-row reference)
    rng = np.random.default_rng(19)
    schema = FeatureSchema((FeatureSpec("x", "numeric"),))
    reference = ReferenceProfile.from_columns(
        numeric_columns(schema, rng.standard_normal(1_000_000))
    )
    config = DriftConfig(alpha=BONFERRONI, threads=1)
    rows = []
    for shift in (0.0, 0.02):
        outcomes = []
        for _ in range(max(trials // 8, 25)):
            result = compute_drift(
                reference, numeric_columns(schema, rng.standard_normal(100_000) + shift), config
            ).features["x"]
            outcomes.append((result.pvalue, result.effect_size))
        rows.append((shift, outcomes))
    print("\nreference 1,000,000 rows, window 100,000 rows:")
    print("| shift (SD) | " + " | ".join(f"min {t:g}" for t in thresholds) + " |")
    print("|---:|" + "---:|" * len(thresholds))
    for shift, outcomes in rows:
        cells = [
            np.mean([p <= BONFERRONI and (t <= 0 or e >= t) for p, e in outcomes])
            for t in thresholds
        ]
        print(f"| {shift:.2f} | " + " | ".join(f"{c:.1%}" for c in cells) + " |")


# ---------------------------------------------------------------- missing-rate cost


def report_missing(_: int) -> None:
    from exporter.statistics import drift

    exact = getattr(drift, "fisher_exact_pvalue", None)
    cases = ((500, 100_000, 5, 1_000), (0, 100_000, 1, 1_000), (5_000, 100_000, 600, 10_000))
    print("\n## missing: cost of one missing-rate p-value (µs, cache cleared every call)")
    print(
        "| reference missing/rows | window missing/rows | z-test | Fisher (mlmon) | scipy fisher_exact |"
    )
    print("|---|---|---:|---:|---:|")
    for x1, n1, x2, n2 in cases:
        timings = []
        for function in (
            lambda: drift.two_proportion_pvalue(x1, n1, x2, n2),
            (lambda: (exact.cache_clear(), exact(x1, n1, x2, n2))) if exact else None,
            lambda: stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]),
        ):
            if function is None:
                timings.append(math.nan)
                continue
            start = time.perf_counter()
            for _ in range(200):
                function()
            timings.append((time.perf_counter() - start) / 200 * 1e6)
        print(
            f"| {x1:,}/{n1:,} | {x2:,}/{n2:,} | " + " | ".join(f"{t:.0f}" for t in timings) + " |"
        )


def report_cost(_: int) -> None:
    """Time of one categorical test (what a cycle spends per categorical feature), by number of categories."""
    rng = np.random.default_rng(29)
    print("\n## cost: one categorical drift test per cycle (ms, median of 30)")
    print("| feature | reference | window | chi2_test |\n|---|---:|---:|---:|")
    for name, categories, exponent, n_ref, n_cur in LONG_TAIL:
        shares = zipf_shares(categories, exponent)
        reference = reference_of(rng.multinomial(n_ref, shares))
        counted = counted_of(rng.multinomial(n_cur, shares))
        timings = []
        for _ in range(30):
            start = time.perf_counter()
            chi2_test(reference, counted, 5.0, 1e-4)
            timings.append(time.perf_counter() - start)
        print(f"| {name} | {n_ref:,} | {n_cur:,} | {np.median(timings) * 1e3:.2f} |")


SECTIONS = {
    "numeric": report_numeric,
    "categorical": report_categorical,
    "min-effect": report_min_effect,
    "missing": report_missing,
    "cost": report_cost,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--trials", type=int, default=400, help="simulated cycles per figure (default 400)"
    )
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=sorted(SECTIONS),
        default=list(SECTIONS),
        help="sections to run",
    )
    args = parser.parse_args(argv)
    for section in args.sections:
        start = time.perf_counter()
        SECTIONS[section](args.trials)
        print(f"({section}: {time.perf_counter() - start:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
