"""template-datasource: the dashboard lets users pick the Prometheus datasource."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule


class TemplateDatasource(Rule):
    name = "template-datasource"
    level = Level.ERROR
    description = (
        "A dashboard with Prometheus queries has a templated Prometheus datasource variable."
    )
    hint = (
        'add a variable {"type": "datasource", "name": "datasource", "query": "prometheus"} '
        "and use ${datasource} in panels"
    )

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        if next(dashboard.prometheus_targets(), None) is None:
            return
        if not any(v.type == "datasource" and v.query == "prometheus" for v in dashboard.variables):
            yield self.finding(where, "no Prometheus datasource variable in templating.list")


RULES = (TemplateDatasource,)
