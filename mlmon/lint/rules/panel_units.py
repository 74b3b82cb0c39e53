"""panel-units: panels that show numbers say in which unit, and Grafana knows it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from mlmon.lint.dashboard import Dashboard, Panel
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule
from mlmon.lint.units import is_known_unit

UNIT_PANELS = frozenset({"timeseries", "graph", "stat", "gauge", "bargauge", "singlestat"})


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _override_properties(panel: Panel) -> Iterator[dict[str, Any]]:
    overrides = _mapping(panel.raw.get("fieldConfig")).get("overrides")
    for override in overrides if isinstance(overrides, list) else ():
        properties = _mapping(override).get("properties")
        for prop in properties if isinstance(properties, list) else ():
            if isinstance(prop, dict):
                yield prop


def panel_unit(panel: Panel) -> Any:
    """The unit a panel draws its values in: an override's, the field default, else a legacy format."""
    for prop in _override_properties(panel):
        if prop.get("id") == "unit" and prop.get("value"):
            return prop["value"]
    defaults = _mapping(_mapping(panel.raw.get("fieldConfig")).get("defaults"))
    if defaults.get("unit"):
        return defaults["unit"]
    if panel.type == "graph":  # legacy graph: the left y axis
        axes = panel.raw.get("yaxes")
        if isinstance(axes, list) and axes and isinstance(axes[0], dict):
            return axes[0].get("format")
    if panel.type == "singlestat":  # legacy singlestat
        return panel.raw.get("format")
    return None


def shows_text(panel: Panel) -> bool:
    """Values are shown as text, not numbers: value mappings, or a stat reading non-numeric fields."""
    defaults = _mapping(_mapping(panel.raw.get("fieldConfig")).get("defaults"))
    if defaults.get("mappings"):
        return True
    if any(p.get("id") == "mappings" and p.get("value") for p in _override_properties(panel)):
        return True
    fields = _mapping(_mapping(panel.raw.get("options")).get("reduceOptions")).get("fields")
    # Grafana's default "" means numeric fields; anything else (a name or /regex/) picks fields to show as text.
    return panel.type == "stat" and isinstance(fields, str) and fields != ""


class PanelUnits(Rule):
    name = "panel-units"
    level = Level.WARNING
    description = (
        "Time series, graph, stat, gauge, bar gauge and singlestat panels set a unit Grafana knows "
        "(fieldConfig.defaults.unit, or an override); panels that show values as text (value mappings, "
        "a stat of non-numeric fields) need none."
    )
    hint = 'set fieldConfig.defaults.unit, e.g. "s", "bytes", "percentunit", "reqps" or "short" for plain counts'

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        if panel.type not in UNIT_PANELS or panel.is_library or shows_text(panel):
            return
        unit = panel_unit(panel)
        if not unit:
            yield self.finding(where, f"{panel.type} panel has no unit")
        elif not isinstance(unit, str) or not is_known_unit(unit):
            yield self.finding(
                where,
                f"{panel.type} panel has unit {unit!r}, which is not one of Grafana's units: Grafana "
                "shows it as a plain suffix, and no scaling (k, M, ms to s) applies",
                f'if {unit!r} is a typo, use a unit id from Grafana\'s unit picker ("s", "bytes", '
                f'"reqps"...); if a suffix is meant, say so: "suffix:{unit}"',
            )


RULES = (PanelUnits,)
