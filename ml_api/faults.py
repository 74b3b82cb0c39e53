"""A test-only fault hook: lets the traffic simulator ask for latency spikes and server errors.

Off unless the API runs with ``ML_API_FAULTS=1``; when off, the headers are ignored.
The delay is bounded so a stray header cannot tie up a worker for long.
"""

from __future__ import annotations

import asyncio
import math

from fastapi import HTTPException, Request

from ml_api.contract import DELAY_HEADER, STATUS_HEADER

MAX_DELAY = 5.0


async def apply_faults(request: Request, enabled: bool) -> None:
    if not enabled:
        return
    delay = request.headers.get(DELAY_HEADER)
    if delay:
        try:
            seconds = float(delay)
        except ValueError:
            seconds = math.nan
        if not 0 <= seconds <= MAX_DELAY:  # also false for NaN
            raise HTTPException(
                400, f"{DELAY_HEADER} must be 0 to {MAX_DELAY:g} seconds, not {delay!r}"
            )
        await asyncio.sleep(seconds)
    status = request.headers.get(STATUS_HEADER)
    if status:
        if not status.isdigit() or not 500 <= int(status) <= 599:
            raise HTTPException(400, f"{STATUS_HEADER} must be a 5xx status, not {status!r}")
        raise HTTPException(
            int(status), "fault injected by the traffic simulator (ML_API_FAULTS=1)"
        )
