"""panel-units: panels that show numbers say in which unit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlmon.lint.dashboard import Dashboard, Panel
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule

UNIT_PANELS = frozenset({"timeseries", "graph", "stat", "gauge", "bargauge", "singlestat"})


def panel_unit(panel: Panel) -> Any:
    if panel.type == "graph":  # legacy graph: the left y axis
        axes = panel.raw.get("yaxes")
        return (
            axes[0].get("format")
            if isinstance(axes, list) and axes and isinstance(axes[0], dict)
            else None
        )
    if panel.type == "singlestat":
        return panel.raw.get("format")
    field_config = panel.raw.get("fieldConfig")
    defaults = field_config.get("defaults") if isinstance(field_config, dict) else None
    return defaults.get("unit") if isinstance(defaults, dict) else None


class PanelUnits(Rule):
    name = "panel-units"
    level = Level.WARNING
    description = (
        "Time series, stat, gauge and bar gauge panels set a unit (fieldConfig.defaults.unit)."
    )
    hint = 'set fieldConfig.defaults.unit, e.g. "s", "bytes", "percentunit", "reqps" or "short" for plain counts'

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        if panel.type in UNIT_PANELS and not panel.is_library and not panel_unit(panel):
            yield self.finding(where, f"{panel.type} panel has no unit")


RULES = (PanelUnits,)
