#!/usr/bin/env python3
"""Drift benchmark: the exporter's drift computation vs a naive scipy loop vs Evidently, on the same data.

One run generates a reference of 1,000,000 rows and a current window of
100,000 rows (20 numeric + 4 categorical features, 5 of them drifted, 0.5%
missing values in some) and times:

(a) mlmon: the reference preparation (once per reference: sorting, deciles,
    counts), the drift computation from scratch on the window, and the
    steady state the exporter runs: ``--new-rows`` rows enter and leave the
    window and the incremental drift report is updated;
(b) a naive loop: ``scipy.stats.ks_2samp(method="asymp")`` per numeric feature
    and ``chi2_contingency`` per categorical one, on the raw arrays;
(c) Evidently's ``DataDriftPreset``, when an interpreter with Evidently is found
    (``MLMON_BENCH_EVIDENTLY_PYTHON``, else ``.venv-bench/bin/python``), run in a
    subprocess on the same data; skipped with the reason otherwise.

Figures are printed as ratios against mlmon's per-cycle time; nothing is
asserted. ``--reference-rows``/``--current-rows`` shrink the data for a quick
run; ``--evidently-fraction`` runs Evidently on a stated share of the rows when
the full data is too slow or too large for it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy import stats  # noqa: E402

from exporter.schema import FeatureSchema, FeatureSpec  # noqa: E402
from exporter.statistics import DriftConfig, FeatureColumns, ReferenceProfile, compute_drift  # noqa: E402
from exporter.statistics.columns import MISSING, OK  # noqa: E402
from exporter.statistics.incremental import IncrementalDrift  # noqa: E402

N_NUMERIC = 20
CATEGORIES = {"cat_region": 5, "cat_type": 12, "cat_zip": 30, "cat_flag": 3}
DRIFTED = {
    "num_00": 0.05,
    "num_07": 0.1,
    "num_13": 0.02,
    "num_19": 0.2,
}  # mean shift in reference std units
DRIFTED_CATEGORY = "cat_type"
MISSING_SHARE = 0.005


def generate(n_rows: int, rng: np.random.Generator, current: bool) -> dict[str, np.ndarray]:
    """Numeric features of several shapes, categorical ones with skewed shares; drift only when ``current``."""
    data: dict[str, np.ndarray] = {}
    for i in range(N_NUMERIC):
        name = f"num_{i:02d}"
        shape = i % 4
        if shape == 0:
            values = rng.normal(size=n_rows)
        elif shape == 1:
            values = rng.lognormal(0.0, 0.7, size=n_rows)
        elif shape == 2:
            values = rng.uniform(0, 100, size=n_rows)
        else:
            values = rng.integers(1900, 2025, size=n_rows).astype(np.float64)  # many ties
        if current and name in DRIFTED:
            values = values + DRIFTED[name] * values.std()
        if i % 5 == 1:
            values[rng.uniform(size=n_rows) < MISSING_SHARE] = np.nan
        data[name] = values
    for name, k in CATEGORIES.items():
        shares = 1.0 / np.arange(1, k + 1)
        if current and name == DRIFTED_CATEGORY:
            shares = shares[::-1]
        codes = rng.choice(k, p=shares / shares.sum(), size=n_rows)
        data[name] = codes
    return data


def category_names(name: str) -> np.ndarray:
    return np.array([f"{name}_{j}" for j in range(CATEGORIES[name])], dtype=object)


def to_columns(schema: FeatureSchema, data: dict[str, np.ndarray]) -> FeatureColumns:
    """FeatureColumns straight from arrays (parsing JSON rows is the runtime's work, not measured here)."""
    n_rows = len(next(iter(data.values())))
    values, status = {}, {}
    for spec in schema:
        raw = data[spec.name]
        if spec.kind == "numeric":
            values[spec.name] = raw
            status[spec.name] = np.where(np.isfinite(raw), OK, MISSING).astype(np.int8)
        else:
            values[spec.name] = category_names(spec.name)[raw]
            status[spec.name] = np.zeros(n_rows, dtype=np.int8)
    return FeatureColumns(schema, n_rows, values, status, {})


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median and best wall time of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def steady_state(
    profile: ReferenceProfile,
    schema: FeatureSchema,
    rng: np.random.Generator,
    window: FeatureColumns,
    new_rows: int,
    repeat: int,
) -> tuple[float, float, tuple]:
    """Per-cycle time of the incremental drift (what the exporter runs): ``new_rows`` rows enter the window and
    as many leave, then the report; and the last report next to a from-scratch one on the same rows."""
    drift = IncrementalDrift(profile)
    drift.add(window)
    drift.report()
    held = window
    times = []
    for _ in range(repeat):
        entering = to_columns(schema, generate(new_rows, rng, current=True))
        leaving = held.slice(0, new_rows)
        start = time.perf_counter()
        drift.remove(leaving)
        drift.add(entering)
        report = drift.report()
        times.append(time.perf_counter() - start)
        held = FeatureColumns.concat([held.slice(new_rows), entering])
    return statistics.median(times), min(times), (report, compute_drift(profile, held))


def naive_loop(
    reference: dict[str, np.ndarray], current: dict[str, np.ndarray]
) -> dict[str, float]:
    """What one would write without a prepared reference: scipy on the raw arrays, feature by feature."""
    pvalues = {}
    for name in reference:
        ref, cur = reference[name], current[name]
        if name.startswith("num_"):
            ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
            pvalues[name] = stats.ks_2samp(ref, cur, method="asymp").pvalue
        else:
            k = CATEGORIES[name]
            table = np.array([np.bincount(ref, minlength=k), np.bincount(cur, minlength=k)])
            pvalues[name] = stats.chi2_contingency(table[:, table.sum(axis=0) > 0]).pvalue
    return pvalues


EVIDENTLY_CHILD = r"""
import json, sys, time
import numpy as np, pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

path, fraction = sys.argv[1], float(sys.argv[2])
arrays = np.load(path, allow_pickle=False)
names = json.loads(str(arrays["__names__"]))
frames = {}
for part in ("reference", "current"):
    columns = {}
    for name in names["numeric"]:
        columns[name] = arrays[f"{part}/{name}"]
    for name, k in names["categorical"].items():
        labels = np.array([f"{name}_{j}" for j in range(k)], dtype=object)
        columns[name] = labels[arrays[f"{part}/{name}"]]
    frame = pd.DataFrame(columns)
    frames[part] = frame.iloc[: int(len(frame) * fraction)]
definition = DataDefinition(numerical_columns=names["numeric"], categorical_columns=list(names["categorical"]))
start = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(frames["current"], data_definition=definition),
                                           Dataset.from_pandas(frames["reference"], data_definition=definition))
seconds = time.perf_counter() - start
count = next(m["value"]["count"] for m in snapshot.dict()["metrics"] if "DriftedColumnsCount" in m["metric_name"])
print(json.dumps({"seconds": seconds, "rows": [len(frames["reference"]), len(frames["current"])],
                  "drifted": count}))
"""


def evidently_python() -> tuple[str | None, str]:
    configured = os.environ.get("MLMON_BENCH_EVIDENTLY_PYTHON")
    if configured:
        return configured, "MLMON_BENCH_EVIDENTLY_PYTHON"
    local = ROOT / ".venv-bench" / "bin" / "python"
    if local.exists():
        return str(local), ".venv-bench"
    return None, (
        "no interpreter with Evidently: set MLMON_BENCH_EVIDENTLY_PYTHON or create .venv-bench "
        "(python3 -m venv .venv-bench && .venv-bench/bin/pip install evidently 'pandas<3')"
    )


def run_evidently(
    python: str, reference: dict, current: dict, fraction: float, timeout: float
) -> dict | str:
    with tempfile.TemporaryDirectory(prefix="mlmon-bench-") as tmp:
        path = Path(tmp) / "data.npz"
        names = {
            "numeric": [n for n in reference if n.startswith("num_")],
            "categorical": CATEGORIES,
        }
        arrays = {f"reference/{k}": v for k, v in reference.items()}
        arrays.update({f"current/{k}": v for k, v in current.items()})
        np.savez(path, __names__=np.array(json.dumps(names)), **arrays)
        try:
            done = subprocess.run(
                [python, "-c", EVIDENTLY_CHILD, str(path), str(fraction)],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return f"timed out after {timeout:.0f}s (try --evidently-fraction 0.1)"
        except OSError as exc:
            return f"could not start {python}: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"failed with exit {done.returncode}: {last}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--current-rows", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of the per-cycle computation (median reported)"
    )
    parser.add_argument(
        "--new-rows",
        type=int,
        default=1_000,
        help="rows entering (and leaving) the window per steady-state cycle",
    )
    parser.add_argument(
        "--evidently-fraction",
        type=float,
        default=1.0,
        help="share of the rows Evidently runs on (its time is reported as measured)",
    )
    parser.add_argument("--evidently-timeout", type=float, default=1800.0)
    parser.add_argument("--no-evidently", action="store_true")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(2026)
    print(
        f"data: reference {args.reference_rows:,} rows × current {args.current_rows:,} rows, "
        f"{N_NUMERIC} numeric + {len(CATEGORIES)} categorical features "
        f"({len(DRIFTED) + 1} drifted)",
        flush=True,
    )
    reference = generate(args.reference_rows, rng, current=False)
    current = generate(args.current_rows, rng, current=True)
    schema = FeatureSchema(
        tuple(FeatureSpec(n, "numeric") for n in reference if n.startswith("num_"))
        + tuple(FeatureSpec(n, "categorical") for n in CATEGORIES)
    )
    reference_columns = to_columns(schema, reference)
    current_columns = to_columns(schema, current)

    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (figures scale with other load)"
    )
    prepare_s, _, profile = timed(
        lambda: ReferenceProfile.from_columns(reference_columns), repeat=1
    )
    compute_drift(profile, current_columns)  # warm-up (imports, caches)
    cycle_s, best_s, report = timed(
        lambda: compute_drift(profile, current_columns, DriftConfig()), repeat=args.repeat
    )
    print(f"(a) mlmon   reference preparation (once)     {prepare_s:8.3f} s")
    print(
        f"(a) mlmon   drift per cycle (median of {args.repeat})     {cycle_s:8.3f} s   "
        f"(best {best_s:.3f} s; target ≤ 0.5 s)"
    )
    print(
        f"            drifted after Bonferroni: {', '.join(report.drifted) or 'none'}", flush=True
    )

    steady_s, best_steady_s, steady_report = steady_state(
        profile, schema, rng, current_columns, args.new_rows, args.repeat
    )
    worst_steady = max(
        abs(steady_report[0].features[n].pvalue - steady_report[1].features[n].pvalue)
        for n in steady_report[1].features
    )
    print(
        f"(a) mlmon   steady state: {args.new_rows:,} rows in and out (median of {args.repeat})  "
        f"{steady_s * 1000:8.1f} ms   (best {best_steady_s * 1000:.1f} ms; "
        f"{cycle_s / steady_s:.0f}× faster than from scratch; max |Δp| vs from scratch = {worst_steady:.1e})",
        flush=True,
    )

    naive_s, _, naive_p = timed(lambda: naive_loop(reference, current), repeat=1)
    worst = max(abs(report.features[name].pvalue - p) for name, p in naive_p.items())
    print(
        f"(b) naive   scipy ks_2samp/chi2_contingency loop {naive_s:8.3f} s   "
        f"{naive_s / cycle_s:6.1f}× mlmon's cycle; max |Δp| = {worst:.1e}",
        flush=True,
    )

    python, source = (None, "--no-evidently given") if args.no_evidently else evidently_python()
    if python is None:
        print(f"(c) Evidently skipped: {source}")
        return 0
    print(
        f"(c) Evidently DataDriftPreset via {source} ({python}) on {args.evidently_fraction:.0%} of the rows ...",
        flush=True,
    )
    outcome = run_evidently(
        python, reference, current, args.evidently_fraction, args.evidently_timeout
    )
    if isinstance(outcome, str):
        print(f"(c) Evidently skipped: {outcome}")
        return 0
    ref_rows, cur_rows = outcome["rows"]
    print(
        f"(c) Evidently DataDriftPreset                 {outcome['seconds']:8.3f} s   "
        f"{outcome['seconds'] / cycle_s:6.1f}× mlmon's cycle "
        f"(on {ref_rows:,} × {cur_rows:,} rows; {int(outcome['drifted'])} columns drifted by its default tests)"
    )
    if args.evidently_fraction < 1.0:
        print(
            "    Evidently ran on a subset: its time on the full data is at least this (its tests scale ~linearly)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
