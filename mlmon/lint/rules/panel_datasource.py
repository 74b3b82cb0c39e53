"""panel-datasource: Prometheus panels query the templated datasource, not a fixed one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from mlmon.lint.dashboard import Dashboard, Panel, variable_reference
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule


def is_templated(dashboard: Dashboard, datasource: Any) -> bool:
    uid = datasource.get("uid") if isinstance(datasource, dict) else datasource
    name = variable_reference(uid)
    variable = dashboard.variable(name) if name else None
    return variable is not None and variable.type == "datasource"


class PanelDatasource(Rule):
    name = "panel-datasource"
    level = Level.ERROR
    description = "Panels with Prometheus queries use the templated datasource variable."
    hint = 'set the panel (or target) datasource to {"type": "prometheus", "uid": "${datasource}"}'

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        if not panel.shows_data:
            return
        fixed = {
            "the default datasource"
            if target.datasource is None
            else json.dumps(target.datasource, sort_keys=True)
            for target in panel.targets
            if dashboard.is_prometheus(target) and not is_templated(dashboard, target.datasource)
        }
        if fixed:
            yield self.finding(where, f"queries a fixed datasource: {', '.join(sorted(fixed))}")


RULES = (PanelDatasource,)
