"""PromQL built from the metric catalog: the query builder shared by dashboards and alerts.

Contract
--------
Every function returns an :class:`Expr` (alias :data:`Query`): an immutable
value holding the PromQL ``text``, the catalog ``unit`` of its values (or
``None`` when arithmetic makes it unknowable), whether it is a ``per_second``
rate, the catalog ``metrics`` it reads, and the ``labels`` its series carry
(``None`` when unknown, e.g. after :func:`raw`). ``str(expr)`` is the PromQL.

Anything the catalog (``exporter/catalog.py``) does not declare raises
:class:`mlmon.errors.CatalogError` *when the expression is built*, with a
did-you-mean hint:

- an unknown metric or sample name;
- a label the metric does not have (in a matcher, ``by=``, ``without=``,
  ``on=``, ``ignoring=``, ``group_left=``/``group_right=``);
- a literal label value the catalog's ``label_values`` pattern rejects
  (``status="6xx"``);
- a function applied to the wrong metric type: :func:`rate`/:func:`increase`
  only on counters and on a histogram's ``_count``/``_sum``/``_bucket``
  series; :func:`histogram_quantile` only on histograms.

Other mistakes (a malformed window, a quantile outside [0, 1], an unknown
operator) raise :class:`mlmon.errors.SourceError`.

Metrics are named by string (``"api_requests_total"``) or by catalog
:class:`~exporter.catalog.Metric`. A histogram's samples are named by their
series name (``"api_request_duration_seconds_count"``).

Label matchers are keyword arguments::

    series("api_requests_total", endpoint="/predict")          # =
    series("api_requests_total", status=Re("5.."))             # =~
    series("api_requests_total", status=Ne("200"))             # !=
    series("api_requests_total", endpoint=NotRe("/health|/metrics"))  # !~
    series("model_accuracy", model_name="$model")              # =~"$model"

A value that contains a Grafana variable (``$model``, ``${model}``,
``[[model]]``) becomes a regex matcher, because multi-value and "All"
variables interpolate as regular expressions; its value is not checked
against the catalog (it is only known at query time).

Windows: ``"$__rate_interval"`` (default, for dashboards), ``"$__interval"``,
``"$__range"``, or a fixed Prometheus duration such as ``"5m"`` or ``"1h30m"``
(alert rules must use fixed windows).

Aggregations (:func:`sum`, :func:`avg`, :func:`max`, :func:`min`,
:func:`count`) take ``by=`` or ``without=``; :func:`rate`, :func:`increase`
and :func:`histogram_quantile` take ``by=`` to sum before (rate) or inside
(quantile). Arithmetic (``+ - * /``) and comparisons (``> < >= <=``, and
:meth:`Expr.eq` / :meth:`Expr.ne`) work between expressions and numbers;
:meth:`Expr.binop` adds vector matching (``on``/``ignoring``,
``group_left``/``group_right``) and the ``bool`` modifier; :meth:`Expr.and_`,
:meth:`Expr.or_`, :meth:`Expr.unless` are the set operators.

Examples::

    rate("api_requests_total", by=("endpoint",))
    # sum by (endpoint) (rate(api_requests_total[$__rate_interval]))
    histogram_quantile(0.95, "api_request_duration_seconds", by=("endpoint",), window="5m")
    # histogram_quantile(0.95, sum by (le, endpoint) (rate(api_request_duration_seconds_bucket[5m])))
    (rate("api_requests_total", status=Re("5..")).sum() / rate("api_requests_total").sum()) > 0.05
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from exporter import catalog
from exporter.catalog import Metric, MetricType, Unit
from mlmon import catalog as catalogs
from mlmon.errors import CatalogError, SourceError

__all__ = [
    "Expr",
    "Query",
    "Re",
    "Ne",
    "NotRe",
    "Matcher",
    "metric",
    "series",
    "rate",
    "increase",
    "histogram_quantile",
    "histogram_mean",
    "sum",
    "avg",
    "max",
    "min",
    "count",
    "topk",
    "bottomk",
    "avg_over_time",
    "max_over_time",
    "min_over_time",
    "last_over_time",
    "absent",
    "time",
    "number",
    "vector",
    "call",
    "raw",
    "promql",
    "label_values",
    "for_task",
    "RATE_INTERVAL",
    "check_window",
]

RATE_INTERVAL = "$__rate_interval"
_GRAFANA_WINDOWS = {"$__rate_interval", "$__interval", "$__range"}
_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z_][A-Za-z0-9_]*")
_REGEX_META = re.compile(r"[.^$*+?()\[\]{}|\\]")

# Operator precedence (PromQL, high to low): ^, * / %, + -, comparisons, and/unless, or.
_PRECEDENCE = {
    "^": 6,
    "*": 5,
    "/": 5,
    "%": 5,
    "+": 4,
    "-": 4,
    "==": 3,
    "!=": 3,
    "<": 3,
    ">": 3,
    "<=": 3,
    ">=": 3,
    "and": 2,
    "unless": 2,
    "or": 1,
}
_COMPARISONS = {"==", "!=", "<", ">", "<=", ">="}
_SET_OPS = {"and", "or", "unless"}
_ATOM = 10  # selectors, calls and numbers never need parentheses


# --------------------------------------------------------------------- matchers


@dataclass(frozen=True)
class Matcher:
    """A label matcher's operator and value; plain strings mean ``=`` (or ``=~`` with a variable)."""

    op: str
    value: str


