"""Which labels a PromQL expression's series carry, inferred from the catalogs (:mod:`mlmon.catalog`).

Walks the expression bottom-up: a selector has its metric's declared labels
plus the target labels Prometheus adds (``job``, ``instance``); aggregations,
functions and binary operators transform that set the way Prometheus does.
Every label a query names (in a matcher, ``by``/``without``, ``on``/``ignoring``,
``group_left``/``group_right``) is checked against the set it applies to, and
each one that cannot exist is reported. ``None`` means "unknown" (a metric
no catalog declares): nothing is reported below an unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import promql_parser

from mlmon.catalog import PROMETHEUS_SERIES, sample_labels
from mlmon.lint.promql import PLACEHOLDER, Selector, children

# Kept under its old name for the lint rules that import it.
SYNTHETIC_SERIES = PROMETHEUS_SERIES
# Functions whose result has no labels of its own (or a scalar).
_LABELLESS = frozenset(
    {
        "vector",
        "time",
        "scalar",
        "pi",
        "minute",
        "hour",
        "day_of_week",
        "day_of_month",
        "day_of_year",
        "days_in_month",
        "month",
        "year",
    }
)
_KEEPS_ALL_LABELS = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
_SET_OPERATORS = frozenset({"and", "or", "unless"})

Labels = frozenset[str] | None


@dataclass(frozen=True)
class LabelProblem:
    label: str
    clause: str  # e.g. "{model=...}" or "by (model)"
    available: frozenset[str]
    subject: str  # the metric, or "the aggregated series"


def selector_labels(metric: str | None) -> Labels:
    return sample_labels(metric)


def check_labels(expr: promql_parser.Expr) -> list[LabelProblem]:
    """Every label named in ``expr`` that the series it applies to cannot carry."""
    problems: list[LabelProblem] = []
    _infer(expr, problems.append)
    return problems


def infer_labels(expr: promql_parser.Expr) -> Labels:
    """The labels the result of ``expr`` carries (None when a metric is unknown)."""
    return _infer(expr, lambda problem: None)


def is_scalar(node: promql_parser.Expr) -> bool:
    if isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
        return True
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        return is_scalar(node.expr)
    if isinstance(node, promql_parser.Call):
        return node.func.name in {"scalar", "time", "pi"}
    if isinstance(node, promql_parser.BinaryExpr):
        return is_scalar(node.lhs) and is_scalar(node.rhs)
    return False


def _require(
    labels: Iterable[str],
    available: Labels,
    clause: str,
    subject: str,
    report: Callable[[LabelProblem], None],
) -> None:
    if available is None:
        return
    for label in labels:
        if label != PLACEHOLDER and label not in available:
            report(LabelProblem(label, clause, available, subject))


def _infer(node: promql_parser.Expr, report: Callable[[LabelProblem], None]) -> Labels:
    if isinstance(node, promql_parser.VectorSelector):
        selector = Selector(node, None, ())
        available = selector_labels(selector.metric)
        names = [m.name for m in selector.matchers if m.name != "__name__"]
        _require(names, available, "{...}", selector.metric or "the selected series", report)
        return available
    if isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
        return frozenset()
    if isinstance(node, promql_parser.AggregateExpr):
        return _aggregate(node, report)
    if isinstance(node, promql_parser.BinaryExpr):
        return _binary(node, report)
    if isinstance(node, promql_parser.Call):
        return _call(node, report)
    inner = [_infer(child, report) for child in children(node)]  # parens, unary, matrix, subquery
    return inner[0] if inner else frozenset()


def _aggregate(node: promql_parser.AggregateExpr, report: Callable[[LabelProblem], None]) -> Labels:
    inner = _infer(node.expr, report)
    if node.param is not None:
        _infer(node.param, report)
    op = str(node.op)
    modifier = node.modifier
    grouping = list(modifier.labels) if modifier is not None else []
    by = modifier is not None and modifier.type == promql_parser.AggModifierType.By
    clause = f"{'by' if by else 'without'} ({', '.join(grouping)})"
    _require(grouping, inner, clause, "the aggregated series", report)
    if op in _KEEPS_ALL_LABELS or inner is None:
        return inner
    result = (
        frozenset(grouping)
        if by
        else (inner - set(grouping) if modifier is not None else frozenset())
    )
    if op == "count_values" and isinstance(node.param, promql_parser.StringLiteral):
        result |= {node.param.val}
    return result


def _binary(node: promql_parser.BinaryExpr, report: Callable[[LabelProblem], None]) -> Labels:
    left, right = _infer(node.lhs, report), _infer(node.rhs, report)
    if is_scalar(node.lhs):
        return right
    if is_scalar(node.rhs):
        return left
    op = str(node.op)
    modifier = node.modifier
    matching = modifier.matching if modifier is not None else None
    on = matching is not None and matching.type == promql_parser.LabelModifierType.Include
    match_labels = list(matching.labels) if matching is not None else []
    if on:
        clause = f"on ({', '.join(match_labels)})"
        _require(match_labels, left, clause, "the left-hand side", report)
        _require(match_labels, right, clause, "the right-hand side", report)
    if op in _SET_OPERATORS:
        if op == "or":
            return None if left is None or right is None else left | right
        return left
    card = modifier.card if modifier is not None else None
    extra = list(modifier.group_labels or []) if modifier is not None else []
    if card == promql_parser.VectorMatchCardinality.ManyToOne:
        _require(extra, right, f"group_left ({', '.join(extra)})", "the right-hand side", report)
        return None if left is None else left | set(extra)
    if card == promql_parser.VectorMatchCardinality.OneToMany:
        _require(extra, left, f"group_right ({', '.join(extra)})", "the left-hand side", report)
        return None if right is None else right | set(extra)
    if left is None:
        return None
    if on:
        return left & set(match_labels)
    return left - set(match_labels)


def _call(node: promql_parser.Call, report: Callable[[LabelProblem], None]) -> Labels:
    args = [_infer(arg, report) for arg in node.args]
    name = node.func.name
    vectors = [labels for arg, labels in zip(node.args, args) if not is_scalar(arg)]
    if name in _LABELLESS or not vectors:
        return frozenset()
    if name in {"absent", "absent_over_time"}:
        return None  # labels come from the selector's equality matchers
    first = vectors[0]
    if first is None:
        return None
    if name in {"label_replace", "label_join"} and isinstance(
        node.args[1], promql_parser.StringLiteral
    ):
        return first | {node.args[1].val}
    if name == "histogram_quantile":
        return first - {"le"}
    return first
