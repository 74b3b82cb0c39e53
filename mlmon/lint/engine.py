"""Runs the enabled rules over dashboards and alert rules and applies exclusions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlmon.lint import config as lint_config
from mlmon.lint import variables
from mlmon.lint.alerts import AlertRule
from mlmon.lint.config import Config, Exclusion
from mlmon.lint.dashboard import Dashboard
from mlmon.lint.documents import Document, discover, read
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.promql import PromQLError, parse
from mlmon.lint.registry import Query, Rule


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    excluded: list[tuple[Finding, Exclusion]] = field(default_factory=list)
    files: int = 0
    dashboards: int = 0
    alert_rules: int = 0

    def count(self, level: Level) -> int:
        return sum(1 for f in self.findings if f.level is level)

    def add(self, found: Iterable[Finding], config: Config) -> None:
        """Record findings, setting aside those the configuration excludes (with the exclusion's reason)."""
        for finding in found:
            exclusion = config.exclusion_for(finding)
            if exclusion is None:
                self.findings.append(finding)
            else:
                self.excluded.append((finding, exclusion))

    def exit_code(self, strict: bool = False) -> int:
        failing = {Level.ERROR, Level.WARNING} if strict else {Level.ERROR}
        return 1 if any(f.level in failing for f in self.findings) else 0


def lint_paths(paths: list[Path], extra_config: Path | None = None) -> Report:
    """Lint every dashboard and alert file under ``paths`` (files or directories)."""
    lint_config.for_directory.cache_clear()
    extra = lint_config.load(extra_config) if extra_config else None
    report = Report()
    explicit = {p.resolve() for p in paths if p.is_file()}
    for path in discover(paths):
        document = read(path, explicit=path.resolve() in explicit)
        if document is None:
            continue
        config = lint_config.for_directory(path.parent)
        if extra is not None:
            config = extra.merged_over(config)
        lint_document(document, config, report)
    return report


def lint_document(document: Document, config: Config, report: Report) -> None:
    report.files += 1
    rules = config.rules()
    if document.dashboard is not None:
        report.dashboards += 1
        found: Iterable[Finding] = lint_dashboard(document.dashboard, rules)
    else:
        report.alert_rules += len(document.alerts or [])
        found = lint_alerts(document.alerts or [], rules)
    report.add(found, config)


def dashboard_queries(dashboard: Dashboard) -> Iterator[Query]:
    """Every PromQL expression in a dashboard: Prometheus targets and query variables."""
    for target in dashboard.prometheus_targets():
        location = dashboard.panel_location(target.panel, target.expr, target.path)
        yield make_query(target.expr or "", "panel", location)
    for variable in dashboard.variables:
        if not dashboard.is_prometheus_query_variable(variable):
            continue
        try:
            promql = variables.as_promql(variable.query)
        except PromQLError:
            continue  # template-label-promql reports it
        if promql is not None:
            yield make_query(promql, "variable", dashboard.variable_location(variable))


def alert_queries(rule: AlertRule) -> Iterator[Query]:
    where = rule.location()
    for query in rule.queries:
        if query.expr is not None and not query.is_expression:
            yield make_query(query.expr, "alert", where.with_query(query.expr, query.path))


def make_query(text: str, origin: str, location: Location) -> Query:
    try:
        return Query(text, origin, location, parse(text))
    except PromQLError as exc:
        return Query(text, origin, location, None, str(exc))


def lint_dashboard(dashboard: Dashboard, rules: list[Rule]) -> Iterator[Finding]:
    queries = list(dashboard_queries(dashboard))
    # Locations are built once per panel/variable, not once per rule and panel.
    variables = [(v, dashboard.variable_location(v)) for v in dashboard.variables]
    panels = [(p, dashboard.panel_location(p)) for p in dashboard.panels]
    where = dashboard.location()
    for rule in rules:
        yield from rule.check_dashboard(dashboard, where)
        if _overrides(rule, "check_variable"):
            for variable, location in variables:
                yield from rule.check_variable(dashboard, variable, location)
        if _overrides(rule, "check_panel"):
            for panel, location in panels:
                yield from rule.check_panel(dashboard, panel, location)
        yield from _check_queries(rule, queries)


def _overrides(rule: Rule, hook: str) -> bool:
    """Whether a rule implements ``hook`` (the base class's hooks find nothing: skip the loop)."""
    return getattr(type(rule), hook) is not getattr(Rule, hook)


def _check_queries(rule: Rule, queries: list[Query]) -> Iterator[Finding]:
    parsed, unparsable = _overrides(rule, "check_query"), _overrides(rule, "check_unparsable")
    if not (parsed or unparsable):
        return
    for query in queries:
        if query.expr is not None:
            if parsed:
                yield from rule.check_query(query)
        elif unparsable:
            yield from rule.check_unparsable(query)


def lint_alerts(alerts: list[AlertRule], rules: list[Rule]) -> Iterator[Finding]:
    for alert in alerts:
        queries = list(alert_queries(alert))
        for rule in rules:
            yield from rule.check_alert(alert, alert.location())
            yield from _check_queries(rule, queries)