def Re(pattern: str) -> Matcher:
    """``label=~"pattern"`` (fully anchored, RE2 syntax)."""
    return Matcher("=~", pattern)


def Ne(value: str) -> Matcher:
    """``label!="value"``."""
    return Matcher("!=", value)


def NotRe(pattern: str) -> Matcher:
    """``label!~"pattern"``."""
    return Matcher("!~", pattern)


MatcherValue = str | int | Matcher


# ------------------------------------------------------------------ expressions


@dataclass(frozen=True)
class Expr:
    """A PromQL expression with what the catalog says about its values.

    ``text`` is the PromQL; ``unit`` the catalog unit of the values (``None``
    when unknown); ``per_second`` marks rates; ``metrics`` the catalog metric
    names read; ``labels`` the label names the result series carry (``None``
    when unknown, which disables label checks downstream); ``sample`` is the
    Prometheus sample name when the expression is a bare selector.
    """

    text: str
    unit: Unit | None = None
    per_second: bool = False
    metrics: frozenset[str] = frozenset()
    labels: frozenset[str] | None = None
    sample: str | None = None
    precedence: int = _ATOM
    is_scalar: bool = False

    def __str__(self) -> str:
        return self.text

    # -- units -------------------------------------------------------------
    def with_unit(self, unit: Unit | str | None, per_second: bool | None = None) -> Expr:
        """The same expression with its unit stated explicitly (after arithmetic the builder can't infer)."""
        return replace(
            self,
            unit=Unit(unit) if unit is not None else None,
            per_second=self.per_second if per_second is None else per_second,
        )

    # -- aggregation shortcuts ----------------------------------------------
    def sum(self, by: Iterable[str] | None = None, without: Iterable[str] | None = None) -> Expr:
        return sum(self, by=by, without=without)

    def avg(self, by: Iterable[str] | None = None, without: Iterable[str] | None = None) -> Expr:
        return avg(self, by=by, without=without)

    def max(self, by: Iterable[str] | None = None, without: Iterable[str] | None = None) -> Expr:
        return max(self, by=by, without=without)

    def min(self, by: Iterable[str] | None = None, without: Iterable[str] | None = None) -> Expr:
        return min(self, by=by, without=without)

    # -- binary operators ------------------------------------------------------
    def binop(
        self,
        op: str,
        other: Expr | float | int,
        *,
        on: Iterable[str] | None = None,
        ignoring: Iterable[str] | None = None,
        group_left: Iterable[str] | None = None,
        group_right: Iterable[str] | None = None,
        bool_: bool = False,
    ) -> Expr:
        """``self <op> other`` with optional vector matching and the ``bool`` modifier."""
        return _binop(
            self,
            op,
            _as_expr(other),
            on=on,
            ignoring=ignoring,
            group_left=group_left,
            group_right=group_right,
            bool_=bool_,
        )

    # Arithmetic and comparisons build PromQL (a / b, 2 * a, a > 0.05); a number on the left
    # (2 * a, 0.05 < a) reaches the reflected method, so the number stays on the left in the text.

    def __add__(self, other: Expr | float | int) -> Expr:
        """``self + other``"""
        return self.binop("+", other)

    def __radd__(self, other: float | int) -> Expr:
        """``other + self``"""
        return _as_expr(other).binop("+", self)

    def __sub__(self, other: Expr | float | int) -> Expr:
        """``self - other``"""
        return self.binop("-", other)

    def __rsub__(self, other: float | int) -> Expr:
        """``other - self``"""
        return _as_expr(other).binop("-", self)

    def __mul__(self, other: Expr | float | int) -> Expr:
        """``self * other``"""
        return self.binop("*", other)

    def __rmul__(self, other: float | int) -> Expr:
        """``other * self``"""
        return _as_expr(other).binop("*", self)

    def __truediv__(self, other: Expr | float | int) -> Expr:
        """``self / other``"""
        return self.binop("/", other)

    def __rtruediv__(self, other: float | int) -> Expr:
        """``other / self``"""
        return _as_expr(other).binop("/", self)

    # Comparisons return a PromQL filter, not a bool; ``==``/``!=`` stay Python's value equality (see eq/ne).
    def __gt__(self, other: Expr | float | int) -> Expr:
        """``self > other``"""
        return self.binop(">", other)

    def __lt__(self, other: Expr | float | int) -> Expr:
        """``self < other``"""
        return self.binop("<", other)

    def __ge__(self, other: Expr | float | int) -> Expr:
        """``self >= other``"""
        return self.binop(">=", other)

    def __le__(self, other: Expr | float | int) -> Expr:
        """``self <= other``"""
        return self.binop("<=", other)

    def eq(self, other: Expr | float | int, bool_: bool = False) -> Expr:
        """``self == other`` (a method: ``==`` keeps Python's equality for values)."""
        return self.binop("==", other, bool_=bool_)

    def ne(self, other: Expr | float | int, bool_: bool = False) -> Expr:
        return self.binop("!=", other, bool_=bool_)

    def and_(
        self, other: Expr, on: Iterable[str] | None = None, ignoring: Iterable[str] | None = None
    ) -> Expr:
        return self.binop("and", other, on=on, ignoring=ignoring)

    def or_(
        self, other: Expr, on: Iterable[str] | None = None, ignoring: Iterable[str] | None = None
    ) -> Expr:
        return self.binop("or", other, on=on, ignoring=ignoring)

    def unless(
        self, other: Expr, on: Iterable[str] | None = None, ignoring: Iterable[str] | None = None
    ) -> Expr:
        return self.binop("unless", other, on=on, ignoring=ignoring)


