"""The live check: run every panel target and alert expression against a real Prometheus.

A query that Prometheus rejects, or that returns no series, is a dead panel
(or an alert that can never fire). Grafana variables are expanded the way the
dashboard opens: a concrete current value, ``.*`` for "All", else the first
value Prometheus has for a ``label_values`` variable. ``$__rate_interval`` is
computed from the server's scrape interval as Grafana does. Alert conditions
(``> 0.05``, ``absent(...)``) are stripped before querying, so an alert that is
quiet because all is well is not reported as dead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser

from mlmon.lint import config as lint_config
from mlmon.lint import promql
from mlmon.lint.alerts import AlertRule
from mlmon.lint.dashboard import Dashboard
from mlmon.lint.documents import discover, read
from mlmon.lint.engine import Report
from mlmon.lint.findings import Finding, Location
from mlmon.lint.labels import is_scalar
from mlmon.lint.prometheus_api import PrometheusAPI, QueryFailed, parse_duration
from mlmon.lint.rules.live_query import LiveQuery
from mlmon.lint.variables import as_promql

DEFAULT_URL = "http://localhost:9090"
ALL = ".*"
_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*)\)\s*$", re.S)


def prometheus_url(flag: str | None) -> str:
    return flag or os.environ.get("PROMETHEUS_URL") or DEFAULT_URL


Group = list[promql_parser.Expr]  # alternatives: alive when any of them returns series


def live_parts(expr: promql_parser.Expr) -> list[Group]:
    """What must return series for ``expr`` to show data: every group needs one alive alternative.

    Conditions are stripped (``x > 0.05`` needs ``x``); ``a and b`` needs both
    sides; ``a or b`` needs either, and ``... or vector(0)`` always shows data.
    """
    if isinstance(expr, promql_parser.ParenExpr):
        return live_parts(expr.expr)
    if isinstance(expr, promql_parser.BinaryExpr):
        op = str(expr.op)
        returns_bool = expr.modifier is not None and expr.modifier.return_bool
        if op == "or":
            sides = [live_parts(expr.lhs), live_parts(expr.rhs)]
            if any(not groups for groups in sides):
                return []  # one side is a constant: the panel always shows a value
            return [[alternative for groups in sides for group in groups for alternative in group]]
        if op == "and":
            return live_parts(expr.lhs) + live_parts(expr.rhs)
        if op == "unless":
            return live_parts(expr.lhs)
        if op in _COMPARISONS and not returns_bool:
            return [
                group
                for side in (expr.lhs, expr.rhs)
                if not is_scalar(side)
                for group in live_parts(side)
            ]
    if isinstance(expr, promql_parser.Call) and expr.func.name in ("absent", "absent_over_time"):
        argument = expr.args[0]
        if isinstance(argument, promql_parser.MatrixSelector):
            argument = argument.vector_selector
        return live_parts(argument)
    if is_scalar(expr) or (
        isinstance(expr, promql_parser.Call) and expr.func.name in ("vector", "time")
    ):
        return []  # constants always return a value
    return [[expr]]


class LiveCheck:
    def __init__(
        self, url: str, progress: Callable[[str], None] | None = None, timeout: float = 10.0
    ) -> None:
        self.api = PrometheusAPI(url, timeout)
        self.progress = progress or (lambda message: None)
        self._scrape: timedelta | None = None

    def run(self, paths: list[Path], report: Report) -> None:
        """Query everything under ``paths`` and add a live-query finding for each dead query to ``report``."""
        lint_config.for_directory.cache_clear()
        self._scrape = self.api.scrape_interval()
        interval = promql_parser.display_duration(self._scrape)
        self.progress(f"live check against {self.api.url} (scrape interval {interval})")
        checked = 0
        for path in discover(paths):
            document = read(path, explicit=False)
            if document is None:
                continue
            config = lint_config.for_directory(path.parent)
            if document.dashboard is not None:
                found = list(self.check_dashboard(document.dashboard))
                name = document.dashboard.title
            else:
                found = [f for rule in document.alerts or [] for f in self.check_alert(rule)]
                name = path.name
            checked += 1
            before = len(report.findings)
            report.add(found, config)
            dead, excluded = (
                len(report.findings) - before,
                len(found) - (len(report.findings) - before),
            )
            summary = f"{dead} dead" if dead else "all queries return data"
            self.progress(f"  {name}: {summary}" + (f" ({excluded} excluded)" if excluded else ""))
        self.progress(f"live check: {checked} files queried")

    def check_dashboard(self, dashboard: Dashboard) -> Iterator[Finding]:
        values = self._variable_values(dashboard)
        for target in dashboard.prometheus_targets():
            if target.hidden or not (target.expr or "").strip():
                continue
            where = dashboard.panel_location(target.panel, target.expr, target.path)
            yield from self._check(target.expr or "", where, self._resolver(dashboard, values))

    def check_alert(self, rule: AlertRule) -> Iterator[Finding]:
        for query in rule.queries:
            if query.expr and not query.is_expression:
                where = rule.location().with_query(query.expr, query.path)
                yield from self._check(query.expr, where, self._resolver(None, {}))

    def _check(self, text: str, where: Location, resolve: promql.Resolver) -> Iterator[Finding]:
        try:
            parts = live_parts(promql.parse(text, resolve))
        except promql.PromQLError:
            return  # target-promql reports it
        for group in parts:
            empty: list[str] = []
            for alternative in group:
                query = str(alternative)
                try:
                    result = self.api.query(query)
                except QueryFailed as exc:
                    yield Finding(
                        LiveQuery.name,
                        LiveQuery.level,
                        f"Prometheus rejected the query: {exc} (ran: {query})",
                        LiveQuery.hint,
                        where,
                    )
                    break
                if result:
                    break
                empty.append(query)
            else:
                message = f"no series: {' or '.join(empty)} returns nothing"
                yield Finding(LiveQuery.name, LiveQuery.level, message, LiveQuery.hint, where)

    def _builtin(self, name: str, dashboard: Dashboard | None) -> str | None:
        scrape = self._scrape or timedelta(minutes=1)
        durations = {
            "__interval": scrape,
            "__rate_interval": 4 * scrape,
            "__range": _dashboard_range(dashboard),
        }
        if name in durations:
            return promql_parser.display_duration(durations[name])
        if name in ("__interval_ms", "__range_ms"):
            key = name.removesuffix("_ms")
            return str(int(durations[key].total_seconds() * 1000))
        if name == "__range_s":
            return str(int(durations["__range"].total_seconds()))
        return None

    def _resolver(self, dashboard: Dashboard | None, values: dict[str, str]) -> promql.Resolver:
        def resolve(name: str, context: str) -> str:
            builtin = self._builtin(name, dashboard)
            if builtin is not None:
                return builtin
            value = values.get(name, ALL)
            if context == promql.Context.DURATION and value == ALL:
                return promql_parser.display_duration(4 * (self._scrape or timedelta(minutes=1)))
            return value

        return resolve

    def _variable_values(self, dashboard: Dashboard) -> dict[str, str]:
        """Each variable's value as the dashboard opens; earlier variables feed later queries."""
        values: dict[str, str] = {}
        for variable in dashboard.variables:
            raw = variable.raw
            current = _current(raw.get("current"))
            if variable.type == "datasource" or variable.type == "adhoc":
                continue
            if current is not None:
                values[variable.name] = current
            elif variable.type == "constant":
                values[variable.name] = variable.query
            elif variable.type in ("custom", "interval"):
                options = [o.strip() for o in variable.query.split(",") if o.strip()]
                values[variable.name] = ALL if raw.get("includeAll") or not options else options[0]
            elif variable.type == "query" and not raw.get("includeAll"):
                values[variable.name] = self._first_label_value(dashboard, variable.query, values)
            else:
                values[variable.name] = ALL
        return values

    def _first_label_value(self, dashboard: Dashboard, query: str, values: dict[str, str]) -> str:
        match = _LABEL_VALUES.match(query)
        if not match:
            return ALL
        selector, _, label = match.group(1).rpartition(",")
        resolve = self._resolver(dashboard, values)
        try:
            as_promql(query)
            found = self.api.label_values(
                label.strip(), promql.substitute(selector.strip(), resolve) or None
            )
        except (promql.PromQLError, QueryFailed):
            return ALL
        return found[0] if found else ALL


def _current(current: Any) -> str | None:
    """A variable's saved current value, None when unset or "All"."""
    if not isinstance(current, dict):
        return None
    value = current.get("value")
    if isinstance(value, list):
        value = [v for v in value if v != "$__all"]
        return (
            None
            if not value
            else (value[0] if len(value) == 1 else "(" + "|".join(map(re.escape, value)) + ")")
        )
    if value in (None, "", "$__all") or current.get("text") == "All":
        return None
    return str(value)


def _dashboard_range(dashboard: Dashboard | None) -> timedelta:
    """The dashboard's default time range ("now-6h" -> 6h), 1h when it is not relative to now."""
    time = dashboard.raw.get("time") if dashboard is not None else None
    start = time.get("from") if isinstance(time, dict) else None
    if isinstance(start, str) and start.startswith("now-"):
        try:
            return parse_duration(start.removeprefix("now-").split("/")[0])
        except ValueError:
            pass
    return timedelta(hours=1)
