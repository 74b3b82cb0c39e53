"""Validation of a normalised dashboard: mlmon's strict JSON Schema, then the structural checks."""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType
from typing import Any

from mlmon.compiler import checks
from mlmon.errors import SourceError
from mlmon.schema import dashboard_schema

jsonschema_rs: ModuleType | None
try:  # a Rust validator, ~100x faster: answers "valid?"; jsonschema then explains what is not
    import jsonschema_rs
except ImportError:  # pragma: no cover - the fast path is optional
    jsonschema_rs = None


@cache
def _validator() -> Any:
    import jsonschema  # only to explain failures when the fast path is installed: keeps cold builds quick

    return jsonschema.Draft202012Validator(dashboard_schema())


@cache
def _fast_validator() -> Any:
    return jsonschema_rs.validator_for(dashboard_schema()) if jsonschema_rs is not None else None


_SCHEMA_HINT = "the modern dashboard model mlmon emits is mlmon/schema/dashboard.schema.json"


def json_path(parts: Any) -> str:
    """``["panels", 3, "targets", 0]`` → ``panels[3].targets[0]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _panel_title(dashboard: dict, parts: list) -> str | None:
    node: Any = dashboard
    title = None
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "gridPos" in node and isinstance(node.get("title"), str):
            title = node["title"] or None
    return title


def _message(error: Any) -> str:
    # "Additional properties are not allowed ('span' was unexpected)" reads well; long instance dumps don't.
    message = error.message
    if len(message) > 300:
        message = re.sub(r"^(.{0,200}).*$", r"\1…", message, flags=re.S)
    return message


def schema_errors(dashboard: dict) -> list[SourceError]:
    fast = _fast_validator()
    if fast is not None and fast.is_valid(dashboard):
        return []
    errors = sorted(
        _validator().iter_errors(dashboard), key=lambda e: [str(p) for p in e.absolute_path]
    )
    return [
        SourceError(
            _message(e),
            item=_panel_title(dashboard, list(e.absolute_path)),
            json_path=json_path(e.absolute_path),
            hint=_SCHEMA_HINT,
        )
        for e in errors
    ]


def validate(dashboard: dict) -> list[SourceError]:
    """Every problem found (schema first; structural checks only on a schema-valid dashboard)."""
    problems = schema_errors(dashboard)
    return problems or checks.run(dashboard)
