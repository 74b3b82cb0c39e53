"""Run a panel's targets against Prometheus as Grafana would, and hold the answers as series and tables."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmon.lint.prometheus_api import PrometheusAPI, QueryFailed
from mlmon.preview import templating
from mlmon.preview.timerange import TimeRange

# Prometheus refuses more than 11,000 points per series; Grafana widens the step to stay below.
MAX_POINTS = 11000
# Panel types whose targets run as instant queries unless the target says otherwise.
INSTANT_BY_DEFAULT = frozenset({"stat", "gauge", "bargauge", "table", "piechart"})


class PrometheusClient(PrometheusAPI):
    """The lint's Prometheus API client, plus the time-bounded calls a preview needs."""

    def instant(self, expr: str, at: float) -> dict[str, Any]:
        return self._get("query", [("query", expr), ("time", f"{at:.3f}")])

    def range(self, expr: str, start: float, end: float, step: float) -> dict[str, Any]:
        params = [("query", expr), ("start", f"{start:.3f}"), ("end", f"{end:.3f}")]
        return self._get("query_range", [*params, ("step", f"{step:g}")])

    def label_values_between(
        self, label: str, match: str | None, start: float, end: float
    ) -> list[str]:
        params = [("start", f"{start:.3f}"), ("end", f"{end:.3f}")]
        if match:
            params.append(("match[]", match))
        return list(self._get(f"label/{label}/values", params))


@dataclass
class Series:
    """One series of one target: its display name, labels, and values (NaN where Prometheus had none)."""

    name: str
    labels: dict[str, str]
    times: np.ndarray
    values: np.ndarray
    ref_id: str = "A"

    def last_not_null(self) -> float | None:
        finite = self.values[~np.isnan(self.values)]
        return float(finite[-1]) if finite.size else None


@dataclass
class TargetResult:
    ref_id: str
    expr: str  # as sent to Prometheus, variables expanded
    instant: bool
    legend_format: str | None
    series: list[Series] = field(default_factory=list)
    error: str | None = None
    table: bool = False
    heatmap: bool = False
    params: dict[str, float] = field(default_factory=dict)  # time, or start/end/step, as sent


@dataclass(frozen=True)
class QueryPlan:
    """Everything a panel's targets need to run: the range, step and expanded expressions."""

    ref_id: str
    expr: str
    instant: bool
    legend_format: str | None
    step: float
    table: bool = False
    heatmap: bool = False


def plan_targets(
    panel: Mapping[str, Any],
    variables: Mapping[str, templating.Variable],
    builtins: Mapping[str, str],
    step: float,
    time_range: TimeRange,
) -> tuple[list[QueryPlan], list[str]]:
    """What each visible target will ask Prometheus, and the problems that keep a target from running."""
    plans, problems = [], []
    default_instant = panel.get("type") in INSTANT_BY_DEFAULT
    for index, target in enumerate(panel.get("targets") or []):
        if target.get("hide"):
            continue
        ref_id = str(target.get("refId") or chr(ord("A") + index))
        expr = str(target.get("expr") or "").strip()
        if not expr:
            continue
        try:
            expanded = templating.expand(expr, variables, builtins)
        except templating.UnknownVariable as exc:
            problems.append(
                f"query {ref_id} uses ${exc.args[0]}, which the dashboard does not define"
            )
            continue
        instant = bool(target.get("instant")) and not target.get("range")
        if "instant" not in target and "range" not in target:
            instant = default_instant
        target_step = max(step, time_range.seconds / MAX_POINTS)
        plans.append(
            QueryPlan(
                ref_id,
                expanded,
                instant,
                target.get("legendFormat"),
                target_step,
                table=target.get("format") == "table",
                heatmap=target.get("format") == "heatmap",
            )
        )
    return plans, problems


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def run(client: PrometheusClient, plan: QueryPlan, time_range: TimeRange) -> TargetResult:
    result = TargetResult(
        plan.ref_id,
        plan.expr,
        plan.instant,
        plan.legend_format,
        table=plan.table,
        heatmap=plan.heatmap,
    )
    try:
        if plan.instant:
            result.params = {"time": time_range.end}
            data = client.instant(plan.expr, time_range.end)
        else:
            # Grafana aligns the range to the step so that refreshes hit the same points.
            start = math.floor(time_range.start / plan.step) * plan.step
            end = math.floor(time_range.end / plan.step) * plan.step
            result.params = {"start": start, "end": end, "step": plan.step}
            data = client.range(plan.expr, start, end, plan.step)
    except QueryFailed as exc:
        result.error = str(exc)
        return result
    result.series = _series(data, plan)
    if plan.heatmap:
        result.series = _decumulate(result.series)
    return result


def _series(data: Mapping[str, Any], plan: QueryPlan) -> list[Series]:
    kind, payload = data.get("resultType"), data.get("result")
    if kind == "scalar":
        payload = [{"metric": {}, "value": payload}]
    out = []
    for item in payload or []:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        points = item.get("values") or ([item["value"]] if "value" in item else [])
        times = np.array([float(p[0]) for p in points], dtype=float)
        values = np.array([_number(p[1]) for p in points], dtype=float)
        name = templating.legend(plan.legend_format, labels, plan.expr)
        out.append(Series(name, labels, times, values, plan.ref_id))
    return out


def _decumulate(series: list[Series]) -> list[Series]:
    """``format: heatmap``: histogram buckets sorted by ``le``, each minus the one below (as Grafana does)."""

    def upper(s: Series) -> float:
        return _number(s.labels.get("le", "+Inf"))

    ordered = sorted(series, key=upper)
    previous: np.ndarray | None = None
    out = []
    for s in ordered:
        cumulative = s.values
        values = (
            cumulative - previous
            if previous is not None and previous.shape == cumulative.shape
            else cumulative
        )
        out.append(Series(s.name, s.labels, s.times, values, s.ref_id))
        previous = cumulative
    return out


def has_data(results: Sequence[TargetResult]) -> bool:
    return any(len(s.values) and not np.all(np.isnan(s.values)) for r in results for s in r.series)
