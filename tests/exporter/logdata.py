"""Prediction logs with known contents, written through the real PredictionStore into real SQLite files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exporter.store import PredictionStore

REGRESSION = "house_price"
CLASSIFICATION = "price_band"
FEATURES = ("area", "age", "city", "rooms")
CITIES = ("north", "south", "east", "west")


def feature_rows(n: int, rng: np.random.Generator, shift: float = 0.0) -> list[dict]:
    """``area`` (numeric, shifted by ``shift`` standard deviations), ``age``, ``city``, ``rooms`` (few integers)."""
    area = rng.normal(120 + 30 * shift, 30, n)
    age = rng.uniform(0, 50, n)
    city = rng.choice(CITIES, n)
    rooms = rng.integers(1, 6, n)
    return [
        {"area": float(a), "age": float(g), "city": str(c), "rooms": int(r)}
        for a, g, c, r in zip(area, age, city, rooms)
    ]


def price(row: dict) -> float:
    return 1000.0 * row["area"] + 500.0 * row["rooms"] - 200.0 * row["age"]


def band(row: dict) -> str:
    return "high" if row["area"] > 120 else "low"


def write_log(
    path: Path,
    *,
    reference_rows: int = 500,
    current_rows: int = 200,
    seed: int = 0,
    shift: float = 0.0,
    labelled: float = 1.0,
    start_ts: float = 1_000.0,
) -> PredictionStore:
    """A log with a regression and a classification model over the same features; returns the open store."""
    rng = np.random.default_rng(seed)
    store = PredictionStore(path)
    reference = feature_rows(reference_rows, rng)
    store.set_reference(
        REGRESSION, reference, targets=[price(r) for r in reference], task="regression"
    )
    store.set_reference(CLASSIFICATION, reference, targets=[band(r) for r in reference])
    add_predictions(
        store, feature_rows(current_rows, rng, shift), rng, labelled=labelled, start_ts=start_ts
    )
    return store


def add_predictions(
    store: PredictionStore,
    rows: list[dict],
    rng: np.random.Generator,
    *,
    labelled: float = 1.0,
    start_ts: float = 1_000.0,
    prefix: str = "",
) -> None:
    records, actuals = [], []
    for i, row in enumerate(rows):
        noise = float(rng.normal(1.0, 0.05))
        for model, prediction, actual in (
            (REGRESSION, price(row) * noise, price(row)),
            (CLASSIFICATION, band(row) if noise > 0.95 else "low", band(row)),
        ):
            request_id = f"{prefix}{model}-{start_ts}-{i}"
            records.append(
                {
                    "request_id": request_id,
                    "model_name": model,
                    "model_version": "v1",
                    "features": row,
                    "prediction": prediction,
                    "latency_seconds": float(rng.uniform(0.001, 0.2)),
                    "ts": start_ts + i,
                }
            )
            if rng.random() < labelled:
                actuals.append((request_id, actual, start_ts + i + 1))
    store.log_predictions(records)
    store.log_actuals(actuals)
