"""Catalog units → Grafana unit ids, and default thresholds by what a metric measures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from exporter import catalog
from exporter.catalog import Family, Unit
from mlmon.dsl.query import Expr
from mlmon.errors import SourceError

# Grafana unit ids: https://github.com/grafana/grafana/blob/main/packages/grafana-data/src/valueFormats/categories.ts
_GRAFANA_UNITS = {
    Unit.SECONDS: "s",
    Unit.BYTES: "bytes",
    Unit.RATIO: "percentunit",
    Unit.PVALUE: "none",
    Unit.COUNT: "short",
    Unit.TIMESTAMP: "dateTimeFromNow",
    Unit.BOOLEAN: "none",  # 0/1 flags: value mappings give them words where it matters
    Unit.SCORE: "none",
    Unit.TARGET: "short",
}
# Seconds per second is the share of time busy.
_PER_SECOND_UNITS = {Unit.COUNT: "ops", Unit.BYTES: "Bps", Unit.SECONDS: "percentunit"}

Steps = Sequence[tuple[str, float | None]]

# Colour steps (Grafana semantics: a colour applies from its value upwards; the first has no value).
HIGHER_IS_BETTER: Steps = (("red", None), ("orange", 0.8), ("green", 0.9))
PVALUE_STEPS: Steps = (("red", None), ("green", 0.05))  # below 0.05 = evidence of drift
DRIFT_FLAG_STEPS: Steps = (("green", None), ("red", 1))
DRIFT_COUNT_STEPS: Steps = (("green", None), ("orange", 1), ("red", 3))
LATENCY_STEPS: Steps = (("green", None), ("orange", 0.5), ("red", 2.0))  # the seed alerts above 2 s
PROBLEM_COUNT_STEPS: Steps = (("green", None), ("orange", 1), ("red", 50))
NEUTRAL_STEPS: Steps = (("green", None),)


def grafana_unit(exprs: Iterable[Expr], panel: str) -> str:
    """The Grafana unit for the queries of one panel; they must agree (or pass ``unit=`` explicitly)."""
    units = {_unit_of(e) for e in exprs if e.unit is not None}
    if len(units) > 1:
        raise SourceError(
            f"its queries have different units ({', '.join(sorted(units))})",
            item=panel,
            hint="pass unit= to the panel helper, or split the panel",
        )
    return units.pop() if units else "short"


def _unit_of(expr: Expr) -> str:
    if expr.per_second:
        if expr.unit is Unit.COUNT and expr.metrics == {"api_requests_total"}:
            return "reqps"
        return _PER_SECOND_UNITS.get(expr.unit, "ops")  # type: ignore[arg-type]
    return _GRAFANA_UNITS[expr.unit]  # type: ignore[index]


def default_steps(exprs: Sequence[Expr]) -> Steps:
    """Thresholds chosen from what the first query measures: drift, quality, accuracy, latency."""
    if not exprs:
        return NEUTRAL_STEPS
    expr = exprs[0]
    metrics = [catalog.CATALOG[name] for name in sorted(expr.metrics)]
    families = {m.family for m in metrics}
    if expr.unit is Unit.PVALUE:
        return PVALUE_STEPS
    if Family.DRIFT in families and expr.unit is Unit.BOOLEAN:
        return DRIFT_FLAG_STEPS
    if Family.DRIFT in families and expr.unit is Unit.COUNT:
        return DRIFT_COUNT_STEPS
    if (
        expr.unit is Unit.RATIO
        and families & {Family.MODEL, Family.QUALITY}
        and not expr.per_second
    ):
        if any(m.name == "model_mape" for m in metrics):
            return (("green", None), ("orange", 0.1), ("red", 0.2))  # an error: lower is better
        return HIGHER_IS_BETTER
    if Family.QUALITY in families and expr.unit is Unit.COUNT:
        return PROBLEM_COUNT_STEPS
    if expr.unit is Unit.SECONDS and not expr.per_second:
        return LATENCY_STEPS
    return NEUTRAL_STEPS
