"""Panel helpers: grafanalib panels whose units, legends and thresholds come from the query.

Each helper takes the panel title, a description (required: it is the
panel's help text in Grafana), and one or more queries from
:mod:`mlmon.dsl.query`. A query is an :class:`~mlmon.dsl.query.Expr`, a pair
``(expr, "legend {{label}}")``, or a :func:`target` for full control. The
helpers return ordinary grafanalib objects, so raw grafanalib panels can sit
next to them in a :func:`~mlmon.dsl.layout.row`.

Defaults chosen from the catalog: the unit (seconds → ``s``, ratios →
``percentunit``, bytes → ``bytes``, timestamps → ``dateTimeFromNow``, rates
of requests → ``reqps``), the legend (the labels the query keeps), and the
colour thresholds (p-values red below 0.05, drift flags red at 1, accuracy and
quality green above 0.9, latency red above 2 s). Pass ``unit=``,
``legend=`` or ``steps=`` to override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from grafanalib.core import (
    BarGauge,
    GaugePanel,
    PieChartv2,
    Stat,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
)

from mlmon.dsl.query import Expr
from mlmon.dsl.units import Steps, default_steps, grafana_unit
from mlmon.dsl.variables import DATASOURCE
from mlmon.errors import SourceError

QueryLike: TypeAlias = Expr | tuple[Expr, str] | Target


def target(
    expr: Expr,
    legend: str | None = None,
    *,
    instant: bool = False,
    table: bool = False,
    heatmap: bool = False,
) -> Target:
    """A Prometheus query of a panel; ``table=True`` for table panels, ``heatmap=True`` to de-cumulate buckets."""
    fmt = "table" if table else "heatmap" if heatmap else "time_series"
    legend = _default_legend(expr) if legend is None else legend
    built = Target(
        expr=expr.text,
        legendFormat=legend,
        instant=instant or table,
        format=fmt,
        datasource=DATASOURCE,
    )
    built._mlmon_expr = expr  # the typed query, for units and thresholds
    return built


def _default_legend(expr: Expr) -> str:
    if expr.labels:
        return " ".join(f"{{{{{label}}}}}" for label in sorted(expr.labels - {"le"}))
    return ", ".join(sorted(expr.metrics)) if len(expr.metrics) == 1 else ""


def _targets(
    title: str,
    queries: Sequence[QueryLike],
    *,
    instant: bool = False,
    table: bool = False,
    heatmap: bool = False,
) -> tuple[list[Target], list[Expr]]:
    if not queries:
        raise SourceError(
            "the panel has no query",
            item=title,
            hint="pass at least one query after the description",
        )
    targets, exprs = [], []
    for index, item in enumerate(queries):
        if isinstance(item, Target):
            t = item
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Expr):
            t = target(item[0], item[1], instant=instant, table=table, heatmap=heatmap)
        elif isinstance(item, Expr):
            t = target(item, instant=instant, table=table, heatmap=heatmap)
        else:
            raise SourceError(
                f"query {index + 1} is a {type(item).__name__}, not a query",
                item=title,
                hint="build queries with mlmon.dsl.query (series, rate, histogram_quantile, ...)",
            )
        t.refId = t.refId or chr(ord("A") + index)
        targets.append(t)
        if getattr(t, "_mlmon_expr", None) is not None:
            exprs.append(t._mlmon_expr)
    return targets, exprs


def _check_description(title: str, description: str) -> str:
    if not isinstance(description, str) or not description.strip():
        raise SourceError(
            "the panel has no description",
            item=title,
            hint="say what the panel shows and how to read it; Grafana shows it as the panel's help",
        )
    return description.strip()


def thresholds(steps: Steps) -> list[Threshold]:
    """grafanalib thresholds from ``(colour, from_value)`` steps; the first step's value is ``None``."""
    return [
        Threshold(color, index, float(value or 0.0)) for index, (color, value) in enumerate(steps)
    ]


def value_map(mapping: Mapping[Any, tuple[str, str]]) -> list[dict]:
    """A value mapping ``{value: (text, colour)}``, e.g. ``{0: ("No drift", "green"), 1: ("Drift", "red")}``."""
    options = {
        str(value): {"text": text, "color": color, "index": index}
        for index, (value, (text, color)) in enumerate(mapping.items())
    }
    return [{"type": "value", "options": options}]


def _field_defaults(
    *,
    min: float | None = None,
    max: float | None = None,
    decimals: int | None = None,
    mappings: list[dict] | None = None,
) -> dict:
    defaults: dict[str, Any] = {}
    if min is not None:
        defaults["min"] = min
    if max is not None:
        defaults["max"] = max
    if decimals is not None:
        defaults["decimals"] = decimals
    if mappings:
        defaults["mappings"] = mappings
    return {"fieldConfig": {"defaults": defaults}} if defaults else {}


def _unit_and_steps(
    title: str, exprs: list[Expr], unit: str | None, steps: Steps | None
) -> tuple[str, Steps]:
    return (unit or grafana_unit(exprs, title)), (
        steps if steps is not None else default_steps(exprs)
    )


