"""The pure ASGI middleware: request metrics by route template, ``GET /metrics``, lifespan hooks.

The ``endpoint`` label is the matched route's template (``/items/{item_id}``),
never the raw path, and every unmatched path shares one label value
(:data:`UNMATCHED`), so a 404 scan cannot create series. A client that
disconnects before its answer is counted as :data:`CLIENT_CLOSED_REQUEST`
(499, nginx's code for it) and logged at INFO: it is not a server error, and
must not feed the 5xx error-rate alert.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST

from exporter import catalog
from exporter.instrumentation.metrics import ApiMetrics

log = logging.getLogger(__name__)

# The endpoint label of every request that matched no route.
UNMATCHED = "<unmatched>"
# The method label of methods outside the catalog's list, so odd verbs share one series.
OTHER_METHOD = "OTHER"
# The status label of a request whose client went away before the answer (nginx's "client closed request").
CLIENT_CLOSED_REQUEST = 499
_KNOWN_METHODS = frozenset(catalog.HTTP_METHOD.split("|"))
# Where the middleware leaves the request's arrival time (time.perf_counter) in the ASGI scope.
REQUEST_STARTED = "mlmon.request_started"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NOT_LOGGED = json.dumps(
    {
        "detail": "the prediction could not be written to the prediction log "
        "(durable mode answers only what it has stored); retry later"
    }
).encode()


class DurableResponses(Protocol):
    """Durable mode: hold each response until the rows its request logged are stored."""

    def start(self) -> object | None:
        """Called before the app handles a request; a token for :meth:`settled`, or None (not durable)."""

    async def settled(self, token: object) -> bool:
        """Wait until the request's rows are stored; False when they could not be."""


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


class MetricsMiddleware:
    """Pure ASGI middleware: request metrics by route template, ``GET /metrics``, and closing hooks at shutdown."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: ApiMetrics,
        metrics_path: str | None = "/metrics",
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
        durable: DurableResponses | None = None,
    ):
        self.app = app
        self.metrics = metrics
        self.metrics_path = metrics_path
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.durable = durable

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
        disconnected = False
        responded = False  # http.response.start went out (or was replaced)
        replaced = False  # durable mode answered 503 instead of the app's response
        token = self.durable.start() if self.durable is not None else None
        started = scope[REQUEST_STARTED] = time.perf_counter()
        self.metrics.active.inc()

        async def receive_wrapper() -> Message:
            nonlocal disconnected
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status, responded, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                responded = True
                if token is not None and not await self.durable.settled(token):  # type: ignore[union-attr]
                    replaced = True
                    status = 503
                    await _send_not_logged(send)
                    return
                # An answer to a client that already left reaches nobody: a client abort.
                status = CLIENT_CLOSED_REQUEST if disconnected else message["status"]
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        except Exception:
            if not (disconnected and not responded):
                raise
            # The client went away mid-body (the framework's body reader raised): nobody to answer.
            status = CLIENT_CLOSED_REQUEST
            log.info(
                "client disconnected before the response: %s %s", method, route_template(scope)
            )
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


async def _send_not_logged(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_NOT_LOGGED)).encode()),
                (b"retry-after", b"1"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _NOT_LOGGED})
