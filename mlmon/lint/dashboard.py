"""A Grafana dashboard as the lint rules see it: panels (rows and nested ones), targets, variables.

Works on any dashboard JSON Grafana 8-12 exports: the modern flat ``panels``
list where collapsed rows hold their panels, rows nested in collapsed rows
(which Grafana's own linter skips), legacy ``rows``, library panels, mixed
datasources, Grafana's built-in datasources and legacy string datasources.
The copies Grafana saves of repeated panels and rows are left out: Grafana
rebuilds them from the original on load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from mlmon.lint.findings import Location
from mlmon.lint.promql import VARIABLE

MIXED = "-- Mixed --"
# Grafana's built-in datasources, as legacy names and as {"type": "datasource", "uid": ...}:
# none of them runs PromQL.
BUILTIN_DATASOURCES = {
    "-- Mixed --": "mixed",
    "-- Grafana --": "grafana",
    "grafana": "grafana",
    "-- Dashboard --": "dashboard",
}
# Keys Grafana sets on the copies it makes of a repeated panel or row; the
# copies are regenerated from the original on load, so only the original is linted.
REPEAT_COPY_KEYS = ("repeatPanelId", "repeatIteration", "repeatRowId")
# Panel types that show no query results: they need no targets, units or datasource.
NON_DATA_PANELS = frozenset(
    {
        "row",
        "text",
        "dashlist",
        "news",
        "alertlist",
        "annolist",
        "welcome",
        "gettingstarted",
        "canvas-static",
    }
)


def variable_reference(value: Any) -> str | None:
    """The variable name when ``value`` (a datasource uid or name) is exactly ``$x``, ``${x}`` or ``[[x]]``."""
    if not isinstance(value, str):
        return None
    match = VARIABLE.fullmatch(value.strip())
    return next(g for g in match.groups() if g) if match else None


@dataclass
class Target:
    raw: dict[str, Any]
    path: str
    panel: Panel

    @property
    def ref_id(self) -> str:
        return str(self.raw.get("refId", ""))

    @property
    def expr(self) -> str | None:
        expr = self.raw.get("expr")
        return expr if isinstance(expr, str) else None

    @property
    def hidden(self) -> bool:
        return bool(self.raw.get("hide"))

    @property
    def panel_id(self) -> int | None:
        """The panel whose results this target reuses (the ``-- Dashboard --`` datasource)."""
        value = self.raw.get("panelId")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def datasource(self) -> Any:
        """The datasource the query runs on: its own, else the panel's (None: the default datasource)."""
        own = self.raw.get("datasource")
        if own is not None and not _is_mixed(own):
            return own
        panel = self.panel.datasource
        return None if _is_mixed(panel) else panel


@dataclass
class Panel:
    raw: dict[str, Any]
    path: str
    row: Panel | None = (
        None  # the row holding it (a collapsed row's nested panels, or a legacy row)
    )

    @property
    def title(self) -> str:
        return str(self.raw.get("title") or "")

    @property
    def id(self) -> int | None:
        value = self.raw.get("id")
        return value if isinstance(value, int) else None

    @property
    def type(self) -> str:
        return str(self.raw.get("type") or "")

    @property
    def is_row(self) -> bool:
        return self.type == "row"

    @property
    def collapsed(self) -> bool:
        return bool(self.raw.get("collapsed"))

    @property
    def is_library(self) -> bool:
        """A library panel reference: its queries live in Grafana, not in this JSON."""
        return isinstance(self.raw.get("libraryPanel"), dict) and "targets" not in self.raw

    @property
    def shows_data(self) -> bool:
        return self.type not in NON_DATA_PANELS and not self.is_library

    @property
    def datasource(self) -> Any:
        return self.raw.get("datasource")

    @property
    def grid(self) -> dict[str, Any] | None:
        grid = self.raw.get("gridPos")
        return grid if isinstance(grid, dict) else None

    @cached_property
    def targets(self) -> list[Target]:
        targets = self.raw.get("targets")
        if not isinstance(targets, list):
            return []
        return [
            Target(t, f"{self.path}.targets[{i}]", self)
            for i, t in enumerate(targets)
            if isinstance(t, dict)
        ]


@dataclass
class Variable:
    raw: dict[str, Any]
    path: str

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def type(self) -> str:
        return str(self.raw.get("type") or "")

    @property
    def query(self) -> str:
        query = self.raw.get("query")
        if isinstance(query, dict):  # Grafana 10+: {"query": "...", "refId": ...}
            query = query.get("query")
        return query if isinstance(query, str) else ""

    @property
    def datasource(self) -> Any:
        return self.raw.get("datasource")


