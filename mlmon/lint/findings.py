"""What a lint rule reports: a finding, its level and where it points."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


class Level(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """Where a finding points: the file, and inside it the dashboard/panel/alert and query."""

    file: Path
    dashboard: str | None = None  # dashboard title (or rule group name for alerts)
    dashboard_uid: str | None = None
    panel: str | None = None  # panel title, variable name or alert rule title
    panel_id: int | None = None
    query: str | None = None  # the PromQL as written, Grafana variables included
    json_path: str | None = None  # e.g. panels[2].panels[0].targets[1]
    kind: str = "dashboard"  # "dashboard" (dashboard/panel) or "alert" (rule group/rule)

    def with_query(self, query: str, json_path: str) -> Location:
        return replace(self, query=query, json_path=json_path)


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    message: str
    hint: str
    location: Location
    # Where a human edits the thing: (file, 1-based line) in dashboards_src/ or
    # the JSON file; filled in by mlmon.lint.sources before output.
    source: tuple[Path, int] | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value
        data["location"]["file"] = str(self.location.file)
        data["source"] = (
            {"file": str(self.source[0]), "line": self.source[1]} if self.source else None
        )
        return data
