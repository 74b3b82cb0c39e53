"""The two reference models, trained at start-up on the seeded synthetic market (about a second).

- ``house_price``: gradient-boosted trees regressing the sale price (regression).
- ``price_band``: multinomial logistic regression on the same features, predicting
  budget / mid / upper / luxury (classification).

Both use one hand-written encoder (median imputation of optional features,
one-hot neighbourhood) on plain numpy arrays: a scikit-learn ``ColumnTransformer``
over a DataFrame costs about a millisecond per single-row prediction, which would
dominate the API's latency.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from ml_api.contract import CLASSIFICATION_MODEL, MODEL_VERSION, REGRESSION_MODEL
from ml_api.housing import (
    FEATURES,
    NEIGHBOURHOOD_NAMES,
    price_band,
    sample_houses,
    to_rows,
    true_price,
)

NUMERIC = tuple(f.name for f in FEATURES if f.kind != "categorical")


@dataclass(frozen=True)
class Encoder:
    """Feature rows (dicts, optional values may be None) to a dense float matrix."""

    medians: np.ndarray  # per numeric feature, fills missing optional values
    means: np.ndarray
    scales: np.ndarray

    @classmethod
    def fit(cls, columns: Mapping[str, np.ndarray]) -> Encoder:
        numeric = np.column_stack([np.asarray(columns[name], dtype=float) for name in NUMERIC])
        medians = np.median(numeric, axis=0)
        return cls(medians, numeric.mean(axis=0), numeric.std(axis=0) + 1e-9)

    def transform(self, rows: Sequence[Mapping[str, Any]], standardise: bool = False) -> np.ndarray:
        n_numeric = len(NUMERIC)
        matrix = np.zeros((len(rows), n_numeric + len(NEIGHBOURHOOD_NAMES)))
        for i, row in enumerate(rows):
            for j, name in enumerate(NUMERIC):
                value = row.get(name)
                matrix[i, j] = self.medians[j] if value is None else value
            matrix[i, n_numeric + NEIGHBOURHOOD_NAMES.index(row["neighbourhood"])] = 1.0
        if standardise:
            matrix[:, :n_numeric] = (matrix[:, :n_numeric] - self.means) / self.scales
        return matrix


@dataclass(frozen=True)
class TrainedModel:
    name: str
    version: str
    task: str  # "regression" | "classification"
    estimator: Any
    encoder: Encoder
    standardise: bool

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        predictions = self.estimator.predict(self.encoder.transform(rows, self.standardise))
        if self.task == "regression":
            return [round(float(p), 2) for p in predictions]
        return [str(p) for p in predictions]


@dataclass(frozen=True)
class TrainingData:
    columns: dict[str, np.ndarray]
    prices: np.ndarray
    bands: np.ndarray

    def rows(self) -> list[dict[str, Any]]:
        return to_rows(self.columns)


def training_data(seed: int, n: int) -> TrainingData:
    rng = np.random.default_rng(seed)
    columns = sample_houses(rng, n)
    prices = true_price(columns, rng)
    return TrainingData(columns, prices, price_band(prices))


@functools.cache
def train_models(seed: int = 42, n: int = 3_000) -> tuple[dict[str, TrainedModel], TrainingData]:
    """Both models, trained on the same ``n`` seeded houses (deterministic for a given seed, so
    cached: an app factory called twice in one process trains once; callers must not mutate them)."""
    data = training_data(seed, n)
    encoder = Encoder.fit(data.columns)
    rows = data.rows()
    regressor = GradientBoostingRegressor(
        n_estimators=100, max_depth=3, learning_rate=0.1, random_state=seed
    )
    regressor.fit(encoder.transform(rows), data.prices)
    classifier = LogisticRegression(max_iter=1_000)
    classifier.fit(encoder.transform(rows, standardise=True), data.bands)
    models = {
        REGRESSION_MODEL: TrainedModel(
            REGRESSION_MODEL, MODEL_VERSION, "regression", regressor, encoder, False
        ),
        CLASSIFICATION_MODEL: TrainedModel(
            CLASSIFICATION_MODEL, MODEL_VERSION, "classification", classifier, encoder, True
        ),
    }
    return models, data
