"""Colours as Grafana's dark theme picks them: named colours, the classic palette, thresholds, value mappings."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlmon.preview.units import js_number

# Grafana's dark-theme visualisation hues (super-light, light, base, semi-dark, dark).
_HUES = {
    "red": ("#FFA6B0", "#FF7383", "#F2495C", "#E02F44", "#C4162A"),
    "orange": ("#FFCB7D", "#FFB357", "#FF9830", "#FF780A", "#FA6400"),
    "yellow": ("#FFF899", "#FFEE52", "#FADE2A", "#F2CC0C", "#E0B400"),
    "green": ("#C8F2C2", "#96D98D", "#73BF69", "#56A64B", "#37872D"),
    "blue": ("#C0D8FF", "#8AB8FF", "#5794F2", "#3274D9", "#1F60C4"),
    "purple": ("#DEB6F2", "#CA95E5", "#B877D9", "#A352CC", "#8F3BB8"),
}
_SHADES = ("super-light-{}", "light-{}", "{}", "semi-dark-{}", "dark-{}")
NAMED = {
    shade.format(hue): color
    for hue, colors in _HUES.items()
    for shade, color in zip(_SHADES, colors)
}

# Dark theme surfaces and text.
BACKGROUND = "#111217"
PANEL = "#181B1F"
PANEL_BORDER = "#2C3235"
TEXT = "#CCCCDC"
TEXT_WEAK = "#8E8E9E"
GRID = "#2A2D33"
NAMED |= {"text": TEXT, "panel-bg": PANEL, "transparent": "#00000000"}

# palette-classic: series colours in order (the first eighteen are named colours).
CLASSIC_PALETTE = [
    NAMED[name]
    for name in (
        "green",
        "yellow",
        "blue",
        "orange",
        "red",
        "purple",
        "dark-green",
        "dark-yellow",
        "dark-blue",
        "dark-orange",
        "dark-red",
        "dark-purple",
        "super-light-green",
        "super-light-yellow",
        "super-light-blue",
        "super-light-orange",
        "super-light-red",
        "super-light-purple",
    )
] + ["#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477", "#B7DBAB", "#F4D598"]

# Grafana's colour when a panel gives none (FALLBACK_COLOR).
FALLBACK = "#808080"


def resolve(name: str | None) -> str:
    """A Grafana colour name (``green``, ``semi-dark-red``, ``#73BF69``, ``rgb(...)``, CSS names) as a CSS colour."""
    if not name:
        return FALLBACK
    if name in NAMED:
        return NAMED[name]
    if name.startswith("#") or name.startswith("rgb"):
        return name
    return name.lower()  # CSS colour names; matplotlib and browsers know them


def palette_color(index: int) -> str:
    return CLASSIC_PALETTE[index % len(CLASSIC_PALETTE)]


@dataclass(frozen=True)
class Step:
    color: str
    value: float  # -inf for the base step


def threshold_steps(field_config: Mapping[str, Any]) -> tuple[str, list[Step]]:
    """``(mode, steps)`` from a field config's ``thresholds``; Grafana's default is green, red from 80."""
    thresholds = field_config.get("thresholds") or {
        "mode": "absolute",
        "steps": [{"color": "green", "value": None}, {"color": "red", "value": 80}],
    }
    steps = [
        Step(
            resolve(step.get("color")),
            -math.inf if step.get("value") is None else float(step["value"]),
        )
        for step in thresholds.get("steps") or []
    ]
    steps.sort(key=lambda s: s.value)
    return str(thresholds.get("mode") or "absolute"), steps or [Step(FALLBACK, -math.inf)]


def active_step(
    value: float,
    steps: Sequence[Step],
    mode: str = "absolute",
    min_value: float | None = None,
    max_value: float | None = None,
) -> Step:
    """The threshold step that colours ``value``: the last one whose value it reaches."""
    if mode == "percentage":
        low = 0.0 if min_value is None else min_value
        high = 100.0 if max_value is None else max_value
        value = 0.0 if high == low else (value - low) / (high - low) * 100
    active = steps[0]
    for step in steps:
        if value >= step.value:
            active = step
        else:
            break
    return active


@dataclass(frozen=True)
class MappingResult:
    text: str | None
    color: str | None


def map_value(
    value: float | str | None, mappings: Sequence[Mapping[str, Any]]
) -> MappingResult | None:
    """The first value mapping that matches ``value`` (value, range, regex, special), as Grafana applies them."""
    for mapping in mappings or ():
        kind = mapping.get("type")
        options = mapping.get("options") or {}
        result: Mapping[str, Any] | None = None
        if kind == "value" and value is not None:
            key = js_number(value) if isinstance(value, float) else str(value)
            result = options.get(key)
        elif kind == "range" and value is not None:
            number = _as_number(value)
            if number is None:
                continue
            low, high = options.get("from"), options.get("to")
            if low is not None and number < float(low):
                continue
            if high is not None and number > float(high):
                continue
            result = options.get("result")
        elif kind == "regex" and value is not None:
            text = js_number(value) if isinstance(value, float) else str(value)
            pattern = str(options.get("pattern", ""))
            if pattern and re.search(_python_regex(pattern), text):
                result = options.get("result")
        elif kind == "special":
            if _special_matches(str(options.get("match", "")), value):
                result = options.get("result")
        if result:
            return MappingResult(
                result.get("text"), resolve(result["color"]) if result.get("color") else None
            )
    return None


def _as_number(value: float | str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _special_matches(match: str, value: float | str | None) -> bool:
    is_nan = isinstance(value, float) and math.isnan(value)
    return {
        "null": value is None,
        "nan": is_nan,
        "null+nan": value is None or is_nan,
        "true": value is True or value == "true",
        "false": value is False or value == "false",
        "empty": value == "",
    }.get(match, False)


def _python_regex(pattern: str) -> str:
    # Grafana accepts /pattern/flags as well as a bare pattern.
    if len(pattern) > 1 and pattern.startswith("/") and pattern.rfind("/") > 0:
        return pattern[1 : pattern.rfind("/")]
    return pattern
