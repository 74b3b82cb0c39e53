"""Checks shared by the authoring helpers (fail early, at import) and the compiler (fail for any source).

Each raises :class:`mlmon.errors.SourceError` naming the file (when known),
the rule and what to do.
"""

from __future__ import annotations

import math
import re

from mlmon.alerts.durations import seconds
from mlmon.errors import SourceError

# Prometheus requires alert names to be valid metric names; Grafana uses the
# title as the alertname label. One name in both keeps routing rules portable.
ALERT_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def check_alert_name(title: object, *, source: str | None = None) -> str:
    if not isinstance(title, str) or not ALERT_NAME.fullmatch(title):
        raise SourceError(
            f"rule name {title!r} is not a valid alert name",
            source=source,
            item=str(title),
            hint="use CamelCase letters, digits and _ (e.g. DataDriftDetected): "
            "Prometheus requires it and Grafana shows it as alertname",
        )
    return title


def check_threshold(value: object, *, item: str, source: str | None = None) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SourceError(
            f"threshold {value!r} ({type(value).__name__}) is not a finite number",
            source=source,
            item=item,
            hint="write the number itself, e.g. below=0.85, not below='0.85'",
        )
    return value


def check_for(value: object, *, item: str, source: str | None = None) -> str:
    if value is None or value == "":
        raise SourceError(
            "the rule has no `for` duration",
            source=source,
            item=item,
            hint="add for_='5m' (how long the condition must hold; '0s' fires at once)",
        )
    seconds(value, what="for", source=source, item=item)
    assert isinstance(value, str)  # seconds() raised SourceError for anything else
    return value


def check_interval(value: object, *, item: str, source: str | None = None) -> int:
    interval = seconds(value, what="interval", source=source, item=item)
    if interval < 10 or interval % 10:
        raise SourceError(
            f"interval {value!r} must be a multiple of 10s",
            source=source,
            item=item,
            hint="Grafana evaluates rules on a 10-second grid",
        )
    return interval
