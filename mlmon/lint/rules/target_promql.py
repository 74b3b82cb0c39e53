"""target-promql: panel targets and alert expressions are valid PromQL."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.findings import Finding, Level
from mlmon.lint.registry import Query, Rule


class TargetPromql(Rule):
    name = "target-promql"
    level = Level.ERROR
    description = "Panel targets and alert expressions parse as PromQL (after substituting Grafana variables)."
    hint = "fix the expression; check it in Prometheus's expression browser or with `promtool query instant`"

    def check_unparsable(self, query: Query) -> Iterable[Finding]:
        if query.origin != "variable":
            yield self.finding(query.location, f"invalid PromQL: {query.error}")


RULES = (TargetPromql,)
