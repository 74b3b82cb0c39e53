"""panel-title-description: every panel says what it shows."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard, Panel
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule


class PanelTitleDescription(Rule):
    name = "panel-title-description"
    level = Level.WARNING
    description = "Data panels have a title and a description (shown as the panel's (i) tooltip)."
    hint = "give the panel a title and a description saying what it shows and what to do when it looks wrong"

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        if not panel.shows_data:
            return
        missing = [
            key for key in ("title", "description") if not str(panel.raw.get(key) or "").strip()
        ]
        if missing:
            yield self.finding(where, f"panel has no {' and no '.join(missing)}")


RULES = (PanelTitleDescription,)
