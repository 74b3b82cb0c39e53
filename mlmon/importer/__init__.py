"""Grafana dashboard JSON → an idiomatic module for ``dashboards_src/`` (``mlmon import``).

Three steps:

1. :mod:`~mlmon.importer.migrate` opens the dashboard as Grafana's own
   migrator would (any schemaVersion: legacy rows and panels, data-source
   names, placeholders, defaults, UI-only keys), noting every change;
2. the result is brought to mlmon's conventions (the ``$datasource``
   variable, a description on every panel) and normalised: this is the model
   the generated module must build to;
3. :mod:`~mlmon.importer.codegen` writes DSL code for it; the code is built
   and compared with the model, and any panel that does not come out the same
   is written as raw JSON instead, so the module always builds to exactly the
   imported dashboard.

The families the dashboard's queries use that no catalog declares are
returned too, for the project's ``catalog.yml`` (:mod:`mlmon.catalog.extension`).
"""

from __future__ import annotations

import json
import keyword
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmon.catalog import Family
from mlmon.catalog import extension as catalog_extension
from mlmon.compiler.normalise import EXPLICIT, normalise, to_plain
from mlmon.dsl.variables import DATASOURCE_VARIABLE, datasource
from mlmon.errors import MlmonError, SourceError
from mlmon.importer import codegen, families
from mlmon.importer.literal import literal
from mlmon.importer.migrate import migrate
from mlmon.importer.notes import Note, Notes

__all__ = ["Imported", "PLACEHOLDER_DESCRIPTION", "import_file", "literal", "prepare", "to_module"]

PLACEHOLDER_DESCRIPTION = "TODO: describe what this panel shows and how to read it."
# Settings with a meaning that grafanalib's noise filter would otherwise drop.
_EXPLICIT_TARGET_KEYS = ("intervalFactor", "step")


@dataclass
class Imported:
    source: str  # the Python module
    title: str
    uid: str | None
    panels: int
    notes: list[Note] = field(default_factory=list)
    model: dict = field(default_factory=dict)  # what the module builds to
    families: dict[str, Family] = field(default_factory=dict)  # for catalog.yml
    family_sources: dict[str, str] = field(default_factory=dict)
    target_labels: set[str] = field(
        default_factory=set
    )  # labels seen on every target (up{cluster})


def _walk(panels: list[dict]):
    for panel in panels:
        yield panel
        yield from _walk(panel.get("panels") or [])


def prepare(data: Any) -> tuple[dict, Notes]:
    """The migrated dashboard brought to mlmon's conventions, and every change made."""
    migrated, notes = migrate(to_plain(data))
    if not isinstance(migrated.get("templating"), dict):
        migrated["templating"] = {}
    if not isinstance(migrated["templating"].get("list"), list):
        migrated["templating"]["list"] = []
    variables = migrated["templating"]["list"]
    if not any(v.get("name") == DATASOURCE_VARIABLE for v in variables if isinstance(v, dict)):
        variables.insert(0, to_plain(datasource()))
        notes.add(
            "templating.list",
            "added the $datasource variable (Prometheus, default uid 'prometheus')",
        )
    if not (migrated.get("description") or "").strip():
        migrated["description"] = PLACEHOLDER_DESCRIPTION.replace("panel", "dashboard")
        notes.add("description", "the dashboard has no description; a TODO placeholder was added")
    migrated.setdefault("tags", [])
    migrated.setdefault("time", {"from": "now-6h", "to": "now"})
    for panel in _walk(migrated.get("panels") or []):
        if panel.get("type") != "row" and not (panel.get("description") or "").strip():
            panel["description"] = PLACEHOLDER_DESCRIPTION
            notes.add(
                f"panel {panel.get('id', '?')}",
                "no description; a TODO placeholder was added",
                panel.get("title"),
            )
        if panel.get("maxDataPoints") is not None:
            panel[EXPLICIT] = ["maxDataPoints"]
        for target in panel.get("targets") or []:
            kept = [
                key for key in _EXPLICIT_TARGET_KEYS if isinstance(target, dict) and key in target
            ]
            if kept:
                target[EXPLICIT] = kept
    return migrated, notes


def _identifier(title: str, taken: set[str]) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_") or "panel"
    if (
        name[0].isdigit()
        or keyword.iskeyword(name)
        or name in ("dashboard", "p", "q", "var", "row")
    ):
        name = f"panel_{name}"
    name = name[:50].rstrip("_")
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _expressions(model: dict) -> tuple[list[str], list[str]]:
    exprs = [
        t["expr"]
        for panel in _walk(model.get("panels") or [])
        for t in panel.get("targets") or []
        if isinstance(t.get("expr"), str)
        and t.get("expr")
        and (t.get("datasource") or {}).get("type") == "prometheus"
    ]
    queries = [
        v["query"]
        for v in model["templating"]["list"]
        if v.get("type") == "query"
        and isinstance(v.get("query"), str)
        and (v.get("datasource") or {}).get("type") == "prometheus"
    ]
    return exprs, queries


