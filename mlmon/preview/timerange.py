"""The dashboard's time range and the intervals Grafana derives from it ($__interval, $__rate_interval)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from mlmon.errors import MlmonError

_RELATIVE = re.compile(r"^(?:now)?\s*-?\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$")
_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "y": 31536000,
}


class TimeRangeError(MlmonError):
    """``--from``/``--to`` that cannot be read (the CLI exits with 2)."""


def parse_time(text: str, now: float) -> float:
    """Epoch seconds from ``now``, ``now-1h``, ``1h`` (an hour ago), an epoch number or an ISO 8601 time."""
    value = text.strip()
    if value == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        return now - float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TimeRangeError(
            f"cannot read the time {text!r}: use now, now-6h, 6h, an epoch number or 2026-12-01T10:00:00Z"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class TimeRange:
    start: float
    end: float
    raw_from: str = ""
    raw_to: str = "now"

    @classmethod
    def parse(cls, raw_from: str, raw_to: str = "now", now: float | None = None) -> TimeRange:
        now = time.time() if now is None else now
        start, end = parse_time(raw_from, now), parse_time(raw_to, now)
        if start >= end:
            raise TimeRangeError(f"--from {raw_from} is not before --to {raw_to}")
        return cls(start, end, raw_from, raw_to)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def label(self) -> str:
        """``Last 1 hour`` for a range ending now, else both ends in UTC."""
        if self.raw_to.strip() == "now":
            return f"Last {describe(self.seconds)}"

        def stamp(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")

        return f"{stamp(self.start)} to {stamp(self.end)} UTC"


def describe(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = int(round(seconds))
    return f"{count} second{'s' if count != 1 else ''}"


# Grafana's roundInterval: (upper bound, interval), both in milliseconds.
_NICE_INTERVALS_MS = (
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1500, 1000),
    (3500, 2000),
    (7500, 5000),
    (12500, 10000),
    (17500, 15000),
    (25000, 20000),
    (45000, 30000),
    (90000, 60000),
    (210000, 120000),
    (450000, 300000),
    (750000, 600000),
    (1050000, 900000),
    (1500000, 1200000),
    (2700000, 1800000),
    (5400000, 3600000),
    (9000000, 7200000),
    (16200000, 10800000),
    (32400000, 21600000),
    (86400000, 43200000),
    (604800000, 86400000),
    (1814400000, 604800000),
    (3628800000, 2592000000),
)


def round_interval(seconds: float) -> float:
    milliseconds = seconds * 1000
    for bound, nice in _NICE_INTERVALS_MS:
        if milliseconds < bound:
            return nice / 1000
    return 31536000.0


def panel_interval(range_seconds: float, max_data_points: int, min_interval: float) -> float:
    """``$__interval``: the range over the panel's data points, rounded, never below the scrape interval."""
    return max(round_interval(range_seconds / max(max_data_points, 1)), min_interval)


def rate_interval(interval: float, scrape_interval: float) -> float:
    """``$__rate_interval``: at least four scrapes, and one scrape more than the step."""
    return max(interval + scrape_interval, 4 * scrape_interval)


def promql_duration(seconds: float) -> str:
    """A duration as Grafana writes it into PromQL (``15s``, ``2m``, ``1h``, ``500ms``)."""
    milliseconds = round(seconds * 1000)
    if milliseconds % 1000:
        return f"{milliseconds}ms"
    whole = milliseconds // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def parse_duration(text: str) -> float:
    """Seconds from a Prometheus-style duration (``15s``, ``1m30s``)."""
    total, rest = 0.0, text.strip()
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", rest):
        total += float(number) * _UNIT_SECONDS[unit]
    if not total or not math.isfinite(total):
        raise TimeRangeError(f"cannot read the duration {text!r} (e.g. 15s, 1m)")
    return total
