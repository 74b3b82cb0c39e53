"""Instrumentation for Python model services: API metrics and a batched prediction-log writer.

Two lines turn an existing FastAPI (or any ASGI) app into a monitored one::

    from exporter.instrumentation import Instrumentation
    monitoring = Instrumentation.install(app, db_path=os.environ["METRICS_DB_PATH"])

``install`` adds a pure ASGI middleware that records the catalog's ``source=api``
metrics (``api_requests_total``, ``api_request_duration_seconds``,
``api_active_requests``, ``model_inference_time_seconds``,
``model_memory_usage_bytes``, ``prediction_log_dropped_total``) and serves them
on ``GET /metrics``. In the prediction handler, ``monitoring.log_prediction(...)``
buffers a row for the prediction log and ``monitoring.inference_timer(model)``
times the model call.

The ``endpoint`` label is the matched route's template (``/items/{item_id}``),
never the raw path, and every unmatched path shares one label value
(:data:`UNMATCHED`), so a 404 scan cannot create series.

Rows are written by one background thread, one transaction per batch
(``PredictionStore.log_predictions``), never a commit per request. The buffer is
bounded: when it is full (the database is stalled or the service is overloaded)
new rows are dropped and counted in ``prediction_log_dropped_total`` rather than
blocking requests or growing memory without limit. On a clean stop (the ASGI
lifespan shutdown, or interpreter exit) the buffer is drained before the
process ends, so nothing accepted is lost.

This module lives in the exporter package, which ships without web frameworks:
it imports only the standard library, ``prometheus_client`` and ``exporter``.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import pickle
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase

from exporter import catalog
from exporter.catalog import Metric, MetricType

log = logging.getLogger(__name__)

# The endpoint label of every request that matched no route.
UNMATCHED = "<unmatched>"
# The method label of methods outside the catalog's list, so odd verbs share one series.
OTHER_METHOD = "OTHER"
_KNOWN_METHODS = frozenset(catalog.HTTP_METHOD.split("|"))
# Where the middleware leaves the request's arrival time (time.perf_counter) in the ASGI scope.
REQUEST_STARTED = "mlmon.request_started"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

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
        return generate_latest(self._exposed)  # type: ignore[arg-type]


def route_template(scope: Scope) -> str:
    """The template of the route the framework matched (Starlette/FastAPI set ``scope["route"]``)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED
    root_path = scope.get("root_path")
    if not root_path:  # the common case: no Mount, no proxy prefix
        return template
    # A route inside a Mount: prefix the mount's part of the path. Mount paths
    # are static in practice, so this does not reintroduce raw ids.
    return root_path[len(scope.get("app_root_path", root_path)) :] + template


def model_size_bytes(model: object) -> int:
    """The model's size as its pickled length: what loading it puts in memory, measured not assumed."""
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


class PredictionSink(Protocol):
    """What the writer needs from a prediction store (``exporter.store.PredictionStore`` provides it)."""

    def log_predictions(self, records: list[dict[str, Any]]) -> Any: ...

    def log_actuals(self, records: list[tuple[str, Any, float | None]]) -> Any: ...


@dataclass
class WriterStats:
    submitted: int = 0  # rows accepted into the buffer (predictions and actuals)
    written: int = 0  # predictions committed to the store
    actuals_written: int = 0
    dropped: int = 0  # rows refused because the buffer was full (or the writer closed)
    failed: int = 0  # rows given up on after repeated database errors (logged)
    last_error: str | None = None


