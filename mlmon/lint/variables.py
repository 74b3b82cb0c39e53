"""Grafana's Prometheus variable queries (``label_values(...)`` and friends) as PromQL.

A query variable's query is not PromQL; Grafana turns it into API calls. To
check its metric and labels against the catalog, ``label_values(selector,
label)`` is read as ``count by (label) (selector)``, which names the same
metric and label and has the same meaning for label inference.
"""

from __future__ import annotations

import re

import promql_parser

from mlmon.lint.promql import VARIABLE, PromQLError, parse

_FUNCTION = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$", re.S)
_LABEL = re.compile(r"^[a-zA-Z_]\w*$|^\$\{?\w+\}?$")


def as_promql(query: str) -> str | None:
    """The PromQL equivalent of a variable query, None when it has no PromQL to check.

    Raises PromQLError when the query is neither a Grafana Prometheus function
    nor valid PromQL inside one.
    """
    match = _FUNCTION.match(query)
    if not match:
        if is_series_query(query):
            return query.strip()
        raise PromQLError(
            "not a Prometheus variable query: use label_values(metric, label), label_names(), "
            "metrics(regex) or query_result(query)"
        )
    function, body = match.group(1), match.group(2).strip()
    if function == "label_values":
        selector, _, label = body.rpartition(",")
        label = label.strip()
        if not _LABEL.match(label):
            raise PromQLError(f"label_values: {label!r} is not a label name")
        if not selector.strip() or VARIABLE.fullmatch(selector.strip()):
            return None  # label_values(label), or a selector another variable supplies: nothing to check
        return _checked(f"count by ({label}) ({selector.strip()})")
    if function == "label_names":
        if body:
            _checked(body)
        return None
    if function == "query_result":
        return _checked(body)
    if function == "metrics":
        return None
    raise PromQLError(
        f"unknown variable query function {function}(): use label_values, label_names, metrics or query_result"
    )


def is_series_query(query: str) -> bool:
    """A bare series selector (``up{job="x"}``): Grafana lists the matching series as the values."""
    if _FUNCTION.match(query):
        return False
    try:
        return isinstance(parse(query), promql_parser.VectorSelector)
    except PromQLError:
        return False


def _checked(promql: str) -> str:
    parse(promql)
    return promql
