"""Grafana's ``threshold`` server-side expression, which grafanalib 0.7.1 cannot express.

grafanalib's :class:`AlertExpression` only accepts the classic, reduce,
resample and math types; Grafana's own rule editor builds "query, reduce,
threshold". The subclass keeps grafanalib's validation and JSON for the
condition and only changes the expression type.
"""

from __future__ import annotations

import attr
from grafanalib.core import EXP_TYPE_CLASSIC, AlertCondition, AlertExpression, Evaluator

THRESHOLD_TYPE = "threshold"


@attr.s
class ThresholdExpression(AlertExpression):
    """``refId`` fires when the value of ``expression`` (a refId) satisfies ``evaluator``."""

    def to_json_data(self) -> dict:
        data = super().to_json_data()
        data["model"]["type"] = THRESHOLD_TYPE
        return data


def threshold(ref_id: str, input_ref_id: str, evaluator: Evaluator) -> ThresholdExpression:
    # grafanalib ships no type information, so mypy's attrs plugin only sees the
    # fields declared on the subclass (none) and not AlertExpression's.
    return ThresholdExpression(  # type: ignore[call-arg]
        refId=ref_id,
        expression=input_ref_id,
        expressionType=EXP_TYPE_CLASSIC,  # replaced by "threshold" in to_json_data
        conditions=[AlertCondition(evaluator=evaluator)],
    )
