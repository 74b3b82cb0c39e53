"""target-promql: panel targets and alert expressions are valid PromQL; panel references point at a panel."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard, Panel
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Query, Rule


class TargetPromql(Rule):
    name = "target-promql"
    level = Level.ERROR
    description = (
        "Panel targets and alert expressions on Prometheus parse as PromQL (after substituting Grafana "
        "variables), and a target that reuses another panel's results (panelId) names a panel that exists."
    )
    hint = "fix the expression; check it in Prometheus's expression browser or with `promtool query instant`"

    def check_unparsable(self, query: Query) -> Iterable[Finding]:
        if query.origin != "variable":
            yield self.finding(query.location, f"invalid PromQL: {query.error}")

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        known = dashboard.panel_ids
        if known is None:
            return  # Grafana numbers id-less panels on load: which panel an id means is unknown here
        for target in panel.targets:
            reused = target.panel_id
            if reused is not None and target.expr is None and reused not in known:
                yield self.finding(
                    dashboard.panel_location(panel, json_path=target.path),
                    f"target {target.ref_id or '?'} reuses the results of panel id {reused}, "
                    "which is not in the dashboard",
                    "point panelId at an existing panel's id, or give the target its own query",
                )


RULES = (TargetPromql,)
