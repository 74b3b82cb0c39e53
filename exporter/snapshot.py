"""What one export cycle hands to the collectors: samples of catalog metrics, immutable once published.

Samples are keyed by the catalog's :class:`~exporter.catalog.Metric` objects
and take their labels by name, so a metric or a label that the catalog does
not declare fails where the sample is made (:meth:`Samples.add` raises)
instead of silently dropping a series. The cycle builds a new
:class:`Snapshot` and swaps it in with one assignment, so a scrape running in
the HTTP thread always sees a whole cycle, never half of one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exporter import catalog
from exporter.catalog import Metric

# (cumulative buckets [(le, count), ..., ("+Inf", count)], sum of observations)
HistogramValue = tuple[list[tuple[str, float]], float]
Value = float | HistogramValue
# label values in the catalog's label order, and the value
Sample = tuple[tuple[str, ...], Value]

_LABEL_SETS = {metric.name: frozenset(metric.labels) for metric in catalog.METRICS}


class Samples:
    """Samples of catalog metrics, grouped by metric."""

    __slots__ = ("_by_metric",)

    def __init__(self) -> None:
        self._by_metric: dict[str, list[Sample]] = {}

    def add(self, metric: Metric, value: Value, **labels: str) -> None:
        """Add one sample of ``metric`` with its labels by name (exactly the catalog's, in any order).

        Raises ValueError for a metric object that is not the catalog's or labels that are not the
        metric's: a typo fails here, not as a series that never appears.
        """
        if catalog.CATALOG.get(metric.name) is not metric:
            raise ValueError(
                f"{metric.name!r} is not a metric of the catalog (exporter/catalog.py)"
            )
        names = metric.labels
        if labels.keys() != _LABEL_SETS[metric.name]:
            raise ValueError(
                f"{metric.name}: labels {sorted(labels)} given, the catalog declares {sorted(names)}"
            )
        self._by_metric.setdefault(metric.name, []).append(
            (tuple([labels[name] for name in names]), value)
        )

    def extend(self, other: Samples) -> None:
        for name, samples in other._by_metric.items():
            self._by_metric.setdefault(name, []).extend(samples)

    def get(self, metric: Metric) -> list[Sample]:
        return self._by_metric.get(metric.name, [])

    def __len__(self) -> int:
        return sum(map(len, self._by_metric.values()))


def merge(*parts: Samples) -> Samples:
    merged = Samples()
    for part in parts:
        merged.extend(part)
    return merged


@dataclass(frozen=True)
class Snapshot:
    samples: Samples = field(default_factory=Samples)

    def get(self, metric: Metric) -> list[Sample]:
        return self.samples.get(metric)
