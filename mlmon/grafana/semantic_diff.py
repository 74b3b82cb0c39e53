"""Readable, noise-free diffs: panels and rules added/removed/changed, queries as text diffs.

Inputs are already canonical (see :mod:`mlmon.grafana.canonical`), so every
line printed here is a change a reviewer cares about.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from typing import Any

MAX_VALUE = 100
QUERY_FIELDS = ("expr", "expression", "query", "rawSql")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _text_diff(old: str, new: str, indent: str) -> list[str]:
    old_lines, new_lines = str(old).splitlines() or [""], str(new).splitlines() or [""]
    lines = difflib.unified_diff(old_lines, new_lines, lineterm="", n=1)
    return [f"{indent}{line}" for line in lines if not line.startswith(("---", "+++", "@@"))]


def _keyed(items: Iterable[Any], key_names: tuple[str, ...]) -> dict[str, Any]:
    """Index list items by the first present key (e.g. refId), falling back to position."""
    keyed: dict[str, Any] = {}
    for index, item in enumerate(items):
        key = next(
            (
                str(item[k])
                for k in key_names
                if isinstance(item, dict) and item.get(k) not in (None, "")
            ),
            f"#{index}",
        )
        keyed[key] = item
    return keyed


def value_changes(old: Any, new: Any, path: str, indent: str) -> list[str]:
    """Field-level changes; query strings become text diffs, lists of queries are matched by refId."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        lines: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else key
            if key not in new:
                lines.append(f"{indent}- {sub}: {_show(old[key])}")
            elif key not in old:
                lines.append(f"{indent}+ {sub}: {_show(new[key])}")
            elif key in QUERY_FIELDS and isinstance(old[key], str) and isinstance(new[key], str):
                lines.append(f"{indent}~ {sub}:")
                lines.extend(_text_diff(old[key], new[key], indent + "    "))
            else:
                lines.extend(value_changes(old[key], new[key], sub, indent))
        return lines
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(x, dict) for x in old + new)
    ):
        ref_keys = ("refId", "name", "uid", "title")
        if any(any(k in x for k in ref_keys) for x in old + new):
            return _keyed_changes(_keyed(old, ref_keys), _keyed(new, ref_keys), path, indent)
    return [f"{indent}~ {path}: {_show(old)} -> {_show(new)}"]


def _keyed_changes(old: dict[str, Any], new: dict[str, Any], path: str, indent: str) -> list[str]:
    lines: list[str] = []
    for key in list(old) + [k for k in new if k not in old]:
        sub = f"{path}[{key}]"
        if key not in new:
            lines.append(f"{indent}- {sub}")
        elif key not in old:
            lines.append(f"{indent}+ {sub}: {_show(new[key])}")
        else:
            lines.extend(value_changes(old[key], new[key], sub, indent))
    return lines


def _flat_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Panels in collapsed rows live under ``row.panels``; diff them like any other."""
    flat = []
    for panel in panels:
        flat.append({k: v for k, v in panel.items() if k != "panels"})
        flat.extend(_flat_panels(panel.get("panels") or []))
    return flat


def _members_diff(
    current: dict[str, Any],
    desired: dict[str, Any],
    members: str,
    items: Callable[[dict[str, Any]], list[dict[str, Any]]],
    key_names: tuple[str, ...],
    label: Callable[[str, dict[str, Any]], str],
) -> list[str]:
    """Top-level field changes, then each member (panel, rule) added, removed or changed."""
    lines = value_changes(
        {k: v for k, v in current.items() if k != members},
        {k: v for k, v in desired.items() if k != members},
        "",
        "    ",
    )
    old, new = _keyed(items(current), key_names), _keyed(items(desired), key_names)
    for key in list(old) + [k for k in new if k not in old]:
        if key not in new:
            lines.append(f"    - {label(key, old[key])}")
        elif key not in old:
            lines.append(f"    + {label(key, new[key])}")
        elif old[key] != new[key]:
            lines.append(f"    ~ {label(key, new[key])}")
            lines.extend(value_changes(old[key], new[key], "", "        "))
    return lines


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return _flat_panels(dashboard.get("panels") or [])


def _panel_label(key: str, panel: dict[str, Any]) -> str:
    return f"panel {key} {panel.get('title', '')!r}".rstrip()


def dashboard_diff(current: dict[str, Any] | None, desired: dict[str, Any]) -> list[str]:
    """Lines describing how Grafana's dashboard (``current``) would become ``desired``."""
    if current is None:
        return [f"    + new dashboard with {_count(len(_panels(desired)), 'panel')}"]
    return _members_diff(current, desired, "panels", _panels, ("id", "title"), _panel_label)


def rule_group_diff(current: dict[str, Any] | None, desired: dict[str, Any]) -> list[str]:
    if current is None:
        return [f"    + new rule group with {_count(len(desired.get('rules', [])), 'rule')}"]
    return _members_diff(
        current,
        desired,
        "rules",
        lambda group: group.get("rules") or [],
        ("title",),
        lambda key, rule: f"rule {key!r}",
    )
