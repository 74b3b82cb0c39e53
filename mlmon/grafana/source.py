"""What generated/ asks Grafana to hold: folders, dashboards and alert rule groups."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmon.errors import SourceError
from mlmon.grafana.config import MANAGED_TAG, FolderSpec, Target
from mlmon.grafana.ownership import mark_rule, with_dashboard_marker

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class DesiredDashboard:
    uid: str
    title: str
    folder_uid: str
    model: dict[str, Any]
    path: Path


@dataclass(frozen=True)
class DesiredRuleGroup:
    folder_uid: str
    title: str
    body: dict[str, Any]
    path: Path

    @property
    def key(self) -> str:
        return f"{self.folder_uid}/{self.title}"


@dataclass
class Source:
    folders: list[FolderSpec] = field(default_factory=list)
    dashboards: list[DesiredDashboard] = field(default_factory=list)
    rule_groups: list[DesiredRuleGroup] = field(default_factory=list)

    @property
    def managed_folder_uids(self) -> set[str]:
        return {f.uid for f in self.folders}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"invalid JSON: {exc}", source=str(path), hint="run `mlmon build` to regenerate it"
        ) from None


def _folder_for(model: dict[str, Any], target: Target) -> str:
    mapping = target.dashboard_folders
    if model["uid"] in mapping:
        return mapping[model["uid"]]
    for tag in model.get("tags", []):
        if tag in mapping:
            return mapping[tag]
    return target.default_folder


def load_dashboard(path: Path, target: Target) -> DesiredDashboard:
    model = _read_json(path)
    if not isinstance(model, dict) or not model.get("uid") or not model.get("title"):
        raise SourceError(
            "a dashboard needs a uid and a title",
            source=str(path),
            hint="set uid= and title= in its dashboards_src module and rebuild",
        )
    model = {k: v for k, v in model.items() if k not in ("id", "version")}  # Grafana owns these
    tags = list(model.get("tags", []))
    if MANAGED_TAG not in tags:
        tags.append(MANAGED_TAG)  # for people: "made by mlmon"; prune trusts only the marker
    model["tags"] = with_dashboard_marker(tags, target.owner, model["uid"])
    return DesiredDashboard(model["uid"], model["title"], _folder_for(model, target), model, path)


def interval_seconds(value: Any, path: Path) -> int:
    if isinstance(value, int):
        return value
    match = DURATION.match(str(value))
    if not match:
        raise SourceError(
            f"rule group interval {value!r} is not a duration like 1m", source=str(path)
        )
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def load_rule_group(path: Path, target: Target) -> DesiredRuleGroup:
    body = _read_json(path)
    if (
        not isinstance(body, dict)
        or not body.get("title")
        or not body.get("folderUid")
        or "rules" not in body
    ):
        raise SourceError(
            "a rule group file needs title, folderUid, interval and rules",
            source=str(path),
            hint="run `mlmon build` to regenerate it",
        )
    body = dict(body)
    body["interval"] = interval_seconds(body.get("interval", 60), path)
    # every rule must agree with its group, or Grafana rejects the PUT
    body["rules"] = [
        mark_rule(
            {
                **rule,
                "folderUID": body["folderUid"],
                "ruleGroup": body["title"],
                "orgID": target.org_id or 1,
            },
            target.owner,
            body["folderUid"],
            body["title"],
        )
        for rule in body["rules"]
    ]
    return DesiredRuleGroup(body["folderUid"], body["title"], body, path)


def _humanise(uid: str) -> str:
    return re.sub(r"[-_]+", " ", uid).strip().title() or uid


def load_source(
    generated: Path, target: Target, *, dashboards: bool = True, alerts: bool = True
) -> Source:
    """Read ``generated/``; a missing directory means there is nothing of that kind to push."""
    if not generated.is_dir():
        raise SourceError(
            "directory not found",
            source=str(generated),
            hint="run `mlmon build` (make dashboards) first, or pass --generated DIR",
        )
    source = Source(folders=list(target.folders))
    if dashboards:
        source.dashboards = [
            load_dashboard(p, target) for p in sorted((generated / "dashboards").glob("*.json"))
        ]
        seen: dict[str, Path] = {}
        for dash in source.dashboards:
            if dash.uid in seen:
                raise SourceError(
                    f"dashboard uid {dash.uid!r} is also used by {seen[dash.uid]}",
                    source=str(dash.path),
                    hint="dashboard uids must be unique",
                )
            seen[dash.uid] = dash.path
    if alerts:
        source.rule_groups = [
            load_rule_group(p, target)
            for p in sorted((generated / "alerts" / "grafana").glob("*.json"))
        ]
    declared = source.managed_folder_uids
    for group in source.rule_groups:
        if group.folder_uid not in declared:
            # alert folders not declared in mlmon.toml are created at the top level
            source.folders.append(FolderSpec(group.folder_uid, _humanise(group.folder_uid)))
            declared.add(group.folder_uid)
    return source
