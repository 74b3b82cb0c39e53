"""The metric families an imported dashboard queries that no catalog declares yet (for ``catalog.yml``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import promql_parser

from mlmon import catalog
from mlmon.catalog.extension import Update
from mlmon.lint import promql
from mlmon.lint.variables import as_promql

_LABEL_LISTS = ("by", "without", "on", "ignoring", "group_left", "group_right")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.S)


def _named_labels(node: promql_parser.Expr) -> set[str]:
    """Every label a query names in matchers and by/without/on/ignoring/group_* clauses."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, promql_parser.VectorSelector):
            names.update(
                m.name for m in promql.Selector(current, None, ()).matchers if m.name != "__name__"
            )
        if isinstance(current, promql_parser.AggregateExpr) and current.modifier is not None:
            names.update(current.modifier.labels)
        if isinstance(current, promql_parser.BinaryExpr) and current.modifier is not None:
            if current.modifier.matching is not None:
                names.update(current.modifier.matching.labels)
            names.update(current.modifier.group_labels or [])
        stack.extend(promql.children(current))
    return {n for n in names if n != promql.PLACEHOLDER}


def _family(sample: str) -> tuple[str, str]:
    if sample.endswith("_bucket"):
        return sample.removesuffix("_bucket"), "histogram"
    if sample.endswith("_total"):
        return sample, "counter"
    return sample, "unknown"


def seen(expressions: Iterable[str], variable_queries: Iterable[str], origin: str) -> Update:
    """Families (and the labels the queries name) of every undeclared metric in the expressions."""
    update = Update()
    source = f"mlmon import {origin}"
    for text in expressions:
        _record(update, text, set(), source)
    for query in variable_queries:
        try:
            converted = as_promql(query)
        except promql.PromQLError:
            continue
        if converted is None:
            continue
        text = converted
        match = _LABEL_VALUES.match(query)
        _record(update, text, {match.group(2)} if match else set(), source)
    return update


def _record(update: Update, text: str, extra_labels: set[str], source: str) -> None:
    try:
        tree = promql.parse(text)
    except promql.PromQLError:
        return
    labels = (_named_labels(tree) | extra_labels) - {"le", "job", "instance"}
    for selector in promql.selectors(tree):
        name = selector.metric
        if not name or name == promql.PLACEHOLDER or catalog.exporter_base_name(name):
            continue
        if name in catalog.PROMETHEUS_SERIES:
            if catalog.PROMETHEUS_SERIES[name] is not None:
                # up{cluster=...}: labels on Prometheus's own series come from relabelling, on every target
                update.target_labels |= labels
            continue
        declared = catalog.family_of(name)
        if declared is not None and declared.origin != "extension":
            continue
        family, kind = _family(name)
        update.add(family, kind, labels, source=source)
