"""The catalog's ``source=api`` metrics as prometheus_client objects, in their own registry."""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from exporter import catalog
from exporter.catalog import Metric, MetricType

_METRIC_CLASSES: Mapping[MetricType, type[MetricWrapperBase]] = {
    MetricType.COUNTER: Counter,
    MetricType.GAUGE: Gauge,
    MetricType.HISTOGRAM: Histogram,
}


def metric_from_catalog(name: str, registry: CollectorRegistry) -> Any:
    """Create the prometheus_client metric declared in the catalog as ``name`` (help, labels, buckets)."""
    spec: Metric = catalog.get(name)
    kwargs: dict[str, Any] = {"labelnames": spec.labels, "registry": registry}
    if spec.buckets is not None:
        kwargs["buckets"] = spec.buckets
    return _METRIC_CLASSES[spec.type](spec.name, spec.help, **kwargs)


class _WithoutCreated:
    """Serve a registry without the ``*_created`` samples prometheus_client adds to counters and histograms.

    Prometheus 2.x stores them as separate series that no catalog entry
    declares; filtering here keeps the exposition equal to the catalog without
    touching prometheus_client's process-wide switch in the host service.
    """

    def __init__(self, registry: CollectorRegistry):
        self._registry = registry

    def collect(self) -> Iterator[Any]:
        for family in self._registry.collect():
            family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


class ApiMetrics:
    """The catalog's ``source=api`` metrics, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = metric_from_catalog("api_requests_total", self.registry)
        self.duration = metric_from_catalog("api_request_duration_seconds", self.registry)
        self.active = metric_from_catalog("api_active_requests", self.registry)
        self.inference = metric_from_catalog("model_inference_time_seconds", self.registry)
        self.memory = metric_from_catalog("model_memory_usage_bytes", self.registry)
        self.dropped = metric_from_catalog("prediction_log_dropped_total", self.registry)
        self.orphans_removed = metric_from_catalog(
            "prediction_log_orphan_actuals_removed_total", self.registry
        )
        self._exposed = _WithoutCreated(self.registry)

        # Label children by (method, endpoint, status) and by model: skips prometheus_client's
        # per-call label lookup (a lock and a tuple per call) on the hot path. Bounded like the labels themselves.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._inference_children: dict[str, Any] = {}

    def record_request(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        key = (method, endpoint, status)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (
                self.requests.labels(method, endpoint, str(status)),
                self.duration.labels(method, endpoint),
            )
        children[0].inc()
        children[1].observe(seconds)

    def inference_histogram(self, model_name: str) -> Any:
        child = self._inference_children.get(model_name)
        if child is None:
            child = self._inference_children[model_name] = self.inference.labels(model_name)
        return child

    def exposition(self) -> bytes:
        return generate_latest(self._exposed)


class InferenceTimer:
    """``with`` block that observes its duration; a plain class because a generator-based
    context manager costs several times more on every prediction."""

    __slots__ = ("_histogram", "_started")

    def __init__(self, histogram: Any):
        self._histogram = histogram
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._histogram.observe(time.perf_counter() - self._started)


def model_size_bytes(model: object) -> int:
    """The model's size as its pickled length: what loading it puts in memory, measured not assumed."""
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
