"""Instrumentation for Python model services: API metrics and a batched prediction-log writer.

Two lines turn an existing FastAPI (or any ASGI) app into a monitored one::

    from exporter.instrumentation import Instrumentation
    monitoring = Instrumentation.install(app, db_path=os.environ["METRICS_DB_PATH"])

``install`` adds a pure ASGI middleware that records the catalog's ``source=api``
metrics (``api_requests_total``, ``api_request_duration_seconds``,
``api_active_requests``, ``model_inference_time_seconds``,
``model_memory_usage_bytes``, ``prediction_log_dropped_total``,
``prediction_log_orphan_actuals_removed_total``) and serves them on
``GET /metrics``. In the prediction handler, ``monitoring.log_prediction(...)``
buffers a row for the prediction log and ``monitoring.inference_timer(model)``
times the model call; ``monitoring.health()`` reports the writer's state
without touching the database.

One module per job, as prometheus_client keeps its ASGI adapter apart:

- :mod:`.metrics` — the catalog's API metrics as prometheus_client objects;
- :mod:`.writer` — the bounded buffer and the thread that commits it;
- :mod:`.spill` — the append-only file that bounds what a kill or a stall can lose;
- :mod:`.asgi` — the middleware (route templates, ``/metrics``, client aborts, lifespan);
- :mod:`.facade` — :class:`Instrumentation`, what a service uses.

This package lives in the exporter package, which ships without web frameworks:
it imports only the standard library, ``prometheus_client`` and ``exporter``.
"""

from exporter.instrumentation.asgi import (
    CLIENT_CLOSED_REQUEST,
    OTHER_METHOD,
    REQUEST_STARTED,
    UNMATCHED,
    MetricsMiddleware,
    route_template,
)
from exporter.instrumentation.facade import Instrumentation
from exporter.instrumentation.metrics import (
    ApiMetrics,
    InferenceTimer,
    metric_from_catalog,
    model_size_bytes,
)
from exporter.instrumentation.spill import SpillFile, spill_path_for
from exporter.instrumentation.writer import (
    PredictionLogWriter,
    PredictionSink,
    WriterHealth,
    WriterStats,
)

__all__ = [
    "CLIENT_CLOSED_REQUEST",
    "OTHER_METHOD",
    "REQUEST_STARTED",
    "UNMATCHED",
    "ApiMetrics",
    "InferenceTimer",
    "Instrumentation",
    "MetricsMiddleware",
    "PredictionLogWriter",
    "PredictionSink",
    "SpillFile",
    "WriterHealth",
    "WriterStats",
    "metric_from_catalog",
    "model_size_bytes",
    "route_template",
    "spill_path_for",
]
