"""Helpers for the lint tests: the clean fixtures, and linting a modified copy of one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from mlmon.lint import Finding, Report, lint_paths

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def clean_dashboard() -> dict[str, Any]:
    """A fresh copy of the dashboard that passes every rule."""
    return copy.deepcopy(json.loads((FIXTURES / "clean" / "model_service.json").read_text()))


def clean_grafana_rules() -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / "clean" / "model_rules.json").read_text()))


def clean_prometheus_rules() -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / "clean" / "api.rules.yml").read_text())


def panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    """The panel called ``title``, looking inside rows too."""
    stack = list(dashboard["panels"])
    while stack:
        item = stack.pop(0)
        if item.get("title") == title:
            return item
        stack.extend(item.get("panels", []))
    raise KeyError(title)


def lint_data(
    tmp_path: Path, data: Any, name: str = "dashboard.json", config: str | None = None
) -> Report:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data))
    if config is not None:
        (tmp_path / ".mlmon-lint.yml").write_text(config)
    return lint_paths([path])


def findings(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def set_expr(dashboard: dict[str, Any], title: str, expr: str) -> dict[str, Any]:
    panel(dashboard, title)["targets"][0]["expr"] = expr
    return dashboard
