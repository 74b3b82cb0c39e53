"""template-label-promql: Prometheus query variables are valid label_values()/query_result() queries."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint import variables
from mlmon.lint.dashboard import Dashboard, Variable
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.promql import PromQLError
from mlmon.lint.registry import Rule


class TemplateLabelPromql(Rule):
    name = "template-label-promql"
    level = Level.ERROR
    description = (
        "Query variables on Prometheus use valid PromQL inside label_values()/query_result() (error); "
        "a bare series selector, which Grafana lists as whole series, is a warning."
    )
    hint = "write the query as label_values(metric{matchers}, label), e.g. label_values(model_accuracy, model_name)"

    def check_variable(
        self, dashboard: Dashboard, variable: Variable, where: Location
    ) -> Iterable[Finding]:
        if not dashboard.is_prometheus_query_variable(variable):
            return
        if not variable.query.strip():
            yield self.finding(where, f"variable ${variable.name} has an empty query")
            return
        if variables.is_series_query(variable.query):
            if str(variable.raw.get("regex") or "").strip():
                return  # the usual pattern: list series, extract the value with the variable's regex
            # Grafana accepts it (a series query), but the values are whole series as text.
            yield Finding(
                self.name,
                Level.WARNING,
                f"variable ${variable.name} lists whole series ({variable.query.strip()}), not a label's values",
                "write label_values(selector, label) for the label you want; keep the series query "
                "only when a regex on the variable extracts the value",
                where,
            )
            return
        try:
            variables.as_promql(variable.query)
        except PromQLError as exc:
            yield self.finding(where, f"variable ${variable.name}: {exc}")


RULES = (TemplateLabelPromql,)
