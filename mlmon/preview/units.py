"""Grafana's value formatting for the units mlmon emits, so a preview reads like Grafana.

Follows the rules of Grafana's ``valueFormats`` (``toFixed`` with its automatic
decimals, ``scaledUnits``, the time, data and throughput formatters and
``dateTimeFromNow``), reimplemented here. A unit this module does not know is
shown the way Grafana shows an unknown unit id: the number followed by the id.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence

Formatter = Callable[[float, int | None], str]

# Units whose tick labels and values this module formats as Grafana does.
KNOWN_UNITS = (
    "none",
    "short",
    "percent",
    "percentunit",
    "s",
    "ms",
    "bytes",
    "decbytes",
    "Bps",
    "reqps",
    "ops",
    "cps",
    "dateTimeFromNow",
)


def js_number(value: float) -> str:
    """``String(value)`` as JavaScript writes it (integers without ``.0``, exponents as ``1e-7``)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = (
            f"{mantissa.removesuffix('.0')}e{'+' if int(exponent) > 0 else '-'}{abs(int(exponent))}"
        )
    return text


def auto_decimals(value: float) -> int:
    """The decimals Grafana shows when the panel sets none (one significant digit more below 2.25)."""
    magnitude = abs(value)
    if magnitude == 0 or not math.isfinite(magnitude):
        return 0
    log10 = math.floor(math.log10(magnitude))
    decimals = -log10 + 1
    if magnitude / 10.0 ** (-decimals) > 2.25:
        decimals += 1
    if value % 1 == 0:
        decimals = 0
    return max(0, decimals)


def to_fixed(value: float, decimals: int | None = None) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if math.isnan(value):
        return "NaN"
    if decimals is None:
        decimals = auto_decimals(value)
    if value == 0:
        return f"{0:.{max(decimals, 0)}f}"
    factor = 10 ** max(0, decimals) if decimals else 1
    # JavaScript's Math.round rounds halves up, not to even.
    formatted = js_number(math.floor(value * factor + 0.5) / factor)
    if "e" in formatted:
        return formatted
    point = formatted.find(".")
    precision = 0 if point == -1 else len(formatted) - point - 1
    if precision < decimals:
        return (formatted if precision else formatted + ".") + "0" * (decimals - precision)
    return formatted


def scaled(factor: int, suffixes: Sequence[str], offset: int = 0) -> Formatter:
    """Grafana's ``scaledUnits``: divide by ``factor`` per step and pick the step's suffix."""

    def format_value(value: float, decimals: int | None) -> str:
        if not math.isfinite(value):
            return to_fixed(value)
        step = math.floor(math.log(abs(value), factor)) if value else 0
        # Floating point: log(1000**2, 1000) may land just below 2.
        if value and abs(value) >= factor ** (step + 1):
            step += 1
        index = min(max(offset + step, 0), len(suffixes) - 1)
        power = min(max(step, -offset), len(suffixes) - offset - 1)
        return to_fixed(value / factor**power, decimals) + suffixes[index]

    return format_value


def _count(symbol: str) -> Formatter:
    scaler = scaled(1000, ("", "K", "M", "B", "T"))
    return lambda value, decimals: f"{scaler(value, decimals)} {symbol}"


def _fixed_unit(suffix: str) -> Formatter:
    return lambda value, decimals: to_fixed(value, decimals) + (f" {suffix}" if suffix else "")


def _seconds(value: float, decimals: int | None) -> str:
    size = abs(value)
    if value == 0:
        return "0 s"
    if size < 1e-6:
        return to_fixed(value * 1e9, decimals) + " ns"
    if size < 1e-3:
        return to_fixed(value * 1e6, decimals) + " µs"
    if size < 1:
        return to_fixed(value * 1e3, decimals) + " ms"
    for limit, divisor, name in (
        (60, 1, "s"),
        (3600, 60, "min"),
        (86400, 3600, "hour"),
        (604800, 86400, "day"),
        (31536000, 604800, "week"),
    ):
        if size < limit:
            return f"{to_fixed(value / divisor, decimals)} {name}"
    return f"{to_fixed(value / 3.15569e7, decimals)} year"


def _milliseconds(value: float, decimals: int | None) -> str:
    size = abs(value)
    for limit, divisor, name in (
        (1000, 1, "ms"),
        (60000, 1000, "s"),
        (3600000, 60000, "min"),
        (86400000, 3600000, "hour"),
        (31536000000, 86400000, "day"),
    ):
        if size < limit:
            return f"{to_fixed(value / divisor, decimals)} {name}"
    return f"{to_fixed(value / 31536000000, decimals)} year"


