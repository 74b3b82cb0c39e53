"""Prometheus/Grafana durations ("1m30s") as text and as seconds."""

from __future__ import annotations

import re

from mlmon.errors import SourceError

_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(text: object, *, what: str, source: str | None = None, item: str | None = None) -> int:
    """``text`` in whole seconds; SourceError (naming ``what``) unless it is a Prometheus duration."""
    if not isinstance(text, str) or not _DURATION.fullmatch(text):
        raise SourceError(
            f"{what} {text!r} is not a duration",
            source=source,
            item=item,
            hint="write a Prometheus duration such as '30s', '5m' or '1h30m'",
        )
    total = 0.0
    for number, unit in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", text):
        total += int(number) * _UNIT_SECONDS[unit]
    return int(total)