class PredictionLogWriter:
    """Writes buffered prediction rows to the store from one thread, one transaction per batch.

    Request handlers append to an in-memory buffer under a lock (a few
    hundred nanoseconds); the writer thread swaps the buffer out every
    ``flush_interval`` seconds (sooner when ``batch_size`` rows are waiting) and
    commits it. The buffer holds at most ``max_queue`` rows: beyond that
    ``submit`` drops the row, returns False and calls ``on_drop`` (the
    middleware counts it in ``prediction_log_dropped_total``), so a stalled
    database costs memory up to that bound and never blocks a request.
    Ground-truth values go through the same buffer, so one thread owns all writes.
    """

    def __init__(
        self,
        store: PredictionSink,
        *,
        max_queue: int = 10_000,
        batch_size: int = 1_000,
        flush_interval: float = 0.25,
        retries: int = 3,
        on_drop: Callable[[int], None] | None = None,
    ):
        if max_queue < 1 or batch_size < 1:
            raise ValueError("max_queue and batch_size must be at least 1")
        self._store = store
        self._max_rows = max_queue
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._retries = retries
        self._on_drop = on_drop
        self._predictions: list[dict[str, Any]] = []
        self._actuals: list[tuple[str, Any, float | None]] = []
        self._in_flight = 0  # rows taken from the buffer and not yet committed
        self._closed = False
        self._wake = threading.Condition(threading.Lock())
        self.stats = WriterStats()
        self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._thread.start()

    def reopen(self) -> None:
        """Accept rows again after :meth:`close` (an app whose lifespan is started a second time)."""
        with self._wake:
            if not self._closed:
                return
            self._thread.join()
            self._closed = False
            self._thread = threading.Thread(
                target=self._run, name="prediction-log-writer", daemon=True
            )
            self._thread.start()

    # -- producer side (request handlers) --------------------------------
    def submit(self, record: Mapping[str, Any]) -> bool:
        """Buffer one prediction row (the keyword arguments of ``PredictionStore.log_prediction``)."""
        return self._add(self._predictions, record)

    def submit_many(self, records: list[dict[str, Any]]) -> int:
        """Buffer several prediction rows under one lock (a batch request); returns how many were accepted."""
        with self._wake:
            room = (
                0
                if self._closed
                else max(0, self._max_rows - len(self._predictions) - len(self._actuals))
            )
            accepted = records[:room]
            self._predictions.extend(accepted)
            self.stats.submitted += len(accepted)
            dropped = len(records) - len(accepted)
            self.stats.dropped += dropped
            if len(self._predictions) >= self._batch_size:
                self._wake.notify()
        if dropped and self._on_drop:
            self._on_drop(dropped)
        return len(accepted)

    def submit_actual(self, request_id: str, actual: Any, ts: float | None = None) -> bool:
        return self._add(self._actuals, (request_id, actual, ts))

    def _add(self, buffer: list[Any], item: Any) -> bool:
        with self._wake:
            # After close nobody would write it: a request still running at shutdown counts as dropped.
            accepted = (
                not self._closed and len(self._predictions) + len(self._actuals) < self._max_rows
            )
            if accepted:
                buffer.append(item)
                self.stats.submitted += 1
                if len(buffer) == self._batch_size:
                    self._wake.notify()
            else:
                self.stats.dropped += 1
        if not accepted and self._on_drop:
            self._on_drop(1)
        return accepted

    @property
    def queue_depth(self) -> int:
        """Rows buffered or being written."""
        with self._wake:
            return len(self._predictions) + len(self._actuals) + self._in_flight

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until every row submitted so far is committed (or ``timeout``); True when done."""
        deadline = time.monotonic() + timeout
        with self._wake:
            self._wake.notify()
        while self.queue_depth:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Stop accepting rows, write everything still buffered, and stop the thread."""
        with self._wake:
            if self._closed:
                return
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error(
                "prediction log writer did not finish within %.0fs; %d rows may be lost",
                timeout,
                self.queue_depth,
            )

    # -- the writer thread -------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._closed and len(self._predictions) < self._batch_size:
                    self._wake.wait(self._flush_interval)
                predictions, self._predictions = self._predictions, []
                actuals, self._actuals = self._actuals, []
                self._in_flight = len(predictions) + len(actuals)
                stopping = self._closed
            try:
                for start in range(0, len(predictions), self._batch_size):
                    chunk = predictions[start : start + self._batch_size]
                    self._commit(
                        lambda c=chunk: self._store.log_predictions(c), len(chunk), "written"
                    )
                if actuals:
                    self._commit(
                        lambda: self._store.log_actuals(actuals), len(actuals), "actuals_written"
                    )
            finally:
                with self._wake:
                    self._in_flight = 0
            if stopping and not (self._predictions or self._actuals):
                return

    def _commit(self, write: Callable[[], Any], count: int, counter: str) -> None:
        for attempt in range(self._retries + 1):
            try:
                write()
            except Exception as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                if attempt < self._retries:
                    time.sleep(0.1 * 2**attempt)
                    continue
                self.stats.failed += count
                log.error(
                    "prediction log: giving up on %d row(s) after %d attempts: %s",
                    count,
                    attempt + 1,
                    self.stats.last_error,
                )
            else:
                setattr(self.stats, counter, getattr(self.stats, counter) + count)
            return


