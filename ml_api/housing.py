"""The house-price domain: features, a seeded synthetic market, and the true price of a house.

The same generator trains the models (at API start-up) and drives the traffic
simulator, so the simulator knows each request's true price and can send
honest (or deliberately biased) ground truth. Features are correlated the way
real ones are (bigger houses have more bedrooms; each neighbourhood has its
own lot sizes and building years), and covariate drift is applied to one
feature *after* sampling so the other features keep their distribution.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    share: float  # of the market
    price_factor: float
    lot_median_sqft: float
    year_median: int


NEIGHBOURHOODS: tuple[Neighbourhood, ...] = (
    Neighbourhood("downtown", 0.16, 1.45, 2_500, 1965),
    Neighbourhood("riverside", 0.12, 1.30, 6_000, 1985),
    Neighbourhood("old_town", 0.12, 1.15, 3_500, 1925),
    Neighbourhood("university", 0.10, 1.05, 4_500, 1975),
    Neighbourhood("suburbs_north", 0.18, 0.95, 8_000, 1998),
    Neighbourhood("suburbs_south", 0.16, 0.85, 7_500, 1992),
    Neighbourhood("industrial", 0.08, 0.65, 5_000, 1958),
    Neighbourhood("hillside", 0.08, 1.60, 15_000, 2005),
)
NEIGHBOURHOOD_NAMES: tuple[str, ...] = tuple(n.name for n in NEIGHBOURHOODS)


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # "numeric" | "integer" | "categorical"
    minimum: float | None
    maximum: float | None
    required: bool
    description: str


FEATURES: tuple[Feature, ...] = (
    Feature("living_area_sqft", "numeric", 250, 15_000, True, "Heated living area in square feet."),
    Feature(
        "lot_size_sqft", "numeric", 0, 500_000, False, "Lot size in square feet (0 for apartments)."
    ),
    Feature("bedrooms", "integer", 0, 12, True, "Number of bedrooms."),
    Feature("bathrooms", "numeric", 0, 10, True, "Number of bathrooms; half baths count 0.5."),
    Feature("year_built", "integer", 1800, 2030, False, "Year of construction."),
    Feature("condition", "integer", 1, 5, False, "Condition from 1 (poor) to 5 (excellent)."),
    Feature("garage_spaces", "integer", 0, 6, False, "Covered parking spaces."),
    Feature(
        "neighbourhood",
        "categorical",
        None,
        None,
        True,
        "Neighbourhood: one of " + ", ".join(NEIGHBOURHOOD_NAMES) + ".",
    ),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURES_BY_NAME: Mapping[str, Feature] = {f.name: f for f in FEATURES}
OPTIONAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if not f.required)

# Price bands of the classification model, as (label, upper bound in dollars).
PRICE_BANDS: tuple[tuple[str, float], ...] = (
    ("budget", 250_000),
    ("mid", 450_000),
    ("upper", 800_000),
    ("luxury", float("inf")),
)
PRICE_BAND_NAMES: tuple[str, ...] = tuple(label for label, _ in PRICE_BANDS)

CURRENT_YEAR = 2025


def sample_houses(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` houses as columns; integer features as int arrays, the neighbourhood as an object array."""
    shares = np.array([nb.share for nb in NEIGHBOURHOODS])
    hood_idx = rng.choice(len(NEIGHBOURHOODS), size=n, p=shares / shares.sum())
    lot_median = np.array([nb.lot_median_sqft for nb in NEIGHBOURHOODS])[hood_idx]
    year_median = np.array([nb.year_median for nb in NEIGHBOURHOODS])[hood_idx]

    living = np.clip(rng.lognormal(np.log(1_750), 0.38, n), 400, 9_000)
    bedrooms = np.clip(np.round(living / 650 + rng.normal(0.4, 0.7, n)), 1, 8).astype(int)
    bathrooms = np.clip(np.round((bedrooms * 0.6 + rng.normal(0.4, 0.5, n)) * 2) / 2, 1, 6)
    lot = np.round(np.clip(rng.lognormal(np.log(lot_median), 0.45, n), 800, 200_000), -1)
    year = np.clip(np.round(rng.normal(year_median, 18, n)), 1880, CURRENT_YEAR).astype(int)
    condition = rng.choice(5, size=n, p=[0.05, 0.15, 0.45, 0.25, 0.10]) + 1
    garage = np.clip(np.round(rng.normal(living / 1_500, 0.8, n)), 0, 4).astype(int)
    return {
        "living_area_sqft": np.round(living, -1),
        "lot_size_sqft": lot,
        "bedrooms": bedrooms,
        "bathrooms": bathrooms,
        "year_built": year,
        "condition": condition,
        "garage_spaces": garage,
        "neighbourhood": np.array(NEIGHBOURHOOD_NAMES, dtype=object)[hood_idx],
    }


