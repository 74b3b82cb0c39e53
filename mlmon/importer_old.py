"""Grafana dashboard JSON → a Python source module for ``dashboards_src/`` (``mlmon import``).

The module keeps Grafana's JSON model as plain Python data — one named
variable per panel, in layout order, with the shared data-source reference
spelled ``DATASOURCE`` — so it compiles back to the same dashboard
(``mlmon build`` normalises and validates it like any other source) and can
then be rewritten panel by panel with the DSL helpers.

On the way in, the dashboard is brought to the model mlmon emits: exported
placeholders (``${DS_PROMETHEUS}``) and data-source names become the
templated ``$datasource`` variable (added when missing), and panels without
a description get a placeholder that says to write one. Every such change
is returned as a note for the user.
"""

from __future__ import annotations

import json
import keyword
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmon.compiler.normalise import normalise, to_plain
from mlmon.dsl.variables import DATASOURCE, DATASOURCE_VARIABLE, datasource
from mlmon.errors import MlmonError, SourceError

PLACEHOLDER_DESCRIPTION = "TODO: describe what this panel shows and how to read it."
_EXPORT_PLACEHOLDER = re.compile(r"^\$\{?DS_[A-Z0-9_]+\}?$")
_INDENT = "    "
_INLINE_LIMIT = 100


@dataclass
class Imported:
    source: str  # the Python module
    title: str
    uid: str | None
    panels: int
    notes: list[str] = field(default_factory=list)


def _datasource(value: Any, notes: list[str], where: str) -> Any:
    if isinstance(value, str) and value not in (
        f"${DATASOURCE_VARIABLE}",
        f"${{{DATASOURCE_VARIABLE}}}",
    ):
        notes.append(f"{where}: data source {value!r} → the $datasource variable")
        return dict(DATASOURCE)
    if (
        isinstance(value, dict)
        and isinstance(value.get("uid"), str)
        and _EXPORT_PLACEHOLDER.match(value["uid"])
    ):
        notes.append(f"{where}: exported placeholder {value['uid']} → the $datasource variable")
        return dict(DATASOURCE)
    return value


def _prepare_panel(panel: dict, notes: list[str]) -> None:
    title = panel.get("title") or f"panel {panel.get('id', '?')}"
    if "datasource" in panel:
        panel["datasource"] = _datasource(panel["datasource"], notes, repr(title))
    for target in panel.get("targets") or []:
        if "datasource" in target:
            target["datasource"] = _datasource(target["datasource"], notes, repr(title))
    if panel.get("type") != "row" and not (panel.get("description") or "").strip():
        panel["description"] = PLACEHOLDER_DESCRIPTION
        notes.append(f"{title!r}: no description; a TODO placeholder was added")
    for child in panel.get("panels") or []:
        _prepare_panel(child, notes)


def prepare(data: Any) -> tuple[dict, list[str]]:
    """The dashboard brought to mlmon's conventions, and what was changed."""
    notes: list[str] = []
    data = to_plain(data)
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]  # Grafana API envelope {dashboard, meta}
    if not isinstance(data, dict) or "panels" not in data and "rows" not in data:
        raise MlmonError("this is not a Grafana dashboard (no 'panels')")
    data = json.loads(json.dumps(data))  # a private deep copy
    variables = (data.setdefault("templating", {}) or {}).setdefault("list", [])
    for variable in variables:
        if "datasource" in variable and variable.get("type") != "datasource":
            variable["datasource"] = _datasource(
                variable["datasource"], notes, f"variable ${variable.get('name')}"
            )
    if not any(v.get("name") == DATASOURCE_VARIABLE for v in variables):
        variables.insert(0, to_plain(datasource()))
        notes.append("added the $datasource variable (Prometheus, default uid 'prometheus')")
    if not (data.get("description") or "").strip():
        data["description"] = PLACEHOLDER_DESCRIPTION.replace("panel", "dashboard")
        notes.append("the dashboard has no description; a TODO placeholder was added")
    data.setdefault("tags", [])
    data.setdefault("time", {"from": "now-6h", "to": "now"})
    for panel in data.get("panels") or []:
        _prepare_panel(panel, notes)
    return data, notes


def _identifier(title: str, taken: set[str]) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_") or "panel"
    if name[0].isdigit() or keyword.iskeyword(name) or name in ("dashboard", "DATASOURCE"):
        name = f"panel_{name}"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


class _Name(str):
    """A Python name to emit as-is (not as a string literal)."""


def literal(value: Any, depth: int = 0) -> str:
    """Readable Python source for JSON data: short containers on one line, long ones one item per line."""
    flat = _flat(value)
    if flat is not None and (
        len(flat) + len(_INDENT) * depth <= _INLINE_LIMIT or not isinstance(value, (dict, list))
    ):
        return flat
    pad, inner = _INDENT * depth, _INDENT * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{_scalar(k)}: {literal(v, depth + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        items = [f"{inner}{literal(v, depth + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(
            value, ensure_ascii=False
        )  # a JSON string is a valid Python string literal
    return repr(value)  # None, bools, ints and floats (repr round-trips exactly)


def _flat(value: Any) -> str | None:
    """``value`` on one line, or None when it holds a multi-line string."""
    if isinstance(value, _Name):
        return str(value)
    if isinstance(value, dict) and value == DATASOURCE:
        return "DATASOURCE"
    if isinstance(value, dict):
        parts = {k: _flat(v) for k, v in value.items()}
        if any(p is None for p in parts.values()):
            return None
        return "{" + ", ".join(f"{_scalar(k)}: {p}" for k, p in parts.items()) + "}"
    if isinstance(value, list):
        items = [_flat(v) for v in value]
        return None if any(p is None for p in items) else "[" + ", ".join(items) + "]"  # type: ignore[arg-type]
    if isinstance(value, str) and "\n" in value:
        return None
    return _scalar(value)


def to_module(data: Any, origin: str) -> Imported:
    """Python source for ``dashboards_src/`` that compiles back to the dashboard ``data``."""
    prepared, notes = prepare(data)
    try:
        model = normalise(prepared)
    except SourceError as exc:
        raise SourceError(
            exc.message, source=origin, item=exc.item, json_path=exc.json_path, hint=exc.hint
        ) from None
    taken: set[str] = set()
    blocks: list[str] = []
    count = 0

    def name_panels(panels: list[dict]) -> list[_Name]:
        nonlocal count
        names = []
        for panel in panels:
            children = name_panels(panel["panels"]) if panel.get("type") == "row" else None
            name = _identifier(panel.get("title") or panel.get("type", "panel"), taken)
            body = dict(panel)
            if children is not None:
                body["panels"] = children
                blocks.append(f"# --- row: {panel.get('title', '')}")
            count += 1
            blocks.append(f"{name} = {literal(body)}\n")
            names.append(_Name(name))
        return names

    top = dict(model)
    top["panels"] = name_panels(model["panels"])
    title = model.get("title", "")
    header = (
        f'"""{title}: imported from {origin} by `mlmon import`.\n\n'
        "Grafana's JSON model as Python data, one variable per panel in layout order. `mlmon build`\n"
        "compiles it like any other module here; rewrite panels with mlmon.dsl helpers as you go.\n"
        '"""\n\nfrom mlmon.dsl.variables import DATASOURCE\n\n'
    )
    source = header + "\n".join(blocks) + f"\ndashboard = {literal(top)}\n"
    return Imported(source, title, model.get("uid"), count, notes)


def import_file(path: Path) -> Imported:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MlmonError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise MlmonError(f"{path} is not JSON: {exc}") from None
    return to_module(data, path.name)
