#!/usr/bin/env python3
"""Prediction-log backends at scale: reference load time and write throughput, SQLite vs PostgreSQL.

1. Reference load: a 1,000,000-row x 24-feature reference (20 numeric, 4
   categorical), loaded the way the exporter loads it (``profiles.load_reference``:
   read, decode, profile). Baselines in the same run: the same reference stored
   as the older logs store it (still readable): schema 2, numbers as float64 in
   row order (the profile must sort them), and schema 1, JSON arrays (the
   "before" of issue 18). SQLite and, when PostgreSQL is installed, PostgreSQL.
2. Writes: rows/s one API process's writer achieves (batches of 128 predictions,
   as the API's batched writer commits them), SQLite vs PostgreSQL, then 4 writer
   processes at once on each.

PostgreSQL runs on this machine with the tests' throw-away settings (fsync off):
compare the backends' shapes, not production latencies.

Usage: python scripts/bench_scale.py [--reference-rows N] [--write-rows N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.profiles import load_reference  # noqa: E402
from exporter.store import open_store  # noqa: E402

MODEL = "bench_model"
NUMERIC = [f"num_{i:02d}" for i in range(20)]
CATEGORICAL = [f"cat_{i}" for i in range(4)]
CATEGORIES = np.array(["a", "b", "c", "d", "e", "f"])
BATCH = 128


def reference_columns(n: int) -> dict[str, list]:
    rng = np.random.default_rng(0)
    columns: dict[str, list] = {
        name: np.round(rng.normal(0.0, 1.0, n), 4).tolist() for name in NUMERIC
    }
    for name in CATEGORICAL:
        columns[name] = CATEGORIES[rng.integers(0, len(CATEGORIES), n)].tolist()
    return columns


def store_as_older_schema(target: str, schema: int) -> None:
    """Rewrite the stored reference columns as a log of ``schema`` 1 (JSON) or 2 (float64 in row order)
    stores them; the benchmark then opens the log read-only, as the exporter does, so nothing migrates it."""
    store = open_store(target, create=False)
    reference = store.read_reference(MODEL)
    store.close()
    assert reference is not None
    rows = []
    for name, values in reference.features.items():
        if schema == 2 and name in NUMERIC:
            data = np.array([np.nan if v is None else v for v in values], dtype="<f8").tobytes()
            rows.append(("", "f64", data, name))
        elif schema == 1:
            rows.append((json.dumps(values), None, None, name))
    update = 'UPDATE reference_columns SET "values" = {0}, encoding = {0}, data = {0}, row_order = NULL WHERE column_name = {0}'
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target) as conn:
            for row in rows:
                conn.execute(update.format("%s"), row)
        return
    conn = sqlite3.connect(target)
    with conn:
        conn.executemany(update.format("?"), rows)
    conn.close()


def time_load(target: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        store = open_store(target, create=False)
        started = time.perf_counter()
        reference = load_reference(store, MODEL)
        best = min(best, time.perf_counter() - started)
        store.close()
        assert reference is not None and len(reference.schema) == 24
    return best


def bench_reference(name: str, target: str, rows: int) -> None:
    store = open_store(target)
    started = time.perf_counter()
    store.set_reference(MODEL, reference_columns(rows), task="regression")
    write = time.perf_counter() - started
    store.close()
    current = time_load(target)
    store_as_older_schema(target, 2)
    row_order = time_load(target, repeat=2)
    store_as_older_schema(target, 1)
    legacy = time_load(target, repeat=1)
    print(
        f"reference load, {name}, {rows:,} rows x 24 features: {current:.2f} s (sorted binary); "
        f"schema 2 (binary in row order) {row_order:.2f} s -> {row_order / current:.1f}x faster; "
        f"schema 1 (JSON, before issue 18) {legacy:.2f} s -> {legacy / current:.1f}x faster "
        f"(set_reference {write:.1f} s)",
        flush=True,
    )


def _write(target: str, rows: int, worker: int) -> float:
    store = open_store(target, create=False)
    rng = np.random.default_rng(worker)
    records = [
        {
            "request_id": f"w{worker}-{i}",
            "model_name": MODEL,
            "model_version": "v1",
            "features": {name: float(v) for name, v in zip(NUMERIC, rng.normal(size=20))}
            | {name: "a" for name in CATEGORICAL},
            "prediction": float(rng.normal()),
            "latency_seconds": 0.01,
        }
        for i in range(rows)
    ]
    started = time.perf_counter()
    for start in range(0, rows, BATCH):
        store.log_predictions(records[start : start + BATCH])
    took = time.perf_counter() - started
    store.close()
    return rows / took


def bench_writes(name: str, target: str, rows: int) -> None:
    open_store(target).close()
    one = _write(target, rows, 0)
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        rates = pool.starmap(_write, [(target, rows, w) for w in range(1, 5)])
    print(
        f"writes, {name}: 1 writer {one:,.0f} rows/s; 4 writer processes "
        f"{sum(rates):,.0f} rows/s in all ({min(rates):,.0f}-{max(rates):,.0f} each)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--write-rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        bench_reference("SQLite", str(Path(work) / "ref.db"), args.reference_rows)
        bench_writes("SQLite", str(Path(work) / "writes.db"), args.write_rows)
    try:
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import postgres_bin_dir, running_postgres
    except ImportError:
        postgres_bin_dir = None
    if postgres_bin_dir is None or postgres_bin_dir() is None:
        print("PostgreSQL: skipped (install Debian's postgresql to compare the backends)")
        return 0
    import pytest  # running_postgres skips through pytest when something is missing

    try:
        with running_postgres() as server:
            bench_reference("PostgreSQL", server.new_database(), args.reference_rows)
            bench_writes("PostgreSQL", server.new_database(), args.write_rows)
    except pytest.skip.Exception as skipped:
        print(f"PostgreSQL: skipped ({skipped})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
