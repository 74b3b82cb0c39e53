"""mlmon's own JSON Schema for the dashboards it emits (``dashboard.schema.json``, written for this project)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def dashboard_schema() -> dict[str, Any]:
    """The strict schema of the modern dashboard model ``mlmon build`` writes."""
    return json.loads(
        resources.files(__package__).joinpath("dashboard.schema.json").read_text(encoding="utf-8")
    )
