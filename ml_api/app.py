"""The reference house-price API: FastAPI app factory.

``create_app()`` trains both models (seeded, about a second), writes their
training data to the prediction log as the drift reference, and instruments
the app with :mod:`exporter.instrumentation` (the README's two lines).
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from exporter.instrumentation import Instrumentation, model_size_bytes
from exporter.schema import FeatureSchema, infer_feature
from exporter.store import PredictionStore, open_store
from ml_api.faults import apply_faults
from ml_api.housing import FEATURE_NAMES, OPTIONAL_FEATURES, PRICE_BAND_NAMES
from ml_api.limits import body_limited_route
from ml_api.models import TrainedModel, train_models
from ml_api.schemas import (
    BatchRequest,
    BatchResponse,
    Feedback,
    FeedbackAccepted,
    Health,
    HouseFeatures,
    ModelInfo,
    ModelName,
    Prediction,
)
from ml_api.settings import Settings

BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read as UTF-8 JSON"},
    408: {"description": "The body did not arrive in full within API_BODY_TIMEOUT seconds"},
    413: {"description": "The body is larger than MAX_BODY_BYTES"},
}

# request_id = "<model_name>-<32 hex>": feedback can be checked against the model's task without a lookup.
_ID_SEPARATOR = "-"


def new_request_id(model_name: str) -> str:
    """``<model>-<32 hex>``: nanosecond time then 64 random bits (UUIDv7-style).

    Time-ordered ids make the prediction log's unique ``request_id`` index grow
    at its end instead of on random pages: inserts stay ~5x cheaper once the
    log holds hundreds of thousands of rows.
    """
    return f"{model_name}{_ID_SEPARATOR}{time.time_ns():016x}{secrets.token_hex(8)}"


def model_of_request(request_id: str) -> str | None:
    name, _, token = request_id.rpartition(_ID_SEPARATOR)
    return name if len(token) == 32 else None


def reference_schema(columns: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The feature schema the exporter would infer from the reference, with this API's optional
    features declared optional: a request may leave them out (the model fills in the training
    median), which is missing data, not a schema violation."""
    specs = []
    for name, values in columns.items():
        raw = values.astype(np.float64) if values.dtype.kind in "iuf" else values.tolist()
        spec = infer_feature(name, raw)
        if name in OPTIONAL_FEATURES:
            spec = dataclasses.replace(spec, required=False)
        specs.append(spec)
    return FeatureSchema(tuple(specs)).to_dict()


