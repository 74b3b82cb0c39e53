"""template-on-time-change-reload: query variables refresh when the time range changes."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard, Variable
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule

ON_TIME_RANGE_CHANGE = 2


class TemplateOnTimeChangeReload(Rule):
    name = "template-on-time-change-reload"
    level = Level.WARNING
    description = (
        "Query variables reload on time range change, so their values match the data shown."
    )
    hint = 'set "refresh": 2 (On time range change) on the variable'

    def check_variable(
        self, dashboard: Dashboard, variable: Variable, where: Location
    ) -> Iterable[Finding]:
        if variable.type == "query" and variable.raw.get("refresh") != ON_TIME_RANGE_CHANGE:
            yield self.finding(
                where,
                f"variable ${variable.name} has refresh={variable.raw.get('refresh')!r}, not 2 (on time range change)",
            )


RULES = (TemplateOnTimeChangeReload,)