def from_now(epoch_ms: float, now: float | None = None) -> str:
    """moment's ``fromNow()`` (Grafana's ``dateTimeFromNow``): the value is epoch *milliseconds*."""
    now_ms = (time.time() if now is None else now) * 1000
    delta = (epoch_ms - now_ms) / 1000
    seconds = abs(delta)

    def rounded(unit_seconds: float) -> int:
        return math.floor(seconds / unit_seconds + 0.5)

    minutes, hours, days = rounded(60), rounded(3600), rounded(86400)
    months, years = rounded(86400 * 30.436875), rounded(86400 * 365.2425)
    if rounded(1) <= 44:
        text = "a few seconds"
    elif minutes <= 1:
        text = "a minute"
    elif minutes < 45:
        text = f"{minutes} minutes"
    elif hours <= 1:
        text = "an hour"
    elif hours < 22:
        text = f"{hours} hours"
    elif days <= 1:
        text = "a day"
    elif days < 26:
        text = f"{days} days"
    elif months <= 1:
        text = "a month"
    elif months < 11:
        text = f"{months} months"
    elif years <= 1:
        text = "a year"
    else:
        text = f"{years} years"
    return f"in {text}" if delta > 0 else f"{text} ago"


_BINARY = tuple(f" {prefix}B" for prefix in ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"))
_SI = ("f", "p", "n", "µ", "m", "", "k", "M", "G", "T", "P", "E", "Z", "Y")

_FORMATTERS: dict[str, Formatter] = {
    "none": _fixed_unit(""),
    "short": scaled(1000, ("", " K", " Mil", " Bil", " Tri", " Quadr", " Quint", " Sext", " Sept")),
    "percent": lambda value, decimals: to_fixed(value, decimals) + "%",
    "percentunit": lambda value, decimals: to_fixed(100 * value, decimals) + "%",
    "s": _seconds,
    "ms": _milliseconds,
    "bytes": scaled(1024, _BINARY),
    "decbytes": scaled(1000, tuple(f" {p}B" for p in _SI), _SI.index("")),
    "Bps": scaled(1000, tuple(f" {p}B/s" for p in _SI), _SI.index("")),
    "reqps": _count("req/s"),
    "ops": _count("ops"),
    "cps": _count("cps"),
    "dateTimeFromNow": lambda value, decimals: from_now(value),
}


def format_value(value: float | None, unit: str | None, decimals: int | None = None) -> str:
    """``value`` as Grafana displays it in ``unit`` (``None``: empty, as Grafana shows a null)."""
    if value is None:
        return ""
    unit = unit or "none"
    formatter = _FORMATTERS.get(unit)
    if formatter is not None:
        return formatter(value, decimals)
    if unit.startswith("suffix:"):
        return to_fixed(value, decimals) + unit.removeprefix("suffix:")
    if unit.startswith("prefix:"):
        return unit.removeprefix("prefix:") + to_fixed(value, decimals)
    # Grafana shows an unknown unit id after the number, which is what the user would see too.
    return f"{to_fixed(value, decimals)} {unit}"


def is_known(unit: str | None) -> bool:
    return not unit or unit in _FORMATTERS or unit.startswith(("suffix:", "prefix:"))


def axis_labels(ticks: Sequence[float], unit: str | None, decimals: int | None) -> list[str]:
    """Tick labels in ``unit`` with the decimals the tick step needs in the unit's scale (0.8 stays 0.8)."""
    if decimals is not None or unit == "dateTimeFromNow" or not ticks:
        return [format_value(t, unit, decimals) for t in ticks]
    places = 0
    if len(ticks) > 1:
        largest = max(ticks, key=abs)
        shown = _LEADING_NUMBER.match(format_value(largest, unit, 6))
        scale = float(shown.group(0)) / largest if shown and largest else 1.0
        step = abs(ticks[1] - ticks[0]) * abs(scale)
        while places < 6 and abs(round(step, places) - step) > 1e-9 * max(step, 1):
            places += 1
    for extra in range(0, 4):
        labels = [format_value(t, unit, places + extra) for t in ticks]
        if len(set(labels)) == len(labels):
            return labels
    return [format_value(t, unit) for t in ticks]


_LEADING_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?")