Query = Expr
MetricRef = str | Metric


# ------------------------------------------------------------------ the catalog


def metric(name: MetricRef) -> Metric:
    """The catalog metric called ``name`` (or owning sample ``name``); CatalogError otherwise."""
    if isinstance(name, Metric):
        return name
    try:
        return catalog.get(name)
    except KeyError:
        raise CatalogError(
            f"metric {name!r} is not in the metric catalog",
            hint=_did_you_mean(
                name,
                [*catalog.CATALOG, *catalogs.all_series()],
                "declare it in exporter/catalog.py if the exporter serves it "
                "(families mlmon does not export: catalog.yml, queried with q.promql())",
            ),
        ) from None


_did_you_mean = (
    catalogs.did_you_mean
)  # the one suggestion helper (same family, small edit distance)


def _sample_name(name: MetricRef) -> tuple[Metric, str]:
    """Resolve ``name`` to (metric, sample); a bare histogram name has no sample of its own."""
    m = metric(name)
    sample = name if isinstance(name, str) else m.name
    if m.type is MetricType.HISTOGRAM and sample == m.name:
        raise CatalogError(
            f"{m.name!r} is a histogram: name one of its series",
            hint=f"use {m.name}_bucket, {m.name}_count or {m.name}_sum, or histogram_quantile()/histogram_mean()",
        )
    return m, sample


