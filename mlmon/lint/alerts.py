"""Alert rules as the lint rules see them, from Grafana's and Prometheus's file shapes.

Reads Grafana's provisioning-API rule group (``{title, folderUid, interval,
rules}``), Grafana's file-provisioning document (``{apiVersion, groups}``), the
ruler shape grafanalib emits (``{grafana_alert: {...}, for, ...}``) and
Prometheus rule files (``{groups: [{name, rules: [{alert, expr, ...}]}]}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlmon.lint.findings import Location

EXPRESSION_DATASOURCE = "__expr__"


@dataclass(frozen=True)
class AlertQuery:
    ref_id: str
    path: str
    expr: str | None  # PromQL, for datasource queries
    expression: str | None  # math/reduce/threshold input, for server-side expressions
    datasource_uid: str | None

    @property
    def is_expression(self) -> bool:
        return self.datasource_uid == EXPRESSION_DATASOURCE


@dataclass(frozen=True)
class AlertRule:
    file: Path
    raw: dict[str, Any]
    path: str
    group: str
    kind: str  # "grafana" or "prometheus"

    def location(self) -> Location:
        """Findings on alerts name the rule group where dashboards have a dashboard, the rule where a panel."""
        return Location(
            self.file, self.group or None, None, self.title, None, None, self.path, kind="alert"
        )

    @property
    def flat(self) -> dict[str, Any]:
        """The rule with the ruler shape's ``grafana_alert`` fields merged in."""
        nested = self.raw.get("grafana_alert")
        return {**self.raw, **nested} if isinstance(nested, dict) else self.raw

    @property
    def title(self) -> str:
        flat = self.flat
        return str(flat.get("title") or flat.get("alert") or flat.get("record") or "")

    @property
    def is_recording(self) -> bool:
        return "record" in self.flat

    @property
    def for_(self) -> Any:
        return self.flat.get("for")

    @property
    def annotations(self) -> dict[str, Any]:
        value = self.flat.get("annotations")
        return value if isinstance(value, dict) else {}

    @property
    def labels(self) -> dict[str, Any]:
        value = self.flat.get("labels")
        return value if isinstance(value, dict) else {}

    @property
    def condition(self) -> str | None:
        value = self.flat.get("condition")
        return value if isinstance(value, str) else None

    @property
    def queries(self) -> list[AlertQuery]:
        flat = self.flat
        if self.kind == "prometheus":
            expr = flat.get("expr")
            return (
                [AlertQuery("", f"{self.path}.expr", str(expr), None, None)]
                if expr is not None
                else []
            )
        data_key = "data" if "data" in self.raw else "grafana_alert.data"
        found = []
        for i, item in enumerate(flat.get("data") or []):
            if not isinstance(item, dict):
                continue
            raw_model = item.get("model")
            model: dict[str, Any] = raw_model if isinstance(raw_model, dict) else {}
            expr = model.get("expr")
            expression = model.get("expression")
            found.append(
                AlertQuery(
                    ref_id=str(item.get("refId", model.get("refId", ""))),
                    path=f"{self.path}.{data_key}[{i}]",
                    expr=expr if isinstance(expr, str) else None,
                    expression=expression if isinstance(expression, str) else None,
                    datasource_uid=item.get("datasourceUid"),
                )
            )
        return found


def is_alert_document(data: Any) -> bool:
    if isinstance(data, dict):
        return isinstance(data.get("groups"), list) or (
            isinstance(data.get("rules"), list) and "panels" not in data
        )
    return isinstance(data, list) and all(isinstance(r, dict) and _looks_like_rule(r) for r in data)


def _looks_like_rule(rule: dict[str, Any]) -> bool:
    return bool({"alert", "record", "grafana_alert", "condition", "data"} & rule.keys())


def rules_in(file: Path, data: Any) -> Iterator[AlertRule]:
    """Every rule in a parsed alert document, whatever its shape."""
    if isinstance(data, list):
        for i, rule in enumerate(data):
            yield AlertRule(file, rule, f"[{i}]", "", _kind(rule))
        return
    if isinstance(data.get("groups"), list):
        for g, group in enumerate(data["groups"]):
            if not isinstance(group, dict):
                continue
            name = str(group.get("name") or group.get("title") or "")
            for i, rule in enumerate(group.get("rules") or []):
                if isinstance(rule, dict):
                    yield AlertRule(file, rule, f"groups[{g}].rules[{i}]", name, _kind(rule))
        return
    name = str(data.get("title") or data.get("name") or "")
    for i, rule in enumerate(data.get("rules") or []):
        if isinstance(rule, dict):
            yield AlertRule(file, rule, f"rules[{i}]", name, _kind(rule))


def _kind(rule: dict[str, Any]) -> str:
    return "prometheus" if ("alert" in rule or "record" in rule) and "expr" in rule else "grafana"