def _header(title: str, origin: str, notes: Notes) -> str:
    lines = [f'"""{title}: imported from {origin} by `mlmon import`.', ""]
    lines.append(
        "Panels are mlmon.dsl helpers with their queries as q.promql(...); with_json(...) carries the"
    )
    lines.append(
        "settings the helpers do not model, raw_panel(...) the panel types they do not cover."
    )
    lines.append('"""')
    lines.append("")
    if len(notes):
        lines.append(
            "# Import notes: what the migration changed (review them, then delete this block)."
        )
        for note in notes:
            text = str(note).replace("\n", " ")
            lines.append(f"# - {text}")
        lines.append("")
    return "\n".join(lines) + "\n"


class _Module:
    """Generated source for a dashboard, piece by piece, with raw fallbacks by panel path."""

    def __init__(self, model: dict, origin: str, notes: Notes):
        self.model = model
        self.origin = origin
        self.notes = notes
        self.generator = codegen.Generator(codegen.namespace(), notes.add)
        self.raw_paths: set[str] = set()
        self.plain_dashboard = False
        self.count = 0

    def source(self) -> str:
        taken: set[str] = set()
        blocks: list[str] = []
        self.count = 0

        def panel_source(panel: dict, path: str) -> str:
            self.count += 1
            if path in self.raw_paths:
                code = self.generator.raw(panel)
            else:
                code = self.generator.panel(panel, path)
            name = _identifier(panel.get("title") or panel.get("type", "panel"), taken)
            blocks.append(f"{name} = {code}\n")
            return name

        rows: list[str] = []
        top = self.model.get("panels") or []
        current: tuple[dict | None, int, list[str]] = (None, -1, [])

        def close(group: tuple[dict | None, int, list[str]]) -> None:
            header, index, names = group
            if header is None:
                if names:
                    rows.append(_row_call("None", names, {}))
                return
            rows.append(self._row(header, index, names))

        for index, panel in enumerate(top):
            path = f"panels[{index}]"
            if panel.get("type") == "row":
                close(current)
                self.count += 1
                children = [
                    panel_source(child, f"{path}.panels[{j}]")
                    for j, child in enumerate(panel.get("panels") or [])
                ]
                current = (panel, index, children)
            else:
                current[2].append(panel_source(panel, path))
        close(current)
        variables = [self.generator.variable(v) for v in self.model["templating"]["list"]]
        dashboard = self._dashboard(rows, variables)
        return (
            _header(self.model.get("title", ""), self.origin, self.notes)
            + codegen.IMPORTS
            + "\n"
            + "\n".join(blocks)
            + "\n"
            + dashboard
        )

    def _row(self, header: dict, index: int, names: list[str]) -> str:
        from mlmon.dsl.layout import place, row

        collapsed = bool(header.get("collapsed"))
        title = header.get("title") or "Row"
        built = normalise(
            {
                "title": "x",
                "uid": "x",
                "panels": [to_plain(p) for p in place([row(title, collapsed=collapsed)])],
            }
        )["panels"][0]
        wanted = {k: v for k, v in header.items() if k != "panels"}
        built.pop("panels", None)
        overlay = codegen.diff(built, wanted)
        kwargs = {}
        if collapsed:
            kwargs["collapsed"] = "True"
        if overlay:
            kwargs["json"] = literal(overlay, 1)
        return _row_call(json.dumps(title, ensure_ascii=False), names, kwargs)

    def _dashboard(self, rows: list[str], variables: list[str]) -> str:
        model = self.model
        time = model.get("time") or {}
        args = [
            json.dumps(model.get("title", ""), ensure_ascii=False),
            json.dumps(model.get("uid", ""), ensure_ascii=False),
            json.dumps(model.get("description", ""), ensure_ascii=False),
            _list_source(rows),
        ]
        kwargs = {
            "variables": _list_source(variables),
            "tags": literal(list(model.get("tags") or [])),
            "time": f"({json.dumps(time.get('from', 'now-6h'))}, {json.dumps(time.get('to', 'now'))})",
            "editable": repr(bool(model.get("editable", False))),
        }
        call = (
            "build_dashboard(\n    "
            + ",\n    ".join(args + [f"{k}={v}" for k, v in kwargs.items()])
            + ",\n)"
        )
        skip = ("panels", "templating")
        stub = _eval_dashboard(self.generator, call)
        # The overlay is merged before normalisation: the difference of the normalised forms reads
        # best; when it does not build back (a value normalisation drops), the raw difference.
        built = normalise(stub) if not self.plain_dashboard else to_plain(stub)
        overlay = codegen.diff(
            {k: v for k, v in built.items() if k not in skip},
            {k: v for k, v in model.items() if k not in skip},
            keep_absent=self.plain_dashboard,
        )
        if overlay:
            return f"dashboard = with_json(\n    {codegen._indent(call)},\n    {codegen._indent(literal(overlay))},\n)\n"
        return f"dashboard = {call}\n"