def _sample_labels(m: Metric, sample: str) -> frozenset[str]:
    labels = frozenset(m.labels)
    return (
        labels | {"le"} if sample.endswith("_bucket") and m.type is MetricType.HISTOGRAM else labels
    )


def _check_labels(
    where: str, labels: Iterable[str], available: frozenset[str] | None
) -> tuple[str, ...]:
    if isinstance(labels, str):
        raise SourceError(f"{where}: pass label names as a tuple, e.g. ({labels!r},), not a string")
    checked = tuple(labels)
    if available is None:
        return checked
    for label in checked:
        if label not in available:
            have = ", ".join(sorted(available)) or "no labels"
            raise CatalogError(
                f"{where}: label {label!r} is not on these series (they have {have})",
                hint=_did_you_mean(label, available, "check exporter/catalog.py"),
            )
    return checked


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _matcher(m: Metric, label: str, value: MatcherValue) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = Matcher("=~", value) if _VARIABLE.search(value) else Matcher("=", value)
    if not isinstance(value, Matcher):
        raise SourceError(
            f"{m.name}: matcher for label {label!r} must be a string, Re(), Ne() or NotRe(), "
            f"not {type(value).__name__}"
        )
    if not _VARIABLE.search(value.value):
        _check_label_value(m, label, value)
    return f'{label}{value.op}"{_escape(value.value)}"'


def _check_label_value(m: Metric, label: str, matcher: Matcher) -> None:
    pattern = m.label_values.get(label)
    if matcher.op in ("=~", "!~"):
        try:
            re.compile(matcher.value)
        except re.error as exc:
            raise SourceError(
                f"{m.name}: regex {matcher.value!r} for label {label!r} is invalid: {exc}"
            ) from None
    if pattern is None:
        return
    # Literal values (and the literal alternatives of a regex) must be values the exporter can emit.
    literals = (
        [matcher.value]
        if matcher.op in ("=", "!=")
        else [alt for alt in matcher.value.split("|") if alt and not _REGEX_META.search(alt)]
    )
    for literal in literals:
        if not m.allows_label_value(label, literal):
            raise CatalogError(
                f"{m.name}: {label}={literal!r} can never match: the catalog allows {pattern!r}",
                hint="fix the value or the catalog's label_values",
            )


# -------------------------------------------------------------------- selectors


def series(name: MetricRef, **matchers: MatcherValue) -> Expr:
    """An instant-vector selector ``name{matchers}``; ``name`` may be a histogram's series name."""
    m, sample = _sample_name(name)
    labels = _sample_labels(m, sample)
    _check_labels(sample, matchers, labels)
    inner = ", ".join(_matcher(m, label, value) for label, value in matchers.items())
    unit = (
        Unit.COUNT
        if sample.endswith(("_count", "_bucket")) and m.type is MetricType.HISTOGRAM
        else m.unit
    )
    return Expr(
        f"{sample}{{{inner}}}" if inner else sample,
        unit=unit,
        metrics=frozenset({m.name}),
        labels=labels,
        sample=sample,
    )


def _selector(source: MetricRef | Expr, matchers: Mapping[str, MatcherValue]) -> Expr:
    if isinstance(source, Expr):
        if source.sample is None:
            raise SourceError(
                f"expected a metric selector, got the expression {source.text!r}",
                hint="pass the metric name (with label matchers as keyword arguments)",
            )
        if matchers:
            raise SourceError(
                f"{source.sample}: give label matchers either to series() or here, not both"
            )
        return source
    return series(source, **matchers)


def check_window(window: str) -> str:
    """Return ``window`` if it is a Grafana range variable or a Prometheus duration; SourceError otherwise."""
    if window in _GRAFANA_WINDOWS or _DURATION.fullmatch(window):
        return window
    raise SourceError(
        f"window {window!r} is neither a Prometheus duration nor a Grafana range variable",
        hint="use e.g. '5m', '1h30m' or '$__rate_interval'",
    )


def _counter_like(sample: str, func: str) -> Metric:
    m = catalog.get(sample)
    if m.type is MetricType.COUNTER:
        return m
    if m.type is MetricType.HISTOGRAM and sample != m.name:
        return m
    hint = (
        "use the gauge directly, or deriv()/delta() via call()"
        if m.type is MetricType.GAUGE
        else f"use {m.name}_count or {m.name}_sum"
    )
    raise CatalogError(f"{func}() needs a counter, but {m.name!r} is a {m.type.value}", hint=hint)


