"""A panel's field config (unit, decimals, min/max, thresholds, mappings, colour mode) and what it makes of a value."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmon.preview import colors, units

REDUCERS = {
    "lastNotNull": "Last *",
    "last": "Last",
    "firstNotNull": "First *",
    "first": "First",
    "mean": "Mean",
    "max": "Max",
    "min": "Min",
    "sum": "Total",
    "count": "Count",
    "range": "Range",
    "delta": "Delta",
}


def reduce(values: np.ndarray, calc: str) -> float | None:
    """Grafana's standard calculations over one series (``None``: nothing to show)."""
    finite = values[~np.isnan(values)] if values.size else values
    if calc == "last":
        return None if not values.size or math.isnan(values[-1]) else float(values[-1])
    if calc == "first":
        return None if not values.size or math.isnan(values[0]) else float(values[0])
    if calc == "count":
        return float(values.size)
    if not finite.size:
        return None
    match calc:
        case "lastNotNull":
            return float(finite[-1])
        case "firstNotNull":
            return float(finite[0])
        case "mean":
            return float(finite.mean())
        case "max":
            return float(finite.max())
        case "min":
            return float(finite.min())
        case "sum":
            return float(finite.sum())
        case "range":
            return float(finite.max() - finite.min())
        case "delta":
            # Grafana's delta counts increases only (a counter reset starts again from zero).
            steps = np.diff(finite)
            return float(steps[steps > 0].sum())
    raise KeyError(calc)


@dataclass(frozen=True)
class Display:
    text: str
    color: str
    numeric: float | None


@dataclass
class FieldConfig:
    unit: str | None
    decimals: int | None
    min: float | None
    max: float | None
    mappings: list[Mapping[str, Any]]
    threshold_mode: str
    steps: list[colors.Step]
    color_mode: str
    fixed_color: str | None
    no_value: str
    custom: Mapping[str, Any]
    overrides: list[Mapping[str, Any]] = field(default_factory=list)
    display_name: str | None = None

    @classmethod
    def of(cls, panel: Mapping[str, Any]) -> FieldConfig:
        defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
        mode, steps = colors.threshold_steps(defaults)
        color = defaults.get("color") or {}
        decimals = defaults.get("decimals")
        return cls(
            unit=defaults.get("unit"),
            decimals=int(decimals) if decimals is not None else None,
            min=_float(defaults.get("min")),
            max=_float(defaults.get("max")),
            mappings=list(defaults.get("mappings") or []),
            threshold_mode=mode,
            steps=steps,
            color_mode=str(color.get("mode") or "thresholds"),
            fixed_color=color.get("fixedColor"),
            no_value=str(defaults.get("noValue") or "No data"),
            custom=defaults.get("custom") or {},
            overrides=list((panel.get("fieldConfig") or {}).get("overrides") or []),
        )

    def for_field(self, name: str, ref_id: str | None = None) -> FieldConfig:
        """This config with the panel's overrides that match the field (series or column) ``name`` applied."""
        config = self
        for override in self.overrides:
            matcher = override.get("matcher") or {}
            if _matches(matcher, name, ref_id):
                config = config._with(override.get("properties") or [])
        return config

    def _with(self, properties: list[Mapping[str, Any]]) -> FieldConfig:
        changed = dataclasses.replace(self, custom=dict(self.custom))
        for prop in properties:
            key, value = str(prop.get("id", "")), prop.get("value")
            if key == "color" and isinstance(value, Mapping):
                changed.color_mode = str(value.get("mode") or changed.color_mode)
                changed.fixed_color = value.get("fixedColor", changed.fixed_color)
            elif key == "thresholds" and isinstance(value, Mapping):
                changed.threshold_mode, changed.steps = colors.threshold_steps(
                    {"thresholds": value}
                )
            elif key in ("unit", "displayName", "noValue"):
                setattr(
                    changed,
                    {"unit": "unit", "displayName": "display_name", "noValue": "no_value"}[key],
                    value,
                )
            elif key in ("min", "max"):
                setattr(changed, key, _float(value))
            elif key == "decimals":
                changed.decimals = None if value is None else int(value)
            elif key == "mappings":
                changed.mappings = list(value or [])
            elif key.startswith("custom."):
                changed.custom[key.removeprefix("custom.")] = value  # type: ignore[index]
        return changed

    def format(self, value: float | None) -> str:
        return units.format_value(value, self.unit, self.decimals)

    def threshold_color(
        self, value: float, low: float | None = None, high: float | None = None
    ) -> str:
        step = colors.active_step(
            value,
            self.steps,
            self.threshold_mode,
            self.min if self.min is not None else low,
            self.max if self.max is not None else high,
        )
        return step.color

    def display(self, value: float | str | None, series_index: int = 0) -> Display:
        """Text and colour of one value, as Grafana's display processor picks them (mapping first)."""
        mapped = colors.map_value(value, self.mappings)
        numeric = None if isinstance(value, str) else _float(value)
        if numeric is not None and math.isnan(numeric):
            numeric = None
        text = mapped.text if mapped and mapped.text is not None else None
        if text is None:
            if numeric is not None:
                text = self.format(numeric)
            else:
                text = "" if value is None else str(value)
        color = mapped.color if mapped and mapped.color else None
        if color is None:
            color = self.base_color(numeric, series_index)
        return Display(text, color, numeric)

    def base_color(self, numeric: float | None, series_index: int = 0) -> str:
        if self.color_mode == "fixed":
            return colors.resolve(self.fixed_color)
        if self.color_mode.startswith("palette-classic"):
            return colors.palette_color(series_index)
        # thresholds (and unknown modes): a value that is not a number takes the base step.
        return self.threshold_color(-math.inf if numeric is None else numeric)

    def unsupported(self, panel: Mapping[str, Any]) -> list[str]:
        """Field-config features the preview does not apply: listed, never silently ignored."""
        problems = []
        for override in self.overrides:
            matcher = (override.get("matcher") or {}).get("id")
            if matcher not in _MATCHERS:
                problems.append(f"override matcher {matcher!r} not applied")
            for prop in override.get("properties") or []:
                key = str(prop.get("id", ""))
                if key not in _PROPERTIES and not key.startswith("custom."):
                    problems.append(f"override property {key!r} not applied")
        if not units.is_known(self.unit):
            problems.append(f"unit {self.unit!r} shown as a plain suffix")
        known_modes = ("thresholds", "fixed", "palette-classic", "palette-classic-by-name")
        if self.color_mode not in known_modes:
            problems.append(f"colour mode {self.color_mode!r} drawn as thresholds")
        return problems


_MATCHERS = ("byName", "byRegexp", "byFrameRefID")
_PROPERTIES = (
    "color",
    "thresholds",
    "unit",
    "displayName",
    "noValue",
    "min",
    "max",
    "decimals",
    "mappings",
)


def _matches(matcher: Mapping[str, Any], name: str, ref_id: str | None) -> bool:
    kind, option = matcher.get("id"), str(matcher.get("options", ""))
    if kind == "byName":
        return option == name
    if kind == "byRegexp":
        pattern = (
            option[1 : option.rfind("/")]
            if option.startswith("/") and option.rfind("/") > 0
            else option
        )
        try:
            return re.search(pattern, name) is not None
        except re.error:
            return False
    if kind == "byFrameRefID":
        return ref_id is not None and option == ref_id
    return False


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reducer_label(calc: str) -> str:
    return REDUCERS.get(calc, calc)
