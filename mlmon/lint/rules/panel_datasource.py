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


def _describe(datasource: Any) -> str:
    if datasource is None:
        return "the default datasource"
    return json.dumps(datasource, sort_keys=True)


class PanelDatasource(Rule):
    name = "panel-datasource"
    level = Level.ERROR
    description = (
        "Data panels on Prometheus (or on a datasource whose type the JSON does not say, such as a legacy "
        "name) use a datasource variable; Loki, SQL and Grafana's built-in datasources are left alone."
    )
    hint = 'set the panel (or target) datasource to {"type": "prometheus", "uid": "${datasource}"}'

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        if not panel.shows_data:
            return
        fixed = {
            _describe(target.datasource)
            for target in panel.targets
            if dashboard.is_prometheus(target) and not is_templated(dashboard, target.datasource)
        }
        own = panel.datasource
        if (
            own is not None
            and dashboard.runs_promql(own)
            and not is_templated(dashboard, own)
            and not any(t.raw.get("datasource") is not None for t in panel.targets)
        ):
            fixed.add(
                _describe(own)
            )  # a panel-level choice its targets inherit (or no targets yet)
        if fixed:
            yield self.finding(where, f"queries a fixed datasource: {', '.join(sorted(fixed))}")


RULES = (PanelDatasource,)