class Service:
    """The trained models plus the monitoring hooks; one per app."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.models, data = train_models(settings.model_seed, settings.training_rows)
        self.monitoring: Instrumentation | None = None
        self.memory: dict[str, int] = {}
        self.store: PredictionStore | None = None
        if settings.instrumentation:
            self.store = open_store(settings.db_url or settings.db_path)
            schema = reference_schema(data.columns)
            for model in self.models.values():
                targets = data.prices if model.task == "regression" else data.bands
                self.store.set_reference(
                    model.name,
                    data.columns,
                    targets=list(targets),
                    task=model.task,
                    feature_schema=schema,
                )

    def model(self, name: str) -> TrainedModel:
        return self.models[name]

    def predict(
        self, model: TrainedModel, rows: list[dict[str, Any]], scope: Mapping[str, Any]
    ) -> list[Prediction]:
        if self.monitoring is None:
            values = model.predict(rows)
        else:
            with self.monitoring.inference_timer(model.name):
                values = model.predict(rows)
        ids = [new_request_id(model.name) for _ in rows]
        if self.monitoring is not None:
            # From the request's arrival to its answer: what a client waits for each of these predictions.
            latency = self.monitoring.request_elapsed(scope)
            self.monitoring.log_predictions(
                [
                    {
                        "request_id": request_id,
                        "model_name": model.name,
                        "model_version": model.version,
                        "features": row,
                        "prediction": value,
                        "latency_seconds": latency,
                    }
                    for request_id, row, value in zip(ids, rows, values)
                ]
            )
        return [
            Prediction(
                request_id=request_id,
                model_name=model.name,
                model_version=model.version,
                prediction=value,
            )
            for request_id, value in zip(ids, values)
        ]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    service = Service(settings)
    app = FastAPI(
        title="House-price prediction API",
        version="1.0.0",
        description="Reference model service monitored by mlmon: a house-price regression model and a "
        "price-band classifier. Every prediction is written to the prediction log; "
        "send ground truth with POST /feedback. Prometheus metrics: GET /metrics.",
    )
    app.router.route_class = body_limited_route(settings.max_body_bytes, settings.body_timeout)
    app.state.service = service
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.post("/predict", response_model=Prediction, tags=["predictions"], responses=BODY_ERRORS)
    async def predict(
        house: HouseFeatures,
        request: Request,
        model: ModelName = Query(ModelName.house_price, description="Which model answers"),
    ) -> Prediction:
        """Predict the price (``house_price``) or the price band (``price_band``) of one house."""
        await apply_faults(request, settings.faults)
        return service.predict(service.model(model.value), [house.model_dump()], request.scope)[0]

    @app.post(
        "/predict/batch", response_model=BatchResponse, tags=["predictions"], responses=BODY_ERRORS
    )
    async def predict_batch(
        batch: BatchRequest,
        request: Request,
        model: ModelName = Query(ModelName.house_price, description="Which model answers"),
    ) -> BatchResponse:
        """Predict many houses in one call (each gets its own request_id in the log)."""
        await apply_faults(request, settings.faults)
        chosen = service.model(model.value)
        predictions = service.predict(
            chosen, [house.model_dump() for house in batch.instances], request.scope
        )
        return BatchResponse(
            model_name=chosen.name, model_version=chosen.version, predictions=predictions
        )

    @app.post(
        "/feedback",
        response_model=FeedbackAccepted,
        status_code=status.HTTP_202_ACCEPTED,
        tags=["predictions"],
        responses=BODY_ERRORS,
    )
    async def feedback(body: Feedback) -> FeedbackAccepted:
        """Record the true value for an earlier prediction (it may arrive long after)."""
        name = model_of_request(body.request_id)
        if name not in service.models:
            raise _body_error(
                "request_id",
                body.request_id,
                f"request_id {body.request_id!r} was not issued by "
                "this API (use the request_id returned by /predict)",
            )
        actual = _checked_actual(service.model(name), cast(float | str, body.actual))
        if service.monitoring is not None:
            service.monitoring.log_actual(body.request_id, actual)
        return FeedbackAccepted(request_id=body.request_id)

    @app.get("/models", response_model=list[ModelInfo], tags=["models"])
    async def list_models() -> list[ModelInfo]:
        return [_info(service, name) for name in service.models]

    @app.get("/models/{model_name}", response_model=ModelInfo, tags=["models"])
    async def get_model(model_name: ModelName) -> ModelInfo:
        return _info(service, model_name.value)

    @app.get(
        "/health",
        response_model=Health,
        tags=["service"],
        responses={
            503: {"model": Health, "description": "A model or the prediction log is unusable"}
        },
    )
    async def health() -> Any:
        """200 when every model is loaded and the prediction log is writable, 503 otherwise.

        The log's state is the writer's, kept in memory (its thread probes the database about
        once a second): a health check never waits for the database."""
        writer_state = service.monitoring.health() if service.monitoring is not None else None
        log_state: dict[str, object] = {"enabled": writer_state is not None}
        healthy = bool(service.models)
        if writer_state is not None:
            log_state.update(writer_state.as_dict())
            healthy = healthy and writer_state.writable
        body = Health(
            status="ok" if healthy else "degraded",
            models={n: True for n in service.models},
            prediction_log=log_state,
        )
        if healthy:
            return body
        return JSONResponse(body.model_dump(), status_code=503)

    if settings.instrumentation:
        service.monitoring = Instrumentation.install(
            app,
            store=service.store,
            max_queue=settings.log_queue_size,
            durable=settings.log_durable,
            spill_path=settings.spill_path,
            orphan_max_age=settings.orphan_max_age,
            orphan_max_rows=settings.orphan_max_rows,
        )
        for model in service.models.values():
            service.memory[model.name] = service.monitoring.track_model(
                model.name, model.version, model
            )
    return app


# A lone UTF-16 surrogate ("\ud800" in JSON) is a valid JSON string escape but cannot be encoded
# as UTF-8: echoing it back in an error would fail (a 500) while rendering the 422.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value: Any) -> Any:
    """``value`` with every lone surrogate replaced by U+FFFD, so it can be sent as UTF-8 JSON."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(item) for item in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, except that what JSON cannot carry is echoed as text: rejected NaN/±inf
    inputs, and lone surrogates (the default handler would fail with a 500 while reporting them)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    for error in errors:
        if isinstance(error.get("input"), float) and not math.isfinite(error["input"]):
            error["input"] = str(error["input"])
    return JSONResponse(status_code=422, content={"detail": _encodable(jsonable_encoder(errors))})


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's handler, with the detail made encodable (it may echo the client's input)."""
    assert isinstance(exc, StarletteHTTPException)
    exc.detail = _encodable(exc.detail)
    return await http_exception_handler(request, exc)


def _checked_actual(model: TrainedModel, actual: float | str) -> float | str:
    if model.task == "regression":
        if isinstance(actual, str):
            raise _body_error(
                "actual",
                actual,
                f"actual for {model.name} must be a price (a number), not {actual!r}",
            )
        return float(actual)
    if str(actual) not in PRICE_BAND_NAMES:
        raise _body_error(
            "actual",
            actual,
            f"actual for {model.name} must be one of {', '.join(PRICE_BAND_NAMES)}",
        )
    return str(actual)


def _body_error(field: str, value: object, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's validation errors, so clients parse one format."""
    return HTTPException(
        422, [{"type": "value_error", "loc": ["body", field], "msg": message, "input": value}]
    )


def _info(service: Service, name: str) -> ModelInfo:
    model = service.model(name)
    size = service.memory.get(name) or model_size_bytes(model)
    return ModelInfo(
        model_name=model.name,
        model_version=model.version,
        task=model.task,
        memory_bytes=size,
        features=list(FEATURE_NAMES),
    )