def _range_function(
    func: str,
    source: MetricRef | Expr,
    window: str,
    by: Iterable[str] | None,
    matchers: Mapping[str, MatcherValue],
    per_second: bool,
) -> Expr:
    sel = _selector(source, matchers)
    sample = sel.sample
    if sample is None:  # _selector() returns bare selectors only; this narrows the type
        raise SourceError(f"{func}(): expected a metric selector, got the expression {sel.text!r}")
    m = _counter_like(sample, func)
    unit = m.unit if sample.endswith("_sum") else Unit.COUNT
    expr = Expr(
        f"{func}({sel.text}[{check_window(window)}])",
        unit=unit,
        per_second=per_second,
        metrics=sel.metrics,
        labels=sel.labels,
    )
    return expr if by is None else sum(expr, by=by)


def rate(
    source: MetricRef | Expr,
    window: str = RATE_INTERVAL,
    *,
    by: Iterable[str] | None = None,
    **matchers: MatcherValue,
) -> Expr:
    """``rate(counter[window])``; with ``by=`` summed ``sum by (...) (rate(...))`` (``by=()`` sums all)."""
    return _range_function("rate", source, window, by, matchers, per_second=True)


def increase(
    source: MetricRef | Expr,
    window: str = RATE_INTERVAL,
    *,
    by: Iterable[str] | None = None,
    **matchers: MatcherValue,
) -> Expr:
    """``increase(counter[window])``: the count over the window; ``by=`` as in :func:`rate`."""
    return _range_function("increase", source, window, by, matchers, per_second=False)


def _histogram(name: MetricRef, func: str) -> Metric:
    m = metric(name)
    if m.type is not MetricType.HISTOGRAM:
        raise CatalogError(
            f"{func}() needs a histogram, but {m.name!r} is a {m.type.value}",
            hint="use the metric directly or an aggregation",
        )
    return m


def histogram_quantile(
    q: float,
    name: MetricRef,
    *,
    by: Iterable[str] = (),
    window: str = RATE_INTERVAL,
    **matchers: MatcherValue,
) -> Expr:
    """``histogram_quantile(q, sum by (le, <by>) (rate(<name>_bucket{...}[window])))``."""
    m = _histogram(name, "histogram_quantile")
    if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 <= q <= 1:
        raise SourceError(
            f"histogram_quantile({q!r}, {m.name}): the quantile must be a number in [0, 1]"
        )
    by = _check_labels(f"histogram_quantile of {m.name}", by, frozenset(m.labels))
    buckets = rate(f"{m.name}_bucket", window, by=("le", *by), **matchers)
    return Expr(
        f"histogram_quantile({_number_text(q)}, {buckets.text})",
        unit=m.unit,
        metrics=frozenset({m.name}),
        labels=frozenset(by),
    )


def histogram_mean(
    name: MetricRef,
    *,
    by: Iterable[str] = (),
    window: str = RATE_INTERVAL,
    **matchers: MatcherValue,
) -> Expr:
    """The mean observation over the window: ``sum(rate(_sum)) / sum(rate(_count))``, in the metric's unit."""
    m = _histogram(name, "histogram_mean")
    by = tuple(by)
    mean = rate(f"{m.name}_sum", window, by=by, **matchers) / rate(
        f"{m.name}_count", window, by=by, **matchers
    )
    return mean.with_unit(m.unit, per_second=False)


# ------------------------------------------------------------------ aggregation