def timeseries(
    title: str,
    description: str,
    *queries: QueryLike,
    unit: str | None = None,
    steps: Steps | None = None,
    min: float | None = None,
    max: float | None = None,
    decimals: int | None = None,
    stack: bool = False,
    bars: bool = False,
    show_thresholds: bool = False,
    legend_calcs: Sequence[str] = ("lastNotNull", "max"),
) -> TimeSeries:
    """A time series; ``show_thresholds=True`` draws the threshold lines (e.g. the p = 0.05 line)."""
    targets, exprs = _targets(title, queries)
    unit, steps = _unit_and_steps(title, exprs, unit, steps)
    return TimeSeries(
        title=title,
        description=_check_description(title, description),
        targets=targets,
        dataSource=DATASOURCE,
        unit=unit,
        thresholds=thresholds(steps),
        drawStyle="bars" if bars else "line",
        fillOpacity=80 if bars else 10,
        stacking={"mode": "normal", "group": "A"} if stack else {},
        thresholdsStyleMode="line" if show_thresholds else "off",
        legendDisplayMode="table",
        legendCalcs=list(legend_calcs),
        tooltipMode="multi",
        tooltipSort="desc",
        showPoints="never",
        extraJson=_field_defaults(min=min, max=max, decimals=decimals),
    )


def stat(
    title: str,
    description: str,
    *queries: QueryLike,
    unit: str | None = None,
    steps: Steps | None = None,
    decimals: int | None = None,
    mappings: list[dict] | None = None,
    graph: bool = False,
    reduce: str = "lastNotNull",
    color_background: bool = False,
) -> Stat:
    """A big number (the last value by default), coloured by its thresholds."""
    targets, exprs = _targets(title, queries)
    unit, steps = _unit_and_steps(title, exprs, unit, steps)
    return Stat(
        title=title,
        description=_check_description(title, description),
        targets=targets,
        dataSource=DATASOURCE,
        format=unit,
        thresholds=thresholds(steps),
        reduceCalc=reduce,
        graphMode="area" if graph else "none",
        colorMode="background" if color_background else "value",
        noValue="No data",
        mappings=mappings or [],
        decimals=decimals,
    )


def gauge(
    title: str,
    description: str,
    *queries: QueryLike,
    unit: str | None = None,
    steps: Steps | None = None,
    min: float = 0,
    max: float = 1,
    decimals: int | None = None,
) -> GaugePanel:
    """A dial between ``min`` and ``max`` (0–1 by default: ratios)."""
    targets, exprs = _targets(title, queries)
    unit, steps = _unit_and_steps(title, exprs, unit, steps)
    return GaugePanel(
        title=title,
        description=_check_description(title, description),
        targets=targets,
        dataSource=DATASOURCE,
        format=unit,
        thresholds=thresholds(steps),
        calc="lastNotNull",
        min=min,
        max=max,
        decimals=decimals,
    )


def bargauge(
    title: str,
    description: str,
    *queries: QueryLike,
    unit: str | None = None,
    steps: Steps | None = None,
    min: float = 0,
    max: float | None = 1,
    heatmap: bool = False,
) -> BarGauge:
    """One bar per series (per feature, per column); ``heatmap=True`` shows histogram buckets as bars."""
    targets, exprs = _targets(title, queries, instant=True, heatmap=heatmap)
    unit, steps = _unit_and_steps(title, exprs, unit, steps)
    return BarGauge(
        title=title,
        description=_check_description(title, description),
        targets=targets,
        dataSource=DATASOURCE,
        format=unit,
        thresholds=thresholds(steps),
        calc="lastNotNull",
        min=min,
        max=max,
        displayMode="gradient",
        orientation="horizontal" if not heatmap else "vertical",
    )


def table(
    title: str,
    description: str,
    *queries: QueryLike,
    unit: str | None = None,
    steps: Steps | None = None,
    mappings: list[dict] | None = None,
    rename: Mapping[str, str] | None = None,
    color_cells: bool = False,
) -> Table:
    """A table of the queries' current values, one row per series, merged on their labels.

    ``rename`` maps column names (``Value`` or ``Value #A`` for query A) to headers. Units, thresholds and
    mappings apply to every value column (Grafana's schema types per-column overrides too narrowly to use
    them portably), so give a table one kind of value.
    """
    targets, exprs = _targets(title, queries, table=True)
    unit, steps = _unit_and_steps(title, exprs, unit, steps)
    organize = {
        "excludeByName": {"Time": True, "__name__": True},
        "renameByName": dict(rename or {}),
    }
    transformations = ([{"id": "merge", "options": {}}] if len(targets) > 1 else []) + [
        {"id": "organize", "options": organize}
    ]
    return Table(
        title=title,
        description=_check_description(title, description),
        targets=targets,
        dataSource=DATASOURCE,
        unit=unit,
        thresholds=thresholds(steps),
        mappings=mappings or [],
        displayMode="color-background" if color_cells else "auto",
        filterable=True,
        transformations=transformations,
    )


def piechart(
    title: str, description: str, *queries: QueryLike, unit: str | None = None, donut: bool = False
) -> PieChartv2:
    """Shares of a whole (e.g. drifted vs not drifted features), with values and percentages in the legend."""
    targets, exprs = _targets(title, queries, instant=True)
    unit = unit or grafana_unit(exprs, title)
    return PieChartv2(
        title=title,
        description=_check_description(title, description),
        targets=targets,
        dataSource=DATASOURCE,
        unit=unit,
        pieType="donut" if donut else "pie",
        legendDisplayMode="table",
        legendPlacement="right",
        legendValues=["value", "percent"],
        reduceOptionsCalcs=["lastNotNull"],
    )


def text(title: str, content: str, *, description: str = "Notes") -> Text:
    """A Markdown note (how to read the dashboard, runbook links)."""
    return Text(title=title, description=description, content=content, mode="markdown")
