"""uneditable-dashboard: dashboards provisioned from code are not editable in the UI (configurable)."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule


class UneditableDashboard(Rule):
    name = "uneditable-dashboard"
    level = Level.WARNING
    description = (
        'Dashboards set "editable": false: their source of truth is the code, and a UI edit would '
        "make the next push stop with a conflict "
        "(set rules.uneditable-dashboard.editable: true in .mlmon-lint.yml to require the opposite)."
    )
    hint = 'set "editable": false (change the dashboard in its source and push it instead)'

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        expected = bool(self.settings.get("editable", False))
        actual = dashboard.raw.get("editable", True)  # Grafana's default is editable
        if actual != expected:
            yield self.finding(
                where,
                f'dashboard has "editable": {str(actual).lower()}, expected {str(expected).lower()}',
                None if not expected else 'set "editable": true',
            )


RULES = (UneditableDashboard,)