MARKET_NOISE = 0.03  # log-normal sigma of the price around the market function


def true_price(
    columns: Mapping[str, np.ndarray], rng: np.random.Generator | None = None
) -> np.ndarray:
    """The market price of each house: a non-linear function of its features, with optional market noise."""
    factor = {nb.name: nb.price_factor for nb in NEIGHBOURHOODS}
    hood = np.array([factor[h] for h in columns["neighbourhood"]])
    age = CURRENT_YEAR - np.asarray(columns["year_built"], dtype=float)
    living = np.asarray(columns["living_area_sqft"], dtype=float)
    price = (
        40_000
        + 185 * living**0.97
        + 9 * np.sqrt(np.asarray(columns["lot_size_sqft"], dtype=float)) * 100
        + 11_000 * np.asarray(columns["bathrooms"], dtype=float)
        + 6_000 * np.asarray(columns["bedrooms"], dtype=float)
        + 14_000 * np.asarray(columns["garage_spaces"], dtype=float)
    )
    # Old houses lose value until they become "historic" (U-shaped in age).
    price *= 1.0 - 0.0045 * np.minimum(age, 80) + 0.003 * np.maximum(age - 80, 0)
    price *= 0.80 + 0.07 * np.asarray(columns["condition"], dtype=float)
    price *= hood
    if rng is not None:
        # 3% market noise: the regressor then gets ~90% of prices within the 10%
        # tolerance and the classifier ~91% of bands, comfortably above the
        # alert floor (0.85) in the healthy state and well below it when the
        # simulator injects degraded feedback.
        price *= rng.lognormal(0.0, MARKET_NOISE, len(price))
    return np.round(np.maximum(price, 30_000), -2)


def price_band(prices: Sequence[float] | np.ndarray) -> np.ndarray:
    bounds = np.array([upper for _, upper in PRICE_BANDS[:-1]])
    return np.array(PRICE_BAND_NAMES, dtype=object)[
        np.searchsorted(bounds, np.asarray(prices, dtype=float), side="right")
    ]


def drift_column(
    column: np.ndarray, feature: str, rng: np.random.Generator, strength: float = 1.0
) -> np.ndarray:
    """Covariate drift in one feature: numeric values shift up by ``strength`` standard deviations
    (clipped to the feature's valid range), a categorical's mix tilts towards its rarest categories."""
    spec = FEATURES_BY_NAME[feature]
    if spec.kind == "categorical":
        rare = [nb.name for nb in sorted(NEIGHBOURHOODS, key=lambda nb: nb.share)[:2]]
        switch = rng.random(len(column)) < min(1.0, 0.6 * strength)
        return np.where(switch, rng.choice(rare, size=len(column)), column).astype(object)
    shifted = np.asarray(column, dtype=float) + strength * market_std(feature)
    shifted = np.clip(shifted, spec.minimum, spec.maximum)
    return np.round(shifted).astype(int) if spec.kind == "integer" else np.round(shifted, 1)


@functools.cache
def market_std(feature: str) -> float:
    """The standard deviation of a numeric feature over the (seeded) market; the unit of drift."""
    return max(
        float(np.std(sample_houses(np.random.default_rng(0), 5_000)[feature].astype(float))), 1.0
    )


def to_rows(columns: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """Columns to JSON-ready request bodies (Python scalars)."""
    n = len(next(iter(columns.values())))
    return [{name: _plain(columns[name][i]) for name in FEATURE_NAMES} for i in range(n)]


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value
