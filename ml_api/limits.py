"""Request-body limits enforced after routing, so a 413 or 408 is counted under its route template:
a size limit (413) and a deadline for the whole body (408), so a client trickling its body cannot
hold a request open for ever."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute


class _TooLarge(Exception):
    pass


def body_limited_route(max_bytes: int, timeout: float = 30.0) -> type[APIRoute]:
    """An ``APIRoute`` class that answers 413 when a body exceeds ``max_bytes`` (declared or streamed)
    and 408 when it has not arrived in full within ``timeout`` seconds."""

    class BodyLimitedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[None, None, Response]]:
            handler = super().get_route_handler()

            async def limited(request: Request) -> Response:
                try:
                    declared = int(request.headers.get("content-length", "0"))
                except ValueError:
                    declared = 0
                body = bytearray()
                try:
                    if declared > max_bytes:
                        raise _TooLarge
                    async with asyncio.timeout(timeout):
                        async for chunk in request.stream():
                            body += chunk
                            if len(body) > max_bytes:
                                raise _TooLarge
                except TimeoutError:
                    return JSONResponse(
                        status_code=408,
                        content={
                            "detail": f"request body not received within {timeout:g} s "
                            "(API_BODY_TIMEOUT); send the whole body at once"
                        },
                        headers={"connection": "close"},
                    )
                except _TooLarge:
                    return JSONResponse(
                        status_code=413,
                        content={
                            "detail": f"request body larger than {max_bytes} bytes; "
                            "send fewer instances per batch (or raise MAX_BODY_BYTES)"
                        },
                    )
                request._body = bytes(body)  # what Request.body() returns from now on
                return await handler(request)

            return limited

    return BodyLimitedRoute
