"""Canonical forms for comparing: Grafana's copy versus ours, without server-managed noise.

Grafana adds bookkeeping (``id``, ``version``, ``iteration``, ``updated``,
``provenance``...) and fills defaults (``isPaused: false``, ``null``s) that the
source never mentions. Both are dropped before comparing, so an unchanged tree
compares equal and ``mlmon diff`` shows only real edits.
"""

from __future__ import annotations

import re
from typing import Any

SERVER_DASHBOARD_FIELDS = frozenset({"id", "version", "iteration"})
SERVER_RULE_FIELDS = frozenset({"id", "updated", "provenance", "orgID"})
SERVER_DATASOURCE_FIELDS = frozenset(
    {
        "id",
        "orgId",
        "version",
        "readOnly",
        "typeLogoUrl",
        "typeName",
        "secureJsonFields",
        "apiVersion",
    }
)


def _is_default(value: Any) -> bool:
    return (
        value is None or value is False or value == "" or value == 0 or value == [] or value == {}
    )


def project(current: Any, desired: Any) -> Any:
    """``current`` without keys that ``desired`` lacks and Grafana filled with an empty default."""
    if isinstance(current, dict) and isinstance(desired, dict):
        return {
            key: project(value, desired[key]) if key in desired else value
            for key, value in current.items()
            if key in desired or not _is_default(value)
        }
    if isinstance(current, list) and isinstance(desired, list) and len(current) == len(desired):
        return [project(c, d) for c, d in zip(current, desired)]
    return current


def comparable_dashboard(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    current = {k: v for k, v in current.items() if k not in SERVER_DASHBOARD_FIELDS}
    return project(current, desired)


DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
RULE_DURATIONS = ("for", "keep_firing_for")


def duration_seconds(value: Any) -> Any:
    """``"5m"``, ``"300s"`` and ``"5m0s"`` are the same duration; anything else is returned as is."""
    if not isinstance(value, str) or not value:
        return value
    parts = DURATION_PART.findall(value)
    if "".join(n + u for n, u in parts) != value:
        return value
    return sum(float(n) * DURATION_UNITS[u] for n, u in parts)


def _same_durations_as(rule: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """Grafana may answer ``5m0s`` for ``5m``: spell equal durations the way the source does."""
    return {
        k: model[k]
        if k in RULE_DURATIONS and k in model and duration_seconds(v) == duration_seconds(model[k])
        else v
        for k, v in rule.items()
    }


def _rule_by_title(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule.get("title", ""): rule for rule in rules}


def comparable_rule_group(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """``current`` reshaped like ``desired``: rules in desired's order, server fields dropped."""
    wanted = _rule_by_title(desired.get("rules", []))
    rules = []
    for rule in current.get("rules", []):
        model = wanted.get(rule.get("title", ""), {})
        rule = _same_durations_as(
            {k: v for k, v in rule.items() if k not in SERVER_RULE_FIELDS}, model
        )
        if "uid" not in model:
            rule.pop("uid", None)  # Grafana assigns one when the source does not
        rules.append(project(rule, model))
    order = {title: i for i, title in enumerate(wanted)}
    rules.sort(key=lambda r: order.get(r.get("title", ""), len(order)))
    group = {k: v for k, v in current.items() if k != "rules"}
    group = project(group, {k: v for k, v in desired.items() if k != "rules"})
    group["rules"] = rules
    return group


def desired_rule_group(desired: dict[str, Any]) -> dict[str, Any]:
    return {
        **desired,
        "rules": [
            {k: v for k, v in r.items() if k not in SERVER_RULE_FIELDS}
            for r in desired.get("rules", [])
        ],
    }


def comparable_datasource(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    current = {
        k: v for k, v in current.items() if k not in SERVER_DATASOURCE_FIELDS and k in desired
    }
    return project(current, desired)
