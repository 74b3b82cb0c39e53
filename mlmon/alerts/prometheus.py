"""Prometheus alerting-rule files: the same rules for teams that alert from Prometheus/Alertmanager.

A Grafana rule "query A, last value B, B > threshold" is the Prometheus rule
``A > threshold``: both evaluate the instant query, keep the series that pass,
label the alert with the series' labels and wait ``for`` before firing.
"""

from __future__ import annotations

import promql_parser

from mlmon.alerts.spec import COMPARISONS, GroupSpec, RuleSpec

# Operators that bind as loosely as the threshold comparison or looser.
_LOOSE_OPERATORS = {"and", "or", "unless", "==", "!=", "<", ">", "<=", ">="}


def rule_file(group: GroupSpec) -> dict:
    """The content of ``<group>.rules.yml`` (``promtool check rules`` format)."""
    return {
        "groups": [
            {
                "name": group.name,
                "interval": group.interval,
                "rules": [alerting_rule(rule) for rule in group.rules],
            }
        ]
    }


def alerting_rule(rule: RuleSpec) -> dict:
    return {
        "alert": rule.title,
        "expr": alert_expression(rule),
        "for": rule.for_,
        "labels": dict(rule.labels),
        "annotations": dict(rule.annotations),
    }


def alert_expression(rule: RuleSpec) -> str:
    """``<query> > <threshold>``, parenthesising queries whose top operator does not bind tighter than ``>``."""
    query = rule.promql
    if _top_operator(query) in _LOOSE_OPERATORS:
        query = f"({query})"
    value = rule.threshold
    number = str(int(value)) if float(value).is_integer() else repr(float(value))
    return f"{query} {COMPARISONS[rule.comparison]} {number}"


def _top_operator(promql: str) -> str | None:
    tree = promql_parser.parse(promql)
    if isinstance(tree, promql_parser.BinaryExpr):
        return str(tree.op).lower()
    return None
