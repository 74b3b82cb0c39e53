"""Structural checks JSON Schema cannot express; each problem names the panel and the JSON path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlmon.dsl.layout import GRID_COLUMNS
from mlmon.errors import SourceError

# $name, ${name}, ${name:format}, [[name]]; names starting with __ are Grafana's built-ins.
_VARIABLE_USE = re.compile(
    r"\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\$([A-Za-z_]\w*)|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]"
)


def _panels(panels: list[dict], path: str = "panels") -> Iterator[tuple[dict, str]]:
    for index, panel in enumerate(panels):
        here = f"{path}[{index}]"
        yield panel, here
        yield from _panels(panel.get("panels") or [], f"{here}.panels")


def _title(panel: dict) -> str | None:
    return panel.get("title") or None


def unique_ids(dashboard: dict) -> list[SourceError]:
    seen: dict[int, str] = {}
    problems = []
    for panel, path in _panels(dashboard.get("panels") or []):
        pid = panel.get("id")
        if not isinstance(pid, int):
            continue  # the schema reports a missing or non-integer id
        if pid in seen:
            problems.append(
                SourceError(
                    f"panel id {pid} is also used by {seen[pid]}",
                    item=_title(panel),
                    json_path=f"{path}.id",
                    hint="remove the explicit id or pick an unused one",
                )
            )
        else:
            seen[pid] = repr(_title(panel) or path)
    return problems


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def _grid_level(panels: list[dict], path: str) -> list[SourceError]:
    problems = []
    placed: list[tuple[dict, str, dict]] = []
    for index, panel in enumerate(panels):
        here = f"{path}[{index}]"
        pos = panel.get("gridPos")
        if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) for k in "hwxy"):
            problems.append(
                SourceError(
                    "the panel has no complete gridPos",
                    item=_title(panel),
                    json_path=f"{here}.gridPos",
                    hint="lay panels out with mlmon.dsl.layout.row or give h, w, x and y",
                )
            )
            continue
        if pos["x"] < 0 or pos["w"] < 1 or pos["x"] + pos["w"] > GRID_COLUMNS:
            problems.append(
                SourceError(
                    f"the panel spans columns {pos['x']}..{pos['x'] + pos['w']}, outside the {GRID_COLUMNS}-column grid",
                    item=_title(panel),
                    json_path=f"{here}.gridPos",
                    hint="reduce x or w",
                )
            )
        for other, other_path, other_pos in placed:
            if _overlaps(pos, other_pos):
                problems.append(
                    SourceError(
                        f"the panel overlaps {_title(other)!r} ({other_path})",
                        item=_title(panel),
                        json_path=f"{here}.gridPos",
                        hint="move one of them or let the layout place them",
                    )
                )
        placed.append((panel, here, pos))
        if panel.get("type") == "row" and panel.get("collapsed"):
            problems.extend(_grid_level(panel.get("panels") or [], f"{here}.panels"))
    return problems


def grid(dashboard: dict) -> list[SourceError]:
    """Every panel inside the 24-column grid and none overlapping (a collapsed row's panels among themselves)."""
    return _grid_level(dashboard.get("panels") or [], "panels")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def variables_defined(dashboard: dict) -> list[SourceError]:
    """Every ``$variable`` used in panels, links, titles and variable queries is defined in templating."""
    defined = {v.get("name") for v in (dashboard.get("templating") or {}).get("list") or []}
    problems = []
    for text, path in _strings({k: v for k, v in dashboard.items() if k != "annotations"}, ""):
        for match in _VARIABLE_USE.finditer(text):
            name = next(group for group in match.groups() if group)
            if name.startswith("__") or name in defined:
                continue
            problems.append(
                SourceError(
                    f"variable ${name} is used but not defined",
                    item=_item_at(dashboard, path),
                    json_path=path,
                    hint=f"add it to the dashboard's variables (defined: {', '.join(sorted(defined)) or 'none'})",
                )
            )
    return problems


def _item_at(dashboard: dict, path: str) -> str | None:
    """The title of the innermost panel that ``path`` is inside of."""
    matches = list(re.finditer(r"panels\[(\d+)\]", path))
    if not matches:
        return None
    match = matches[-1]
    node: Any = dashboard
    for part in re.findall(r"panels\[(\d+)\]", path[: match.end()]):
        node = node["panels"][int(part)]
    return _title(node)


def targets(dashboard: dict) -> list[SourceError]:
    """Every target has a refId unique within its panel and a datasource."""
    problems = []
    for panel, path in _panels(dashboard.get("panels") or []):
        seen: set[str] = set()
        for index, target in enumerate(panel.get("targets") or []):
            here = f"{path}.targets[{index}]"
            ref = target.get("refId")
            if not ref:
                problems.append(
                    SourceError(
                        "the query has no refId",
                        item=_title(panel),
                        json_path=f"{here}.refId",
                        hint="give each query a refId (A, B, ...)",
                    )
                )
            elif ref in seen:
                problems.append(
                    SourceError(
                        f"refId {ref!r} is used twice in the panel",
                        item=_title(panel),
                        json_path=f"{here}.refId",
                    )
                )
            seen.add(ref)
            ds = target.get("datasource")
            if not isinstance(ds, dict) or not ds.get("uid") or not ds.get("type"):
                problems.append(
                    SourceError(
                        "the query has no datasource {type, uid}",
                        item=_title(panel),
                        json_path=f"{here}.datasource",
                        hint="use mlmon.dsl.variables.DATASOURCE",
                    )
                )
    return problems


CHECKS = (unique_ids, grid, variables_defined, targets)


def run(dashboard: dict) -> list[SourceError]:
    """All structural problems of a normalised dashboard (empty when it is sound)."""
    return [problem for check in CHECKS for problem in check(dashboard)]