def _list_source(items: list[str]) -> str:
    if not items:
        return "[]"
    return (
        "[\n        "
        + ",\n        ".join(codegen._indent(item, "        ") for item in items)
        + ",\n    ]"
    )


def _eval_dashboard(generator: codegen.Generator, call: str) -> Any:
    """Build the dashboard call with its rows and variables stubbed out (only its own keys are compared)."""
    stub = re.sub(
        r"^(build_dashboard\(\n(?:.*\n){3})(    \[[\s\S]*?\n    \]|    \[\])",
        r"\1    []",
        call,
        count=1,
    )
    stub = re.sub(r"variables=\[[\s\S]*?\n    \]", "variables=[]", stub, count=1)
    return generator.build(stub)


def _row_call(title: str, names: list[str], kwargs: dict[str, str]) -> str:
    parts = [title, *names] + [f"{k}={v}" for k, v in kwargs.items()]
    flat = f"row({', '.join(parts)})"
    if len(flat) <= 80 and "\n" not in flat:
        return flat
    return "row(\n    " + ",\n    ".join(codegen._indent(p) for p in parts) + ",\n)"


def _mismatches(built: dict, wanted: dict) -> set[str]:
    """Paths (panels[i] / panels[i].panels[j]) of the panels that did not build to the wanted JSON."""
    paths: set[str] = set()
    got, want = built.get("panels") or [], wanted.get("panels") or []
    for index, panel in enumerate(want):
        other = got[index] if index < len(got) else None
        if panel.get("type") == "row":
            for j, child in enumerate(panel.get("panels") or []):
                others = (other or {}).get("panels") or []
                if j >= len(others) or others[j] != child:
                    paths.add(f"panels[{index}].panels[{j}]")
        elif other != panel:
            paths.add(f"panels[{index}]")
    return paths


def to_module(data: Any, origin: str) -> Imported:
    """Python source for ``dashboards_src/`` that builds to the migrated dashboard ``data``."""
    prepared, notes = prepare(data)
    try:
        model = normalise(prepared)
    except SourceError as exc:
        raise SourceError(
            exc.message, source=origin, item=exc.item, json_path=exc.json_path, hint=exc.hint
        ) from None
    expressions, variable_queries = _expressions(model)
    update = families.seen(expressions, variable_queries, origin)
    with catalog_extension.declaring(update.families, update.target_labels):
        module = _Module(model, origin, notes)
        source = module.source()
        for _attempt in range(4):
            try:
                built = normalise(_load(source))
            except Exception as exc:
                if module.raw_paths == _all_paths(model):
                    raise MlmonError(
                        f"{origin}: the generated module does not build: {exc}"
                    ) from None
                module.raw_paths = _all_paths(model)
                source = module.source()
                continue
            wrong = _mismatches(built, model)
            top_ok = {k: v for k, v in built.items() if k != "panels"} == {
                k: v for k, v in model.items() if k != "panels"
            }
            if not wrong and top_ok:
                break
            if not top_ok and not module.plain_dashboard:
                module.plain_dashboard = True
                module.raw_paths |= wrong
                source = module.source()
                continue
            if wrong <= module.raw_paths:
                raise MlmonError(
                    f"{origin}: the generated module does not build to the dashboard (at {sorted(wrong)[:3]})"
                )
            module.raw_paths |= wrong
            source = module.source()
    return Imported(
        source,
        model.get("title", ""),
        model.get("uid"),
        module.count,
        list(notes),
        model,
        update.families,
        update.sources,
        update.target_labels,
    )


def _all_paths(model: dict) -> set[str]:
    paths = set()
    for index, panel in enumerate(model.get("panels") or []):
        paths.add(f"panels[{index}]")
        for j, _ in enumerate(panel.get("panels") or []):
            paths.add(f"panels[{index}].panels[{j}]")
    return paths


def _load(source: str) -> Any:
    scope: dict[str, Any] = {"__name__": "mlmon_import_check"}
    exec(compile(source, "<import>", "exec"), scope)
    return scope["dashboard"]


def import_file(path: Path) -> Imported:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MlmonError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise MlmonError(f"{path} is not JSON: {exc}") from None
    return to_module(data, path.name)
