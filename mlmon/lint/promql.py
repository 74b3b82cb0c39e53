"""PromQL as Grafana stores it: variable substitution, parsing and tree walking.

Grafana targets contain template variables (``$model``, ``${model:regex}``,
``[[model]]``) and built-ins (``$__rate_interval``, ``$__interval``,
``$__range``) that are not PromQL. Static checks substitute placeholders that
keep the expression's shape (a duration inside ``[...]``, a label value inside
quotes) and remember which durations were Grafana's, so rules can tell
``rate(x[$__rate_interval])`` from ``rate(x[5m])``. The live check substitutes
real values through the same scanner.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import promql_parser

# Unusual durations stand in for Grafana's built-ins, so a parsed range can be
# traced back to the variable that produced it.
RATE_INTERVAL = timedelta(seconds=3333)
INTERVAL = timedelta(seconds=3332)
RANGE = timedelta(seconds=3331)
OTHER_VARIABLE_DURATION = timedelta(seconds=3330)
BUILTIN_DURATIONS = {"__rate_interval": RATE_INTERVAL, "__interval": INTERVAL, "__range": RANGE}
# Built-ins that Grafana replaces with a number, not a duration.
BUILTIN_NUMBERS = {"__interval_ms", "__range_ms", "__range_s", "__from", "__to"}

# A user variable's value, in static checks: a name no catalog has, so label
# and metric checks can recognise (and skip) what only Grafana knows.
PLACEHOLDER = "mlmon_variable"

VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
_LABEL_LIST_KEYWORD = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*$")


class Context:
    """Where in the expression a variable stands (what kind of text may replace it)."""

    QUOTED = "quoted"  # inside a string: a label value or regex
    DURATION = "duration"  # inside [...] or after offset
    LABEL = "label"  # inside by (...), on (...)
    NAME = "name"  # directly before {...}: a metric name
    SCALAR = "scalar"  # anywhere else, e.g. topk($n, ...)


Resolver = Callable[[str, str], str]  # (variable name, Context) -> replacement text


def variable_names(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in VARIABLE.finditer(text)]


def static_value(name: str, context: str) -> str:
    """The placeholder for variable ``name`` in ``context`` used by static checks."""
    if name in BUILTIN_DURATIONS:
        return (
            "x" if context == Context.QUOTED else f"{int(BUILTIN_DURATIONS[name].total_seconds())}s"
        )
    if name in BUILTIN_NUMBERS:
        return "60"
    if context == Context.DURATION:
        return f"{int(OTHER_VARIABLE_DURATION.total_seconds())}s"
    if context == Context.SCALAR:
        return "1"
    return PLACEHOLDER


# What changes the scanner's state: a variable, an escape, a quote or a bracket (variables first,
# so "[[x]]" is a variable and not two brackets). Everything between is copied as is.
_SIGNIFICANT = re.compile(VARIABLE.pattern + r"|\\.|[\"'`\[\]]", re.S)


def substitute(text: str, resolve: Resolver = static_value) -> str:
    """Replace every Grafana variable in ``text`` with ``resolve(name, context)``."""
    out: list[str] = []
    quote: str | None = None
    brackets = 0
    position = 0
    while (match := _SIGNIFICANT.search(text, position)) is not None:
        start, token = match.start(), match.group()
        out.append(text[position:start])
        position = match.end()
        if match.lastindex is not None:  # a variable (one of VARIABLE's groups matched)
            name = next(g for g in match.groups() if g)
            out.append(resolve(name, _context(text, start, position, quote, brackets)))
        elif token[0] == "\\":
            if quote is None:  # outside a string a backslash escapes nothing: rescan what follows
                position = start + 1
                out.append("\\")
            else:
                out.append(token)
        else:
            if quote:
                if token == quote:
                    quote = None
            elif token in "\"'`":
                quote = token
            elif token == "[":
                brackets += 1
            else:
                brackets = max(0, brackets - 1)
            out.append(token)
    out.append(text[position:])
    return "".join(out)


def _context(text: str, start: int, end: int, quote: str | None, brackets: int) -> str:
    if quote:
        return Context.QUOTED
    before = text[:start]
    if brackets or re.search(r"\boffset\s*$", before):
        return Context.DURATION
    if _LABEL_LIST_KEYWORD.search(before):
        return Context.LABEL
    if text[end : end + 1] == "{":
        return Context.NAME
    return Context.SCALAR


class PromQLError(ValueError):
    """The expression is not valid PromQL (after substituting Grafana variables)."""


# Functions Prometheus 2 has under names the parser only knows in their Prometheus 3 spelling.
_RENAMED_FUNCTIONS = re.compile(r"\bholt_winters(?=\s*\()")


def parse(text: str, resolve: Resolver = static_value) -> promql_parser.Expr:
    substituted = _RENAMED_FUNCTIONS.sub("double_exponential_smoothing", substitute(text, resolve))
    try:
        return promql_parser.parse(substituted)
    except ValueError as exc:
        raise PromQLError(str(exc)) from None


@dataclass(frozen=True)
class Selector:
    """A vector selector and the functions/aggregations around it, innermost last."""

    node: promql_parser.VectorSelector
    range: timedelta | None  # the [range] when it is a range selector or subquery
    enclosing: tuple[str, ...]  # e.g. ("histogram_quantile", "sum", "rate")

    @property
    def metric(self) -> str | None:
        if self.node.name:
            return self.node.name
        for matcher in self.node.matchers.matchers:
            if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal:
                return matcher.value
        return None

    @property
    def matchers(self) -> list[promql_parser.Matcher]:
        return list(self.node.matchers.matchers) + [
            m for group in self.node.matchers.or_matchers for m in group
        ]


def children(node: promql_parser.Expr) -> list[promql_parser.Expr]:
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(
        node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)
    ):
        return [node.expr]
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    return []


def node_name(node: promql_parser.Expr) -> str | None:
    """The function or aggregation a node applies (``rate``, ``sum``), else None."""
    if isinstance(node, promql_parser.Call):
        return node.func.name
    if isinstance(node, promql_parser.AggregateExpr):
        return str(node.op)
    return None


def selectors(expr: promql_parser.Expr) -> Iterator[Selector]:
    """Every vector selector in ``expr`` with the calls enclosing it."""

    def visit(
        node: promql_parser.Expr, enclosing: tuple[str, ...], range_: timedelta | None
    ) -> Iterator[Selector]:
        if isinstance(node, promql_parser.VectorSelector):
            yield Selector(node, range_, enclosing)
            return
        name = node_name(node)
        inner = enclosing + (name,) if name else enclosing
        if isinstance(node, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
            range_ = node.range
        elif not isinstance(node, promql_parser.ParenExpr):
            range_ = None
        for child in children(node):
            yield from visit(child, inner, range_)

    yield from visit(expr, (), None)


def calls(
    expr: promql_parser.Expr,
) -> Iterator[promql_parser.Call | promql_parser.AggregateExpr]:
    """Every function call and aggregation in ``expr``, outermost first."""
    if isinstance(expr, (promql_parser.Call, promql_parser.AggregateExpr)):
        yield expr
    for child in children(expr):
        yield from calls(child)
