"""Custom collectors built from the metric catalog: every ``source=exporter`` metric, nothing else.

Values are computed by the export cycle (``exporter.cycle``) and read here from
its latest :class:`~exporter.snapshot.Snapshot`; a scrape does no statistics
and no database reads. Counters and histograms carry cumulative counts from
the prediction log, so they never decrease and nothing is observed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.core import Metric as Family
from prometheus_client.registry import Collector

from exporter import catalog
from exporter.catalog import Metric, MetricType
from exporter.snapshot import Snapshot


class CatalogCollector(Collector):
    """Yields one family per catalog metric served by the exporter, with the snapshot's samples."""

    def __init__(self, snapshot: Callable[[], Snapshot], metrics: tuple[Metric, ...] | None = None):
        self._snapshot = snapshot
        self.metrics = (
            metrics if metrics is not None else catalog.by_source(catalog.Source.EXPORTER)
        )

    def collect(self) -> Iterator[Family]:
        snapshot = self._snapshot()
        for metric in self.metrics:
            yield _family(metric, snapshot)

    def describe(self) -> Iterator[Family]:
        # Registration checks names without running a cycle.
        for metric in self.metrics:
            yield _family(metric, Snapshot())


def _family(metric: Metric, snapshot: Snapshot) -> Family:
    labels = list(metric.labels)
    samples = snapshot.get(metric)
    if metric.type is MetricType.HISTOGRAM:
        histogram = HistogramMetricFamily(metric.name, metric.help, labels=labels)
        for values, (buckets, total) in samples:  # type: ignore[misc]
            histogram.add_metric(list(values), buckets, total)
        return histogram
    family_type = CounterMetricFamily if metric.type is MetricType.COUNTER else GaugeMetricFamily
    family = family_type(metric.name, metric.help, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), value)  # type: ignore[arg-type]
    return family


def registry_for(snapshot: Callable[[], Snapshot]) -> CollectorRegistry:
    """A dedicated registry (no process/platform collectors) serving the catalog's exporter metrics."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(CatalogCollector(snapshot))
    return registry
