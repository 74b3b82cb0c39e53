"""catalog-*: every metric, label and enumerable label value a query names is declared.

Declared means: by ``exporter/catalog.py`` (the ML metrics), by Prometheus
itself, or by the project's catalog extension (``catalog.yml``), all through
:mod:`mlmon.catalog.check`. Applies to panel targets, variable queries and
alert expressions alike. A dashboard the project does not own is a normal
case: its undeclared metrics make one finding per dashboard, not one per query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import promql_parser

from exporter.catalog import SERIES, MetricType
from mlmon.catalog import PROMETHEUS_SERIES
from mlmon.catalog.check import Problem, label_problems, metric_problems
from mlmon.catalog.extension import changed as extension_changed
from mlmon.catalog.labels import infer_labels
from mlmon.lint import promql
from mlmon.lint.dashboard import Dashboard
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Query, Rule
from mlmon.lint.rules.target_counter_agg import is_counter

_LITERAL_ALTERNATIVES = re.compile(r"[\w-]+(\|[\w-]+)*")
_QUANTILE_FUNCTIONS = frozenset({"quantile", "quantile_over_time"})
_RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})


class CatalogMetric(Rule):
    name = "catalog-metric"
    level = Level.ERROR
    description = (
        "Every metric a query names is declared: by exporter/catalog.py (the ML metrics), by Prometheus "
        "itself (up, scrape_*), or by the project's catalog extension (catalog.yml). In a dashboard, the "
        "metrics no catalog declares are reported once, in one finding for the whole dashboard; a likely "
        "typo of a declared name, and any undeclared metric in an alert rule, is reported where it is used. "
        "Setting `undeclared: error|warning|ignore` (default error) sets how the per-dashboard finding is reported."
    )
    hint = (
        "declare the families in catalog.yml (`mlmon catalog pull --prometheus URL`; `mlmon import` adds "
        "what it imports), or set `catalog-metric: {undeclared: ignore}` for dashboards the project does not own"
    )

    def _undeclared_level(self) -> Level | None:
        setting = str(self.settings.get("undeclared", "error")).lower()
        if setting in ("ignore", "off", "false", "none"):
            return None
        return Level.WARNING if setting == "warning" else Level.ERROR

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        self._undeclared: dict[str, int] = {}
        if (
            extension_changed()
        ):  # once per dashboard: queries are cached by text until catalog.yml changes
            _metric_problems_of.cache_clear()
        return ()

    def check_query(self, query: Query) -> Iterable[Finding]:
        if query.expr is None:
            return
        in_dashboard = query.origin != "alert"
        for problem in _cached_metric_problems(query.text, query.expr):
            if in_dashboard and problem.kind == "metric" and not problem.suggestions:
                undeclared = self.__dict__.setdefault("_undeclared", {})
                undeclared[problem.subject] = undeclared.get(problem.subject, 0) + 1
                continue  # reported once, for the whole dashboard
            yield self.finding(query.location, problem.message, problem.hint)

    def finish_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        undeclared = self.__dict__.pop("_undeclared", {})
        level = self._undeclared_level()
        if not undeclared or level is None:
            return
        names = sorted(undeclared)
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        uses = sum(undeclared.values())
        message = (
            f"{len(names)} metric{'s' if len(names) != 1 else ''} no catalog declares "
            f"({uses} quer{'ies' if uses != 1 else 'y'}): {shown}"
        )
        yield Finding(self.name, level, message, self.hint, where)


class _ByText:
    """A parsed query keyed by its text alone (the tree is not hashable; equal text, equal tree)."""

    __slots__ = ("text", "tree")

    def __init__(self, text: str, tree: promql_parser.Expr):
        self.text, self.tree = text, tree

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByText) and other.text == self.text


@lru_cache(maxsize=4096)
def _metric_problems_of(query: _ByText) -> tuple[Problem, ...]:
    return tuple(metric_problems(query.tree))


def _cached_metric_problems(text: str, tree: promql_parser.Expr) -> tuple[Problem, ...]:
    return _metric_problems_of(_ByText(text, tree))


class CatalogLabel(Rule):
    name = "catalog-label"
    level = Level.ERROR
    description = (
        "Every label a query names (matchers, by/without, on/ignoring, group_left/right) exists on the series "
        "it applies to, per the catalog (plus job and instance, and le on histogram buckets)."
    )
    hint = "use a label the metric has (see exporter/catalog.py), or add the label to the metric's declaration"
    target_hint = (
        "labels your relabelling adds to every target: list them under target_labels in catalog.yml "
        "(`mlmon catalog pull` and `mlmon import` do)"
    )

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        self._target_labels: dict[str, int] = {}
        return ()

    def check_query(self, query: Query) -> Iterable[Finding]:
        if query.expr is None:
            return
        problems = label_problems(query.expr)
        if problems and query.origin != "alert" and _only_prometheus_series(query.expr):
            # up{cluster=...} in a dashboard: a target label of the deployment, not a typo per query.
            collected = self.__dict__.setdefault("_target_labels", {})
            for problem in problems:
                collected[problem.subject] = collected.get(problem.subject, 0) + 1
            return
        for problem in problems:
            yield self.finding(query.location, problem.message)

    def finish_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        collected = self.__dict__.pop("_target_labels", {})
        if collected:
            names = ", ".join(sorted(collected))
            uses = sum(collected.values())
            yield self.finding(
                where,
                f"target labels no catalog declares, used on Prometheus's own series ({uses} use"
                f"{'s' if uses != 1 else ''}): {names}",
                self.target_hint,
            )


def _only_prometheus_series(tree: promql_parser.Expr) -> bool:
    names = [selector.metric for selector in promql.selectors(tree)]
    return bool(names) and all(
        name is not None and PROMETHEUS_SERIES.get(name) is not None for name in names
    )


class CatalogLabelValue(Rule):
    name = "catalog-label-value"
    level = Level.ERROR
    description = "Values matched on enumerable labels (status, method, test, ...) are values the catalog allows."
    hint = "match a value the label can take (the pattern is in exporter/catalog.py, e.g. status codes 1xx-5xx)"

    def check_query(self, query: Query) -> Iterable[Finding]:
        for selector in promql.selectors(query.tree):
            metric = SERIES.get(selector.metric or "")
            if metric is None:
                continue
            for matcher in selector.matchers:
                allowed = metric.label_values.get(matcher.name)
                if allowed is None:
                    continue
                for value in _literal_values(matcher):
                    if not metric.allows_label_value(matcher.name, value):
                        yield self.finding(
                            query.location,
                            f"{selector.metric}: {matcher.name}={value!r} can never match (allowed: {allowed})",
                        )
                if _regex_matches_nothing(matcher, allowed):
                    yield self.finding(
                        query.location,
                        f"{selector.metric}: {matcher.name}=~{matcher.value!r} can never match (allowed: {allowed})",
                    )


def _literal_values(matcher: promql_parser.Matcher) -> list[str]:
    """The literal values a matcher names; regexes are checked only when they are plain alternatives (a|b)."""
    value = matcher.value
    if promql.PLACEHOLDER in value or not value:
        return []
    if matcher.op in (promql_parser.MatchOp.Equal, promql_parser.MatchOp.NotEqual):
        return [value]
    return value.split("|") if _LITERAL_ALTERNATIVES.fullmatch(value) else []


def _regex_matches_nothing(matcher: promql_parser.Matcher, allowed: str) -> bool:
    """A regex matcher on a label whose catalog values are a closed list (ks|chi2) that matches none of them."""
    value = matcher.value
    if (
        matcher.op != promql_parser.MatchOp.Re
        or promql.PLACEHOLDER in value
        or _LITERAL_ALTERNATIVES.fullmatch(value)
    ):
        return False  # literal alternatives are checked one by one
    if not _LITERAL_ALTERNATIVES.fullmatch(allowed):
        return False  # an open pattern (status codes): its values cannot be listed
    try:
        pattern = re.compile(value)
    except re.error:
        return False  # Prometheus's RE2 syntax differs in places; the live check covers the rest
    return not any(pattern.fullmatch(candidate) for candidate in allowed.split("|"))


class CatalogHistogramQuantile(Rule):
    name = "catalog-histogram-quantile"
    level = Level.ERROR
    description = "histogram_quantile() reads only histogram _bucket series and keeps the le label."
    hint = "write histogram_quantile(0.95, sum by (le) (rate(metric_bucket[$__rate_interval])))"

    def check_query(self, query: Query) -> Iterable[Finding]:
        for call in promql.calls(query.tree):
            if (
                not isinstance(call, promql_parser.Call)
                or promql.node_name(call) != "histogram_quantile"
                or len(call.args) != 2
            ):
                continue
            argument = call.args[1]
            for selector in promql.selectors(argument):
                metric = selector.metric
                if metric is None:
                    continue  # no metric name ({__name__=~"..."}): nothing to look up
                known = SERIES.get(metric)
                if known is not None and (
                    known.type is not MetricType.HISTOGRAM or not metric.endswith("_bucket")
                ):
                    yield self.finding(
                        query.location,
                        f"histogram_quantile() over {metric}, which is not a histogram _bucket series",
                    )
            kept = infer_labels(argument)
            if kept is not None and "le" not in kept:
                yield self.finding(
                    query.location,
                    "histogram_quantile() over series without the le label (aggregate by (le, ...))",
                )


class CatalogQuantileCounter(Rule):
    name = "catalog-quantile-counter"
    level = Level.ERROR
    description = "quantile()/quantile_over_time() never run over a raw counter."
    hint = "take the quantile of a rate (quantile(0.9, rate(x_total[$__rate_interval]))) or use a histogram"

    def check_query(self, query: Query) -> Iterable[Finding]:
        for selector in promql.selectors(query.tree):
            inside = selector.enclosing
            quantile_at = max(
                (i for i, name in enumerate(inside) if name in _QUANTILE_FUNCTIONS), default=None
            )
            if quantile_at is None or not is_counter(selector.metric):
                continue
            if not _RATE_FUNCTIONS & set(inside[quantile_at + 1 :]):
                yield self.finding(
                    query.location, f"{inside[quantile_at]}() over the counter {selector.metric}"
                )


RULES = (
    CatalogMetric,
    CatalogLabel,
    CatalogLabelValue,
    CatalogHistogramQuantile,
    CatalogQuantileCounter,
)
