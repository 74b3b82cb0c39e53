"""Serve the API with uvicorn and the limits a service exposed to clients needs.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and can
answer 503 beyond a number of connections and tasks (``limit_concurrency``),
but it has no deadline for a request's headers: a client sending one byte at
a time (slowloris) holds a connection for ever. :func:`header_timeout_protocol`
adds one — every connection must deliver a complete request head within
``header_timeout`` seconds of connecting or of its previous response, or it
is closed. The body has its own deadline in :mod:`ml_api.limits` (408).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ml_api.settings import Settings

log = logging.getLogger(__name__)


def header_timeout_protocol(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing connections whose request head takes longer than ``seconds``."""

    class HeaderTimeoutProtocol(H11Protocol):
        _head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_deadline()

        def data_received(self, data: bytes) -> None:
            waiting_for_head = self.cycle is None or self.cycle.response_complete
            if waiting_for_head:
                self._arm_head_deadline()
            super().data_received(data)
            if self.cycle is not None and not self.cycle.response_complete:
                self._cancel_head_deadline()  # a complete head arrived: the app has the request

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._cancel_head_deadline()  # keep-alive's own timeout runs until the next byte

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_deadline()
            super().connection_lost(exc)

        def _arm_head_deadline(self) -> None:
            if self._head_deadline is None:
                self._head_deadline = self.loop.call_later(seconds, self._head_too_slow)

        def _cancel_head_deadline(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_too_slow(self) -> None:
            self._head_deadline = None
            if not self.transport.is_closing():
                log.debug("closing %s: no complete request head within %.0fs", self.client, seconds)
                self.transport.close()

    return HeaderTimeoutProtocol


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The server the reference API runs on: bound to ``settings.host``, with its limits."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": header_timeout_protocol(settings.header_timeout),
        "timeout_keep_alive": settings.keepalive_timeout,
        "limit_concurrency": settings.limit_concurrency,
        "timeout_graceful_shutdown": 30,
        "log_level": "warning",
        "access_log": False,
        **overrides,
    }
    return uvicorn.Config(app, **options)


def serve(app: Any, settings: Settings, **overrides: Any) -> None:
    uvicorn.Server(uvicorn_config(app, settings, **overrides)).run()