def _aggregate(
    op: str,
    expr: Expr | MetricRef,
    by: Iterable[str] | None,
    without: Iterable[str] | None,
    param: str = "",
) -> Expr:
    expr = expr if isinstance(expr, Expr) else series(expr)
    if by is not None and without is not None:
        raise SourceError(f"{op}(): give by= or without=, not both")
    labels: frozenset[str] | None  # None: unknown (without() over series of unknown labels)
    if by is not None:
        grouping = _check_labels(f"{op} by", by, expr.labels)
        clause, labels = f" by ({', '.join(grouping)})", frozenset(grouping)
    elif without is not None:
        grouping = _check_labels(f"{op} without", without, expr.labels)
        clause = f" without ({', '.join(grouping)})"
        labels = None if expr.labels is None else expr.labels - set(grouping)
    else:
        clause, labels = "", frozenset()
    # Counting series, or summing 0/1 flags, gives a number of things.
    unit = Unit.COUNT if op == "count" or (op == "sum" and expr.unit is Unit.BOOLEAN) else expr.unit
    per_second = False if op == "count" else expr.per_second
    if op in ("topk", "bottomk"):
        labels = expr.labels
    space = " " if clause else ""
    return Expr(
        f"{op}{clause}{space}({param}{expr.text})",
        unit=unit,
        per_second=per_second,
        metrics=expr.metrics,
        labels=labels,
    )


def sum(
    expr: Expr | MetricRef, by: Iterable[str] | None = None, without: Iterable[str] | None = None
) -> Expr:
    """``sum by (...) (expr)``; without ``by``/``without`` sums every series into one."""
    return _aggregate("sum", expr, by, without)


def avg(
    expr: Expr | MetricRef, by: Iterable[str] | None = None, without: Iterable[str] | None = None
) -> Expr:
    return _aggregate("avg", expr, by, without)


def max(
    expr: Expr | MetricRef, by: Iterable[str] | None = None, without: Iterable[str] | None = None
) -> Expr:
    return _aggregate("max", expr, by, without)


def min(
    expr: Expr | MetricRef, by: Iterable[str] | None = None, without: Iterable[str] | None = None
) -> Expr:
    return _aggregate("min", expr, by, without)


def count(
    expr: Expr | MetricRef, by: Iterable[str] | None = None, without: Iterable[str] | None = None
) -> Expr:
    """``count by (...) (expr)``: how many series (e.g. features with drift: ``count(x == 1)``)."""
    return _aggregate("count", expr, by, without)


def topk(k: int, expr: Expr | MetricRef, by: Iterable[str] | None = None) -> Expr:
    return _aggregate("topk", expr, by, None, param=f"{int(k)}, ")


def bottomk(k: int, expr: Expr | MetricRef, by: Iterable[str] | None = None) -> Expr:
    return _aggregate("bottomk", expr, by, None, param=f"{int(k)}, ")


def _over_time(
    func: str, source: MetricRef | Expr, window: str, matchers: Mapping[str, MatcherValue]
) -> Expr:
    sel = _selector(source, matchers)
    return Expr(
        f"{func}({sel.text}[{check_window(window)}])",
        unit=sel.unit,
        per_second=sel.per_second,
        metrics=sel.metrics,
        labels=sel.labels,
    )


def avg_over_time(source: MetricRef | Expr, window: str, **matchers: MatcherValue) -> Expr:
    """``avg_over_time(gauge[window])`` (e.g. "accuracy below 0.85 for 5m" without flapping)."""
    return _over_time("avg_over_time", source, window, matchers)


def max_over_time(source: MetricRef | Expr, window: str, **matchers: MatcherValue) -> Expr:
    return _over_time("max_over_time", source, window, matchers)


def min_over_time(source: MetricRef | Expr, window: str, **matchers: MatcherValue) -> Expr:
    return _over_time("min_over_time", source, window, matchers)


def last_over_time(source: MetricRef | Expr, window: str, **matchers: MatcherValue) -> Expr:
    return _over_time("last_over_time", source, window, matchers)


# ----------------------------------------------------------- functions, numbers


def absent(source: MetricRef | Expr, **matchers: MatcherValue) -> Expr:
    """``absent(selector)``: 1 when no such series exists (a dead exporter or API)."""
    sel = _selector(source, matchers)
    return Expr(f"absent({sel.text})", unit=Unit.BOOLEAN, metrics=sel.metrics, labels=None)


