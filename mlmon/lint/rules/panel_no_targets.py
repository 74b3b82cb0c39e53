"""panel-no-targets: data panels have at least one query."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard, Panel
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule


class PanelNoTargets(Rule):
    name = "panel-no-targets"
    level = Level.ERROR
    description = "Every data panel has at least one target (query)."
    hint = "add a target with an expr, or make the panel a text panel"

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        if panel.shows_data and not panel.targets:
            yield self.finding(where, f"{panel.type or 'untyped'} panel has no targets")


RULES = (PanelNoTargets,)
