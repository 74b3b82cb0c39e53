"""``alert_rule()``: one alert, written once, for Grafana and Prometheus.

A rule is a catalog-checked query (``mlmon.dsl.query``), a threshold
(``above=`` or ``below=``), how long it must hold (``for_``), a severity, and
the words an on-call engineer reads: a summary and a description (Go
templates: ``{{ $labels.feature }}``, ``{{ $value }}``) and a runbook (what to
check, what to do). The result is a plain grafanalib ``AlertRulev9`` with
three steps, A (query), B (last value) and C (threshold), which the compiler
turns into both a Grafana rule and a Prometheus rule.
"""

from __future__ import annotations

import enum

from grafanalib.core import (
    ALERTRULE_STATE_DATA_ALERTING,
    ALERTRULE_STATE_DATA_ERROR,
    ALERTRULE_STATE_DATA_NODATA,
    ALERTRULE_STATE_DATA_OK,
    EXP_REDUCER_FUNC_LAST,
    EXP_TYPE_REDUCE,
    AlertExpression,
    AlertRulev9,
    GreaterThan,
    LowerThan,
    Target,
)

from mlmon.alerts.checks import check_alert_name, check_for, check_threshold
from mlmon.alerts.durations import seconds
from mlmon.alerts.threshold import threshold
from mlmon.dsl.query import Expr
from mlmon.errors import SourceError

QUERY_REF, REDUCE_REF, CONDITION_REF = "A", "B", "C"
NO_DATA_STATES = {
    "OK": ALERTRULE_STATE_DATA_OK,
    "NoData": ALERTRULE_STATE_DATA_NODATA,
    "Alerting": ALERTRULE_STATE_DATA_ALERTING,
}
_COMPARISON_PRECEDENCE = 3  # mlmon.dsl.query's precedence of == != < > <= >=


class Severity(str, enum.Enum):
    CRITICAL = "critical"  # page someone: users get wrong answers or nothing
    WARNING = "warning"  # look at it today
    INFO = "info"


def alert_rule(
    title: str,
    query: Expr,
    *,
    above: float | None = None,
    below: float | None = None,
    for_: str | None = None,
    severity: Severity | str,
    summary: str,
    description: str,
    runbook: str,
    uid: str | None = None,
    no_data: str = "OK",
    lookback: str = "10m",
) -> AlertRulev9:
    """A rule that fires when ``query`` is above/below a threshold for ``for_``.

    ``no_data`` is what Grafana does when the query returns nothing ("OK",
    "NoData" or "Alerting"); Prometheus never fires on no data, so "OK" keeps
    both engines in step. ``lookback`` is the range Grafana queries (the query
    itself is instant; windows belong in the PromQL, e.g. ``[5m]``).
    """
    check_alert_name(title)
    if not isinstance(query, Expr):
        raise SourceError(
            f"query must be built with mlmon.dsl.query, not given as {type(query).__name__}",
            item=title,
            hint="e.g. q.series('data_drift_detected') — it is checked against the catalog",
        )
    if query.precedence == _COMPARISON_PRECEDENCE:
        raise SourceError(
            f"the query {query.text!r} already compares",
            item=title,
            hint="give the bare value as the query and the threshold as above= or below=",
        )
    evaluator = _evaluator(title, above, below)
    check_for(for_, item=title)
    if no_data not in NO_DATA_STATES:
        raise SourceError(f"no_data={no_data!r} is not one of {sorted(NO_DATA_STATES)}", item=title)
    for name, text in (("summary", summary), ("description", description), ("runbook", runbook)):
        if not isinstance(text, str) or not text.strip():
            raise SourceError(
                f"the rule needs a non-empty {name}",
                item=title,
                hint="say what fired (summary), where and why it matters (description), "
                "and what to check and do (runbook)",
            )
    return AlertRulev9(
        title=title,
        uid=uid,
        triggers=[
            Target(expr=query.text, refId=QUERY_REF, instant=True),
            AlertExpression(
                refId=REDUCE_REF,
                expression=QUERY_REF,
                expressionType=EXP_TYPE_REDUCE,
                reduceFunction=EXP_REDUCER_FUNC_LAST,
            ),
            threshold(CONDITION_REF, REDUCE_REF, evaluator),
        ],
        condition=CONDITION_REF,
        evaluateFor=for_,
        labels={"severity": _severity(title, severity).value},
        annotations={
            "summary": summary.strip(),
            "description": description.strip(),
            "runbook": runbook.strip(),
        },
        noDataAlertState=NO_DATA_STATES[no_data],
        errorAlertState=ALERTRULE_STATE_DATA_ERROR,
        timeRangeFrom=seconds(lookback, what="lookback", item=title),
        timeRangeTo=0,
    )


def _evaluator(title: str, above: object, below: object):
    if (above is None) == (below is None):
        raise SourceError("give exactly one threshold: above= or below=", item=title)
    if above is not None:
        return GreaterThan(check_threshold(above, item=title))
    return LowerThan(check_threshold(below, item=title))


def _severity(title: str, severity: object) -> Severity:
    try:
        return Severity(severity)
    except ValueError:
        raise SourceError(
            f"severity {severity!r} is not one of {[s.value for s in Severity]}", item=title
        ) from None