def up(job: str) -> Expr:
    """Prometheus's own scrape-health series ``up{job="..."}`` (1 when the last scrape succeeded).

    ``up`` is not in the metric catalog because no mlmon process exports it:
    Prometheus writes it for every target. It carries the labels ``job`` and
    ``instance`` only.
    """
    if not job or '"' in job or "\\" in job:
        raise SourceError(f"up(): {job!r} is not a usable job name")
    return Expr(
        f'up{{job="{job}"}}', unit=Unit.BOOLEAN, labels=frozenset({"job", "instance"}), sample="up"
    )


def time() -> Expr:
    """``time()``: now, as a Unix timestamp (``time() - x`` for ages)."""
    return Expr("time()", unit=Unit.TIMESTAMP, labels=frozenset(), is_scalar=True)


def vector(value: float | int) -> Expr:
    """``vector(value)``: a one-series constant, e.g. ``x or vector(0)`` so "nothing" shows as 0."""
    return Expr(f"vector({number(value).text})", labels=frozenset())


def number(value: float | int) -> Expr:
    """A scalar literal."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SourceError(f"expected a number, got {value!r}")
    return Expr(_number_text(value), labels=frozenset(), is_scalar=True)


def call(func: str, expr: Expr, *args: float | int | str, unit: Unit | None | str = "same") -> Expr:
    """Any other PromQL function of one vector: ``call("clamp_min", x, 0)`` → ``clamp_min(x, 0)``."""
    if not re.fullmatch(r"[a-z_]+", func):
        raise SourceError(f"{func!r} is not a PromQL function name")
    extra = "".join(f", {_number_text(a) if isinstance(a, (int, float)) else a}" for a in args)
    result_unit = expr.unit if unit == "same" else (Unit(unit) if unit is not None else None)
    return Expr(
        f"{func}({expr.text}{extra})",
        unit=result_unit,
        per_second=expr.per_second,
        metrics=expr.metrics,
        labels=expr.labels,
    )


def raw(text: str, unit: Unit | str | None = None) -> Expr:
    """Unchecked PromQL (an escape hatch: `mlmon lint` still checks it against the catalog)."""
    return Expr(text, unit=Unit(unit) if unit is not None else None, labels=None, precedence=0)


def promql(text: str, unit: Unit | str | None = None) -> Expr:
    """PromQL written out, as imported dashboards have it: parsed and checked against the catalogs.

    The text is kept exactly. It is parsed with promql-parser (Grafana
    variables such as ``$__rate_interval`` or ``$job`` allowed) and every
    metric and label it names must be declared, by ``exporter/catalog.py``,
    by Prometheus itself or by the project's ``catalog.yml`` — the same check
    ``mlmon lint`` runs — so a typo fails the build, not the dashboard.
    """
    from mlmon.catalog.check import problems
    from mlmon.lint.promql import PromQLError

    if not isinstance(text, str) or not text.strip():
        raise SourceError(
            "promql(): the query is empty", hint="pass the PromQL expression as a string"
        )
    try:
        found = problems(text)
    except PromQLError as exc:
        raise SourceError(f"promql(): {text!r} is not valid PromQL: {exc}") from None
    if found:
        raise CatalogError(f"promql(): {found[0].message}", hint=found[0].hint)
    metrics = frozenset(
        family.name
        for family in map(catalogs.family_of, _selector_names(text))
        if family and family.origin == "exporter"
    )
    return Expr(
        text,
        unit=Unit(unit) if unit is not None else None,
        metrics=metrics,
        labels=None,
        precedence=0,
    )


def _selector_names(text: str) -> list[str]:
    from mlmon.lint.promql import parse, selectors

    return [s.metric for s in selectors(parse(text)) if s.metric]


def for_task(expr: Expr, task: str) -> Expr:
    """Keep only the series of models whose ``model_info{task}`` is ``task`` ("classification"/"regression").

    ``model_accuracy`` means different things per task; this splits it:
    ``expr and on (model_name, version) model_info{task="regression"}``.
    """
    return expr.and_(series("model_info", task=task), on=("model_name", "version"))


def label_values(name: MetricRef, label: str, **matchers: MatcherValue) -> str:
    """The Grafana variable query ``label_values(metric{matchers}, label)``, checked against the catalog."""
    m = metric(name)
    # A histogram has no sample under its own name; its _count series carries the same labels.
    sample = (
        name
        if isinstance(name, str) and name != m.name
        else (f"{m.name}_count" if m.type is MetricType.HISTOGRAM else m.name)
    )
    _check_labels(f"label_values({sample})", (label,), _sample_labels(m, sample))
    return f"label_values({series(sample, **matchers).text}, {label})"


def _number_text(value: float | int) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _as_expr(value: Expr | float | int) -> Expr:
    return value if isinstance(value, Expr) else number(value)


# ------------------------------------------------------------- binary operators


def _wrap(expr: Expr, precedence: int, right: bool) -> str:
    # Same-precedence operands on the right need parentheses: a - (b - c).
    if expr.precedence < precedence or (right and expr.precedence == precedence):
        return f"({expr.text})"
    return expr.text


def _result_unit(op: str, left: Expr, right: Expr, bool_: bool) -> tuple[Unit | None, bool]:
    if op in _COMPARISONS:
        return (Unit.BOOLEAN, False) if bool_ else (left.unit, left.per_second)
    if op in _SET_OPS:
        return left.unit, left.per_second
    if right.is_scalar and not left.is_scalar and op in ("*", "/"):
        return left.unit, left.per_second
    if left.is_scalar and not right.is_scalar and op == "*":
        return right.unit, right.per_second
    if op in ("+", "-"):
        if left.unit is Unit.TIMESTAMP and right.unit is Unit.TIMESTAMP and op == "-":
            return Unit.SECONDS, False
        if left.unit == right.unit and left.per_second == right.per_second:
            return left.unit, left.per_second
        return None, False
    if (
        op == "/"
        and left.unit == right.unit
        and left.unit is not None
        and left.per_second == right.per_second
    ):
        return Unit.RATIO, False  # a share: errors / requests, drifted / all features
    return None, False


def _binop(
    left: Expr,
    op: str,
    right: Expr,
    *,
    on: Iterable[str] | None,
    ignoring: Iterable[str] | None,
    group_left: Iterable[str] | None,
    group_right: Iterable[str] | None,
    bool_: bool,
) -> Expr:
    if op not in _PRECEDENCE:
        raise SourceError(
            f"unknown PromQL operator {op!r}", hint=f"use one of {' '.join(_PRECEDENCE)}"
        )
    if bool_ and op not in _COMPARISONS:
        raise SourceError(f"the bool modifier only applies to comparisons, not {op!r}")
    if op in _SET_OPS and (left.is_scalar or right.is_scalar):
        raise SourceError(f"{op!r} needs vectors on both sides")
    if on is not None and ignoring is not None:
        raise SourceError("give on= or ignoring=, not both")
    if group_left is not None and group_right is not None:
        raise SourceError("give group_left= or group_right=, not both")
    both = (
        (left.labels & right.labels)
        if left.labels is not None and right.labels is not None
        else None
    )
    modifier = ""
    if on is not None:
        modifier = f" on ({', '.join(_check_labels(f'{op} on', on, both))})"
    elif ignoring is not None:
        modifier = (
            f" ignoring ({', '.join(_check_labels(f'{op} ignoring', ignoring, left.labels))})"
        )
    labels = left.labels if not left.is_scalar else right.labels
    if group_left is not None:
        extra = _check_labels("group_left", group_left, right.labels)
        modifier += f" group_left ({', '.join(extra)})" if extra else " group_left"
        labels = None if labels is None else labels | set(extra)
    elif group_right is not None:
        extra = _check_labels("group_right", group_right, left.labels)
        modifier += f" group_right ({', '.join(extra)})" if extra else " group_right"
        labels = None if right.labels is None else right.labels | set(extra)
    if modifier and (left.is_scalar or right.is_scalar):
        raise SourceError("vector matching (on/ignoring/group_*) needs vectors on both sides")
    precedence = _PRECEDENCE[op]
    unit, per_second = _result_unit(op, left, right, bool_)
    text = f"{_wrap(left, precedence, False)} {op}{' bool' if bool_ else ''}{modifier} {_wrap(right, precedence, True)}"
    return Expr(
        text,
        unit=unit,
        per_second=per_second,
        metrics=left.metrics | right.metrics,
        labels=labels,
        precedence=precedence,
        is_scalar=left.is_scalar and right.is_scalar,
    )
