"""Finding and reading what to lint: dashboard JSON and alert rule files, from files or directories."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlmon.errors import MlmonError
from mlmon.lint.alerts import AlertRule, is_alert_document, rules_in
from mlmon.lint.dashboard import Dashboard

SUFFIXES = (".json", ".yml", ".yaml")
# Any of these makes a JSON object a dashboard; Grafana accepts one without "panels" (an empty dashboard).
DASHBOARD_KEYS = frozenset({"panels", "rows", "schemaVersion", "templating"})


class LintInputError(MlmonError):
    """A path that cannot be linted (missing, unreadable, not JSON/YAML): the CLI exits with 2."""


@dataclass
class Document:
    path: Path
    dashboard: Dashboard | None = None
    alerts: list[AlertRule] | None = None


def discover(paths: list[Path]) -> list[Path]:
    """The files to lint: given files as they are, directories searched recursively for JSON and YAML."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(_files_under(path))
        elif path.is_file():
            found.append(path)
        else:
            raise LintInputError(f"{path}: no such file or directory")
    return found


def _files_under(directory: Path) -> list[Path]:
    found: list[Path] = []
    for parent, dirs, files in os.walk(directory):
        # hidden files and directories (.venv, .git, .mlmon-lint.yml) hold no dashboards
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(parent) / f
            for f in sorted(files)
            if f.endswith(SUFFIXES) and not f.startswith(".")
        )
    return found


def read(path: Path, explicit: bool) -> Document | None:
    """Parse one file; None when it is neither a dashboard nor alert rules and was found by searching a directory."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintInputError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise LintInputError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    dashboard = _dashboard(path, data)
    if dashboard is not None:
        return Document(path, dashboard=dashboard)
    if is_alert_document(data):
        return Document(path, alerts=list(rules_in(path, data)))
    if explicit:
        raise LintInputError(
            f"{path}: neither a Grafana dashboard (no 'panels', 'rows', 'schemaVersion' or 'templating') nor alert rules (no 'groups' or 'rules')"
        )
    return None


def _dashboard(path: Path, data: Any) -> Dashboard | None:
    if not isinstance(data, dict):
        return None
    prefix = ""
    if isinstance(data.get("dashboard"), dict):  # GET /api/dashboards/uid/... and POST bodies
        data, prefix = data["dashboard"], "dashboard."
    if not DASHBOARD_KEYS & data.keys() or is_alert_document(data):
        return None
    inputs = {
        str(item["name"]): str(item.get("pluginId") or "")
        for item in data.get("__inputs") or []
        if isinstance(item, dict) and item.get("type") == "datasource" and "name" in item
    }
    return Dashboard(path, data, prefix, inputs)
