"""Cumulative counts read from the prediction log: counters and histograms that never go down.

Every logged row is counted exactly once, when the exporter first reads it
(the reader hands each row over once; see ``PredictionStore.read_changes``),
so restarting the exporter recounts the log from the start and a scrape
never sees a value decrease while the exporter runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from exporter import catalog


@dataclass
class CumulativeHistogram:
    """Bucket counts of observed values; ``bounds`` are the upper bounds without +Inf."""

    bounds: tuple[float, ...]
    counts: np.ndarray = field(init=False)  # per bucket, the last one is +Inf
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = np.zeros(len(self.bounds) + 1, dtype=np.int64)

    def observe_many(self, values: np.ndarray) -> None:
        """Count the finite values of ``values`` (NaN/inf are skipped: not a measurement)."""
        values = values[np.isfinite(values)]
        if values.size:
            # side="left": a value equal to a bound belongs to that bucket (Prometheus `le` is inclusive)
            self.counts += np.bincount(
                np.searchsorted(self.bounds, values, side="left"), minlength=len(self.counts)
            )
            self.total += float(values.sum())

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def cumulative_buckets(self) -> list[tuple[str, float]]:
        """``[(le, cumulative count), ..., ("+Inf", count)]`` as HistogramMetricFamily wants them."""
        cumulative = np.cumsum(self.counts)
        labels = [_le(bound) for bound in self.bounds] + ["+Inf"]
        return [(le, float(c)) for le, c in zip(labels, cumulative)]


def _le(bound: float) -> str:
    return repr(float(bound)) if math.isfinite(bound) else "+Inf"


def _buckets(histogram: str) -> tuple[float, ...]:
    buckets = catalog.get(histogram).buckets
    if buckets is None:
        raise ValueError(f"{histogram} is not a histogram in the catalog")
    return buckets


@dataclass
class ModelCounters:
    """The cumulative counts of one model."""

    predictions: int = 0
    actuals: int = 0
    latency: CumulativeHistogram = field(
        default_factory=lambda: CumulativeHistogram(_buckets("prediction_latency_seconds"))
    )
    values: CumulativeHistogram = field(
        default_factory=lambda: CumulativeHistogram(_buckets("prediction_value_distribution"))
    )

    def add_predictions(self, latencies: np.ndarray, predictions: np.ndarray) -> None:
        """Count new rows: one ``latencies`` entry per row (NaN when not logged) and the numeric
        ``predictions`` to observe (NaN or absent for class labels)."""
        self.predictions += len(latencies)
        latencies = latencies[
            latencies >= 0
        ]  # a negative latency is a clock problem, not a measurement
        self.latency.observe_many(latencies)
        self.values.observe_many(predictions)
