"""``Instrumentation``: one object per service tying the API metrics, the middleware and the log writer together."""

from __future__ import annotations

import asyncio
import atexit
import os
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from exporter.instrumentation.asgi import REQUEST_STARTED, MetricsMiddleware
from exporter.instrumentation.metrics import ApiMetrics, InferenceTimer, model_size_bytes
from exporter.instrumentation.spill import SpillFile, spill_path_for
from exporter.instrumentation.writer import PredictionLogWriter, PredictionSink, WriterHealth


class _RequestRows:
    """What one request logged, for durable mode: the last row's sequence number, or a refusal."""

    __slots__ = ("refused", "seq")

    def __init__(self) -> None:
        self.seq = 0
        self.refused = False


# Set by the middleware for each request in durable mode; the handler's log_* calls fill it in.
# A mutable holder, so a sync handler run in a worker thread (with a copied context) fills the same one.
_REQUEST_ROWS: ContextVar[_RequestRows | None] = ContextVar("mlmon_request_rows", default=None)


class Instrumentation:
    """API metrics plus (optionally) a prediction-log writer, for one service.

    ``durable=True`` holds each response until the rows its request logged are
    committed (or, while the database stalls, in the spill file): a kill then
    loses nothing that was answered. By default responses do not wait, and a
    hard kill loses at most the rows of the last ``flush_interval`` (or
    ``max_age`` while the database stalls) — see docs on the prediction log.

    ``orphan_max_age`` (seconds) and ``orphan_max_rows`` bound how long and how
    many ground-truth values whose prediction never arrived stay in the log
    (checked every ``orphan_check_interval`` seconds, counted in
    ``prediction_log_orphan_actuals_removed_total``); None keeps them for ever.
    """

    def __init__(
        self,
        store: PredictionSink | None = None,
        *,
        metrics: ApiMetrics | None = None,
        max_queue: int = 10_000,
        batch_size: int = 1_000,
        flush_interval: float = 0.25,
        durable: bool = False,
        durable_timeout: float = 30.0,
        spill: bool = True,
        spill_path: str | os.PathLike[str] | None = None,
        max_age: float = 0.5,
        orphan_max_age: float | None = None,
        orphan_max_rows: int | None = None,
        orphan_check_interval: float = 60.0,
    ):
        self.metrics = metrics or ApiMetrics()
        self.durable_timeout = durable_timeout
        self.writer: PredictionLogWriter | None = None
        if store is not None:
            if spill and spill_path is None and getattr(store, "path", None) is not None:
                spill_path = spill_path_for(store.path)  # type: ignore[attr-defined]
            self.writer = PredictionLogWriter(
                store,
                max_queue=max_queue,
                batch_size=batch_size,
                flush_interval=flush_interval,
                on_drop=self.metrics.dropped.inc,
                spill=SpillFile(spill_path) if spill and spill_path is not None else None,
                max_age=max_age,
                durable=durable,
                orphan_max_age=orphan_max_age,
                orphan_max_rows=orphan_max_rows,
                orphan_check_interval=orphan_check_interval,
                on_orphans_removed=self.metrics.orphans_removed.inc,
            )
        self._closed = False
        self._lifespans = 0  # app lifespans running now: the writer closes when the last one ends
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
        **options: Any,
    ) -> Instrumentation:
        """Instrument a Starlette/FastAPI ``app``: metrics middleware, ``/metrics``, and a log writer.

        Give ``db_path`` (the SQLite prediction log, e.g. ``$METRICS_DB_PATH``), ``db_url`` (a
        PostgreSQL log, ``$METRICS_DB_URL``; wins over ``db_path``; give ``spill_path`` too to keep
        rows through a database stall) or an open ``store``; with none, only the API metrics are
        recorded.
        ``options`` are the keyword arguments of :class:`Instrumentation`.
        """
        target = db_url or db_path
        if store is None and target is not None:
            from exporter.store import open_store

            store = open_store(target)
        instrumentation = cls(store, **options)
        app.add_middleware(
            MetricsMiddleware,
            metrics=instrumentation.metrics,
            metrics_path=metrics_path,
            on_startup=instrumentation._lifespan_started,
            on_shutdown=instrumentation._lifespan_ended,
            durable=instrumentation if instrumentation.durable else None,
        )
        return instrumentation

    @property
    def durable(self) -> bool:
        return self.writer is not None and self.writer.durable

    # -- logging -------------------------------------------------------------
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
        accepted = self.writer.submit(
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
        self._note_rows(accepted)
        return accepted

    def log_predictions(self, records: list[dict[str, Any]]) -> int:
        """Buffer many predictions at once (keyword arguments of :meth:`log_prediction` as dicts);
        returns how many were accepted, the rest were dropped and counted."""
        if self.writer is None:
            return 0
        now = time.time()
        accepted = self.writer.submit_many(
            [{**record, "ts": record.get("ts") or now} for record in records]
        )
        self._note_rows(accepted == len(records))
        return accepted

    def log_actual(self, request_id: str, actual: Any, ts: float | None = None) -> bool:
        """Buffer the ground truth for an earlier prediction (the store joins them by request_id)."""
        if self.writer is None:
            return False
        accepted = self.writer.submit_actual(
            request_id, actual, ts=time.time() if ts is None else ts
        )
        self._note_rows(accepted)
        return accepted

    def _note_rows(self, accepted: bool) -> None:
        rows = _REQUEST_ROWS.get()
        if rows is None or self.writer is None:
            return
        if accepted:
            rows.seq = self.writer.accepted_seq
        else:
            rows.refused = True

    # -- durable responses (called by the middleware) ----------------------------
    def start(self) -> _RequestRows:
        rows = _RequestRows()
        _REQUEST_ROWS.set(rows)
        return rows

    async def settled(self, token: object) -> bool:
        assert isinstance(token, _RequestRows) and self.writer is not None
        if token.refused:
            return False
        if token.seq == 0:
            return True
        try:
            return await asyncio.wait_for(
                self.writer.wait_durable(token.seq), timeout=self.durable_timeout
            )
        except TimeoutError:
            return False

    # -- timing and model size ------------------------------------------------------
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

    # -- state and lifecycle -----------------------------------------------------
    def health(self) -> WriterHealth | None:
        """The prediction-log writer's state (queue depth, last commit, last error, writable), None
        without a log. Read from memory: safe to call on the event loop, never waits for the database."""
        return self.writer.health() if self.writer is not None else None

    def _lifespan_started(self) -> None:
        self._lifespans += 1
        self.open()

    def _lifespan_ended(self) -> None:
        # Test clients and servers may run an app's lifespan more than once, even nested:
        # only the end of the last one closes the writer.
        self._lifespans = max(0, self._lifespans - 1)
        if self._lifespans == 0:
            self.close()

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