class MetricsMiddleware:
    """Pure ASGI middleware: request metrics by route template, ``GET /metrics``, and closing hooks at shutdown."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: ApiMetrics,
        metrics_path: str | None = "/metrics",
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
    ):
        self.app = app
        self.metrics = metrics
        self.metrics_path = metrics_path
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else OTHER_METHOD
        if (
            self.metrics_path is not None
            and scope["path"] == self.metrics_path
            and method in ("GET", "HEAD")
        ):
            started = time.perf_counter()
            await self._serve_metrics(method, send)
            self.metrics.record_request(
                method, self.metrics_path, 200, time.perf_counter() - started
            )
            return

        status = 500
        started = scope[REQUEST_STARTED] = time.perf_counter()
        self.metrics.active.inc()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.active.dec()
            self.metrics.record_request(method, route_template(scope), status, elapsed)

    async def _serve_metrics(self, method: str, send: Send) -> None:
        body = self.metrics.exposition()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", CONTENT_TYPE_LATEST.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete" and self.on_startup:
                self.on_startup()
            if (
                message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed")
                and self.on_shutdown
            ):
                # Drain the prediction log before the server reports it has stopped.
                await asyncio.to_thread(self.on_shutdown)
            await send(message)

        await self.app(scope, receive, send_wrapper)


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


class Instrumentation:
    """API metrics plus (optionally) a prediction-log writer, for one service."""

    def __init__(
        self,
        store: PredictionSink | None = None,
        *,
        metrics: ApiMetrics | None = None,
        max_queue: int = 10_000,
        batch_size: int = 1_000,
        flush_interval: float = 0.25,
    ):
        self.metrics = metrics or ApiMetrics()
        self.writer = (
            PredictionLogWriter(
                store,
                max_queue=max_queue,
                batch_size=batch_size,
                flush_interval=flush_interval,
                on_drop=self.metrics.dropped.inc,
            )
            if store is not None
            else None
        )
        self._closed = False
        atexit.register(self.close)

    @classmethod
    def install(
        cls,
        app: Any,
        *,
        db_path: str | None = None,
        db_url: str | None = None,
        store: PredictionSink | None = None,
        metrics_path: str | None = "/metrics",
        **writer_options: Any,
    ) -> Instrumentation:
        """Instrument a Starlette/FastAPI ``app``: metrics middleware, ``/metrics``, and a log writer.

        Give ``db_path`` (the SQLite prediction log, e.g. ``$METRICS_DB_PATH``), ``db_url`` (a
        PostgreSQL log, ``$METRICS_DB_URL``; wins over ``db_path``) or an open ``store``; with none,
        only the API metrics are recorded.
        """
        if store is None and (db_url or db_path):
            from exporter.store import open_store

            store = open_store(db_url or db_path)
        instrumentation = cls(store, **writer_options)
        app.add_middleware(
            MetricsMiddleware,
            metrics=instrumentation.metrics,
            metrics_path=metrics_path,
            on_startup=instrumentation.open,
            on_shutdown=instrumentation.close,
        )
        return instrumentation

    def log_prediction(
        self,
        request_id: str,
        model_name: str,
        model_version: str,
        features: Mapping[str, Any],
        prediction: Any,
        latency_seconds: float | None = None,
        ts: float | None = None,
    ) -> bool:
        """Buffer one prediction for the log; False when it was dropped (buffer full) or no log is configured."""
        if self.writer is None:
            return False
        return self.writer.submit(
            {
                "request_id": request_id,
                "model_name": model_name,
                "model_version": model_version,
                "features": dict(features),
                "prediction": prediction,
                "latency_seconds": latency_seconds,
                "ts": time.time() if ts is None else ts,
            }
        )

    def log_predictions(self, records: list[dict[str, Any]]) -> int:
        """Buffer many predictions at once (keyword arguments of :meth:`log_prediction` as dicts);
        returns how many were accepted, the rest were dropped and counted."""
        if self.writer is None:
            return 0
        now = time.time()
        return self.writer.submit_many(
            [{**record, "ts": record.get("ts") or now} for record in records]
        )

    def log_actual(self, request_id: str, actual: Any, ts: float | None = None) -> bool:
        """Buffer the ground truth for an earlier prediction (the store joins them by request_id)."""
        if self.writer is None:
            return False
        return self.writer.submit_actual(request_id, actual, ts=time.time() if ts is None else ts)

    @staticmethod
    def request_elapsed(scope: Mapping[str, Any]) -> float | None:
        """Seconds since the middleware saw the request arrive (``request.scope`` in a handler);
        the latency to log with a prediction. None when the middleware is not installed."""
        started = scope.get(REQUEST_STARTED)
        return None if started is None else time.perf_counter() - started

    def inference_timer(self, model_name: str) -> InferenceTimer:
        """Time the block as one model inference (``model_inference_time_seconds{model_name}``)."""
        return InferenceTimer(self.metrics.inference_histogram(model_name))

    def track_model(self, model_name: str, version: str, model: object) -> int:
        """Measure ``model`` and publish ``model_memory_usage_bytes``; returns the size in bytes."""
        size = model_size_bytes(model)
        self.metrics.memory.labels(model_name, version).set(size)
        return size

    def open(self) -> None:
        """Start (again) after :meth:`close`: the app's lifespan started a second time, as test clients do."""
        if self._closed:
            self._closed = False
            atexit.register(self.close)
            if self.writer is not None:
                self.writer.reopen()

    def close(self) -> None:
        """Write everything still queued and stop the writer (idempotent; also runs at interpreter exit)."""
        if self._closed:
            return
        self._closed = True
        if self.writer is not None:
            self.writer.close()
        atexit.unregister(self.close)