@dataclass
class Dashboard:
    file: Path
    raw: dict[str, Any]
    prefix: str = ""  # "dashboard." when the file wraps it as {"dashboard": ..., "meta": ...}
    inputs: dict[str, str] = field(default_factory=dict)  # export "__inputs": ${DS_X} -> plugin id

    @property
    def title(self) -> str:
        return str(self.raw.get("title") or self.file.stem)

    @property
    def uid(self) -> str | None:
        uid = self.raw.get("uid")
        return uid if isinstance(uid, str) else None

    @cached_property
    def panels(self) -> list[Panel]:
        """Every panel, rows included, in document order; nested panels follow their row."""
        found: list[Panel] = []

        def visit(items: Any, path: str, row: Panel | None) -> None:
            if not isinstance(items, list):
                return
            for i, raw in enumerate(items):
                if not isinstance(raw, dict) or is_repeat_copy(raw):
                    continue
                panel = Panel(raw, f"{path}[{i}]", row)
                found.append(panel)
                if "panels" in raw:  # rows, and anything else that nests panels
                    visit(raw["panels"], f"{panel.path}.panels", panel)

        visit(self.raw.get("panels"), f"{self.prefix}panels", None)
        for i, legacy_row in enumerate(self.raw.get("rows") or []):
            if isinstance(legacy_row, dict) and not is_repeat_copy(legacy_row):
                row = Panel({"type": "row", **legacy_row}, f"{self.prefix}rows[{i}]")
                visit(legacy_row.get("panels"), f"{row.path}.panels", row)
        return found

    @cached_property
    def panel_ids(self) -> frozenset[int] | None:
        """The ids of all panels; None when some panel has none (Grafana numbers those on load)."""
        ids = [p.id for p in self.panels]
        return None if None in ids else frozenset(i for i in ids if i is not None)

    @cached_property
    def variables(self) -> list[Variable]:
        templating = self.raw.get("templating")
        items = templating.get("list") if isinstance(templating, dict) else None
        if not isinstance(items, list):
            return []
        return [
            Variable(v, f"{self.prefix}templating.list[{i}]")
            for i, v in enumerate(items)
            if isinstance(v, dict)
        ]

    @cached_property
    def _variables_by_name(self) -> dict[str, Variable]:
        by_name: dict[str, Variable] = {}
        for variable in self.variables:
            by_name.setdefault(variable.name, variable)
        return by_name

    def variable(self, name: str) -> Variable | None:
        return self._variables_by_name.get(name)

    def datasource_type(self, datasource: Any) -> str | None:
        """The plugin type a datasource reference resolves to, or None when it cannot be known from the JSON.

        Built-in datasources resolve to "mixed", "grafana" or "dashboard"; a
        ``$variable`` to its datasource variable's plugin (or the export's
        ``__inputs`` entry); a legacy name such as ``"Prometheus"`` or the
        default datasource (null) cannot be known.
        """
        uid = datasource
        if isinstance(datasource, dict):
            uid = datasource.get("uid")
            kind = datasource.get("type")
            if isinstance(kind, str) and kind and kind != "datasource":
                return kind.lower()
        if isinstance(uid, str) and uid in BUILTIN_DATASOURCES:
            return BUILTIN_DATASOURCES[uid]
        name = variable_reference(uid)
        if name is None:
            return None
        if name in self.inputs:
            return self.inputs[name].lower() or None
        variable = self.variable(name)
        if variable is not None and variable.type == "datasource":
            return variable.query.lower() or None
        return None

    def runs_promql(self, datasource: Any) -> bool:
        """Whether queries on this datasource are PromQL; unknown ones (legacy names, the default) count as yes."""
        kind = self.datasource_type(datasource)
        return kind is None or is_promql_plugin(kind)

    def is_prometheus(self, target: Target) -> bool:
        """Whether a target is PromQL: it has an expr and runs on a Prometheus (or unknown) datasource."""
        return target.expr is not None and self.runs_promql(target.datasource)

    def is_prometheus_query_variable(self, variable: Variable) -> bool:
        return variable.type == "query" and self.runs_promql(variable.datasource)

    def location(self) -> Location:
        return Location(self.file, self.title, self.uid, json_path=self.prefix.rstrip(".") or None)

    def panel_location(
        self, panel: Panel, query: str | None = None, json_path: str | None = None
    ) -> Location:
        return Location(
            self.file, self.title, self.uid, panel.title, panel.id, query, json_path or panel.path
        )

    def variable_location(self, variable: Variable) -> Location:
        return Location(
            self.file,
            self.title,
            self.uid,
            f"${variable.name}",
            None,
            variable.query or None,
            variable.path,
        )

    def prometheus_targets(self) -> Iterator[Target]:
        for panel in self.panels:
            for target in panel.targets:
                if self.is_prometheus(target):
                    yield target


def is_repeat_copy(raw: dict[str, Any]) -> bool:
    """A copy Grafana saved of a repeated panel or row (older exports write the keys as null on originals)."""
    return any(raw.get(key) is not None for key in REPEAT_COPY_KEYS)


def is_promql_plugin(kind: str) -> bool:
    """Prometheus and the plugins that speak PromQL to it (Amazon/Azure managed Prometheus)."""
    return "prometheus" in kind


def _is_mixed(datasource: Any) -> bool:
    uid = datasource.get("uid") if isinstance(datasource, dict) else datasource
    return uid == MIXED
