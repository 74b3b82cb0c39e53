"""Any Grafana dashboard JSON (schemaVersion 5 to 42) → the modern model, as Grafana's migrator would open it.

Grafana upgrades an old dashboard step by step when it loads it
(``DashboardMigrator``, and the ``schemaversion`` migrations of its Go
backend). ``mlmon import`` needs the result ahead of time, so this module
applies the same rules, our own way:

- legacy ``rows`` (schemaVersion < 16) become row panels with ``gridPos``:
  ``span`` (12 columns) → ``w`` (24 columns), pixel heights → grid rows,
  rows shown only when one has a title, is collapsed or repeats;
- ``graph``, ``singlestat``, ``table-old`` and the Angular ``heatmap`` become
  ``timeseries``, ``stat``/``gauge``, ``table`` and the current heatmap
  (:mod:`mlmon.importer.legacy_panels`);
- data sources written as names, strings or ``${DS_X}`` export placeholders
  become ``{type, uid}`` references, or the ``$datasource`` variable for
  Prometheus;
- Grafana's defaults are filled in where the JSON omits them (links,
  variables, annotations, transformations), and UI-only state
  (``$$hashKey``, row ids, ``queryValue``, ``index``…) is dropped;
- overlapping panels are pushed down, as Grafana's grid does on load.

Every change is recorded as a :class:`~mlmon.importer.notes.Note` with its
JSON path in the input.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from mlmon.dsl.variables import DATASOURCE, DATASOURCE_VARIABLE
from mlmon.errors import MlmonError
from mlmon.importer import legacy_panels
from mlmon.importer.notes import Notes
from mlmon.schema import dashboard_schema

GRID_COLUMNS = 24
_PLACEHOLDER = re.compile(r"^\$\{?(DS_[A-Za-z0-9_]+)\}?$")
_DATASOURCE_VARIABLE_REFS = (f"${DATASOURCE_VARIABLE}", f"${{{DATASOURCE_VARIABLE}}}")
# Data sources Grafana itself provides, by the names old dashboards used.
_BUILTIN_DATASOURCES = {
    "-- Grafana --": {"type": "grafana", "uid": "grafana"},
    "grafana": {"type": "grafana", "uid": "grafana"},
    "-- Mixed --": {"type": "datasource", "uid": "-- Mixed --"},
    "-- Dashboard --": {"type": "datasource", "uid": "-- Dashboard --"},
}
# Keys Grafana's UI kept in the JSON that mean nothing in a dashboard's source.
_UI_PANEL_KEYS = (
    "$$hashKey",
    "isNew",
    "editable",
    "error",
    "span",
    "height",
    "minSpan",
    "scopedVars",
    "leftYAxisLabel",
    "rightYAxisLabel",
    "x-axis",
    "y-axis",
    "y_formats",
    "grid",
    "links_hashKey",
)
_UI_VARIABLE_KEYS = (
    "$$hashKey",
    "index",
    "queryValue",
    "tags",
    "tagsQuery",
    "tagValuesQuery",
    "useTags",
)
_UI_ANNOTATION_KEYS = ("$$hashKey", "showIn")
_ROOT_DROP = (
    "preload",
    "revision",
    "refresh_intervals",
    "nav",
    "originalTitle",
    "hideControls",
    "sharedCrosshair",
)
_LINK_DEFAULTS = {
    "asDropdown": False,
    "icon": "external link",
    "includeVars": False,
    "keepTime": False,
    "tags": [],
    "targetBlank": False,
    "title": "",
    "tooltip": "",
    "type": "dashboards",
    "url": "",
}
_ANNOTATION_DEFAULTS = {"enable": True, "hide": False, "iconColor": "rgba(0, 211, 255, 1)"}
_QUERY_KEYS_BY_TYPE = (  # how to guess a data source's type from its query, when only a name is known
    ("expr", "prometheus"),
    ("rawSql", "mysql"),
    ("measurement", "influxdb"),
    ("metrics", "elasticsearch"),
    ("namespace", "cloudwatch"),
)


class Migration:
    """One dashboard's migration: the input, the inputs' placeholders, and the notes."""

    def __init__(self, data: dict):
        self.data = data
        self.notes = Notes()
        self.inputs = {
            item.get("name"): item.get("pluginId") or item.get("type")
            for item in data.get("__inputs") or []
            if isinstance(item, dict) and item.get("name")
        }
        self.extra_variables: dict[str, dict] = {}

    # ---------------------------------------------------------------- data sources
    def datasource(
        self, value: Any, path: str, panel: str | None, target: dict | None = None
    ) -> Any:
        """A ``{type, uid}`` reference (or ``None``) for any way a dashboard names a data source."""
        if value is None or value == {}:
            return None
        if isinstance(value, dict):
            extra = sorted(set(value) - {"type", "uid"})
            if extra:
                value = {k: v for k, v in value.items() if k in ("type", "uid")}
                self.notes.add(
                    path,
                    f"data source keys {', '.join(extra)} dropped (a reference is {{type, uid}})",
                    panel,
                )
            uid = value.get("uid")
            placeholder = _PLACEHOLDER.match(uid) if isinstance(uid, str) else None
            if placeholder:
                return self._placeholder(placeholder.group(1), value.get("type"), path, panel)
            if isinstance(uid, str) and uid in _DATASOURCE_VARIABLE_REFS:
                return dict(DATASOURCE)
            if isinstance(uid, str) and not value.get("type"):
                kind = self._guess_type(uid, target)
                self.notes.add(
                    path,
                    f"data source {uid!r} has no type: {kind!r} assumed from its queries",
                    panel,
                )
                return {"type": kind, "uid": uid}
            if uid is None and isinstance(value.get("type"), str):
                if value["type"] == "prometheus":
                    return dict(DATASOURCE)
                self.notes.add(
                    path,
                    f"data source of type {value['type']!r} without uid: uid {value['type']!r} assumed",
                    panel,
                )
                return {"type": value["type"], "uid": value["type"]}
            return value or None
        if not isinstance(value, str):
            self.notes.add(
                path,
                f"data source {value!r} is not a name or a reference; dropped (the default is used)",
                panel,
            )
            return None
        if value in _DATASOURCE_VARIABLE_REFS:
            return dict(DATASOURCE)
        placeholder = _PLACEHOLDER.match(value)
        if placeholder:
            return self._placeholder(placeholder.group(1), None, path, panel)
        if value in _BUILTIN_DATASOURCES:
            self.notes.add(path, f"data source {value!r} → {_BUILTIN_DATASOURCES[value]}", panel)
            return dict(_BUILTIN_DATASOURCES[value])
        if value.startswith("$"):
            self.notes.add(
                path,
                f"data source variable {value!r} → {{type: prometheus, uid: {value!r}}}",
                panel,
            )
            return {"type": "prometheus", "uid": value}
        kind = self._guess_type(value, target)
        if kind == "prometheus":
            self.notes.add(path, f"data source name {value!r} → the $datasource variable", panel)
            return dict(DATASOURCE)
        self.notes.add(
            path,
            f"data source name {value!r} → {{type: {kind!r}, uid: {value!r}}} (check the uid in your Grafana)",
            panel,
        )
        return {"type": kind, "uid": value}

    def _guess_type(self, name: str, target: dict | None) -> str:
        lowered = name.lower()
        for known in (
            "prometheus",
            "loki",
            "influxdb",
            "elasticsearch",
            "graphite",
            "mysql",
            "postgres",
            "cloudwatch",
            "tempo",
            "jaeger",
        ):
            if known in lowered:
                return known
        for key, kind in _QUERY_KEYS_BY_TYPE:
            if target is not None and key in target:
                return kind
        targets = self._current_targets or []
        for key, kind in _QUERY_KEYS_BY_TYPE:
            if any(isinstance(t, dict) and key in t for t in targets):
                return kind
        return "prometheus" if not targets else "datasource"

    _current_targets: list | None = None

    def _placeholder(self, name: str, kind: str | None, path: str, panel: str | None) -> dict:
        plugin = self.inputs.get(name) or kind or "prometheus"
        if plugin == "prometheus":
            self.notes.add(
                path, f"export placeholder ${{{name}}} → the $datasource variable", panel
            )
            return dict(DATASOURCE)
        variable = name.lower()
        if variable not in self.extra_variables:
            self.extra_variables[variable] = {
                "name": variable,
                "label": f"{plugin} data source",
                "type": "datasource",
                "query": plugin,
                "hide": 0,
                "skipUrlSync": False,
                "current": {},
                "options": [],
                "refresh": 1,
                "regex": "",
            }
        self.notes.add(
            path,
            f"export placeholder ${{{name}}} ({plugin}) → the ${variable} data source variable (added)",
            panel,
        )
        return {"type": plugin, "uid": f"${{{variable}}}"}

    # ---------------------------------------------------------------------- panels
    def rows_to_panels(self) -> None:
        """schemaVersion < 16: ``rows[].panels`` with spans → row panels and gridPos."""
        rows = self.data.pop("rows", None) or []
        panels: list[dict] = list(self.data.get("panels") or [])
        show_rows = any(
            isinstance(r, dict) and (r.get("collapse") or r.get("showTitle") or r.get("repeat"))
            for r in rows
        )
        y = max(
            (
                p["gridPos"]["y"] + p["gridPos"]["h"]
                for p in panels
                if isinstance(p.get("gridPos"), dict)
            ),
            default=0,
        )
        next_id = (
            max(
                (
                    p.get("id", 0)
                    for p in self._walk(
                        panels
                        + [q for r in rows if isinstance(r, dict) for q in r.get("panels") or []]
                    )
                    if isinstance(p.get("id"), int)
                ),
                default=0,
            )
            + 1
        )
        for row_index, row in enumerate(rows):
            if not isinstance(row, dict):
                continue
            path = f"rows[{row_index}]"
            if row.get("repeatIteration") or row.get("repeatRowId"):
                self.notes.add(
                    path,
                    "a copy Grafana made while repeating a row (repeatIteration): skipped, as Grafana does",
                )
                continue
            height = legacy_panels.grid_height(row.get("height"))
            row_panel: dict[str, Any] | None = None
            if show_rows:
                row_panel = {
                    "type": "row",
                    "title": row.get("title") or "",
                    "collapsed": bool(row.get("collapse")),
                    "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y},
                    "id": next_id,
                    "panels": [],
                }
                if row.get("repeat"):
                    row_panel["repeat"] = row["repeat"]
                next_id += 1
                panels.append(row_panel)
                y += 1
                dropped = sorted(
                    set(row)
                    - {
                        "title",
                        "collapse",
                        "height",
                        "panels",
                        "repeat",
                        "showTitle",
                        "$$hashKey",
                        "id",
                        "titleSize",
                        "repeatIteration",
                        "repeatRowId",
                    }
                )
                for key in dropped:
                    self.notes.add(
                        f"{path}.{key}", f"row option {key!r} has no row-panel equivalent; dropped"
                    )
                self.notes.add(
                    path,
                    f"legacy row {row.get('title') or '(untitled)'!r} → row panel at y={row_panel['gridPos']['y']}",
                )
            elif row.get("title"):
                self.notes.add(
                    f"{path}.title",
                    f"row title {row['title']!r} was hidden (showTitle false); no row panel",
                )
            x, line_height = 0, 0
            placed: list[dict] = []
            for panel_index, panel in enumerate(row.get("panels") or []):
                if not isinstance(panel, dict):
                    continue
                if panel.get("repeatPanelId") or panel.get("repeatIteration"):
                    self.notes.add(
                        f"{path}.panels[{panel_index}]",
                        "a copy Grafana made while repeating a panel: skipped, as Grafana does",
                        panel.get("title"),
                    )
                    continue
                span = legacy_panels._number(panel.get("span"))
                width = (
                    max(1, min(GRID_COLUMNS, int(round((span if span is not None else 4) * 2))))
                    if span != 0
                    else GRID_COLUMNS
                )
                h = (
                    legacy_panels.grid_height(panel["height"])
                    if panel.get("height") not in (None, "")
                    else height
                )
                if x + width > GRID_COLUMNS:
                    x, y = 0, y + line_height
                    line_height = 0
                panel["gridPos"] = {"h": h, "w": width, "x": x, "y": y}
                panel["_mlmon_origin"] = f"{path}.panels[{panel_index}]"
                x += width
                line_height = max(line_height, h)
                placed.append(panel)
            y += line_height
            if row_panel is not None and row_panel["collapsed"]:
                row_panel["panels"] = placed
                y = row_panel["gridPos"]["y"] + 1
            else:
                panels.extend(placed)
        self.data["panels"] = panels
        if rows:
            self.notes.add(
                "rows",
                f"{len(rows)} legacy rows → {'row panels' if show_rows else 'panels without row headers'} with gridPos (span×2 columns, px/38 rows)",
            )

    def _walk(self, panels: list) -> Any:
        for panel in panels:
            if isinstance(panel, dict):
                yield panel
                yield from self._walk(panel.get("panels") or [])

    def panel(self, panel: dict, path: str) -> dict:
        origin = panel.pop("_mlmon_origin", path)
        title = panel.get("title") or None

        def note(key: str, text: str) -> None:
            self.notes.add(f"{origin}.{key}" if key else origin, text, title)

        for key in _UI_PANEL_KEYS:
            if key in panel:
                value = panel.pop(key)
                if key not in (
                    "$$hashKey",
                    "span",
                    "height",
                    "isNew",
                    "scopedVars",
                ) and value not in (None, False, "", []):
                    note(key, f"UI-only key {key}={value!r} dropped")
                elif key in ("$$hashKey", "scopedVars"):
                    note(key, f"UI state {key} dropped")
        library = panel.get("libraryPanel")
        if isinstance(library, dict) and not panel.get("type"):
            model = self._library_model(library)
            if model is not None:
                grid = panel.get("gridPos")
                panel.update(
                    {
                        k: v
                        for k, v in copy.deepcopy(model).items()
                        if k not in ("gridPos", "id", "libraryPanel")
                    }
                )
                if grid is not None:
                    panel["gridPos"] = grid
                note(
                    "libraryPanel",
                    f"library panel {library.get('name') or library.get('uid')!r} inlined from __elements",
                )
            else:
                panel["type"] = "text"
                panel["options"] = {
                    "mode": "markdown",
                    "content": f"Library panel **{library.get('name') or library.get('uid')}** (not in the export).",
                }
                note(
                    "libraryPanel",
                    "library panel model not in the export: replaced by a text placeholder (export with 'Export for sharing externally' to include it)",
                )
        kind = panel.get("type")
        if kind == "row":
            if not panel.get("title"):
                panel["title"] = "Row"
                note("title", "row without a title: 'Row' (mlmon requires one)")
            return self._row(panel, path, origin)
        self._current_targets = (
            panel.get("targets") if isinstance(panel.get("targets"), list) else []
        )
        if kind == "graph":
            legacy_panels.graph_to_timeseries(panel, note)
        elif kind in ("singlestat", "grafana-singlestat-panel"):
            legacy_panels.singlestat_to_stat(panel, note)
        elif kind == "table-old" or (kind == "table" and "styles" in panel):
            legacy_panels.table_old_to_table(panel, note)
        elif legacy_panels.is_old_heatmap(panel):
            legacy_panels.heatmap_to_heatmap(panel, note)
        elif kind == "heatmap":
            legacy_panels.drop_stale_keys(panel, legacy_panels.HEATMAP_OLD_KEYS, note)
        elif kind == "text" and ("content" in panel or "mode" in panel):
            options = panel.setdefault("options", {})
            for key in ("content", "mode"):
                if key in panel:
                    options.setdefault(key, panel.pop(key))
            note("content", "text content/mode → options")
        elif kind == "grafana-piechart-panel":
            panel["type"] = "piechart"
            for key in (
                "legendType",
                "pieType",
                "strokeWidth",
                "valueName",
                "format",
                "combine",
                "fontSize",
                "legend",
                "aliasColors",
                "breakPoint",
                "cacheTimeout",
                "nullPointMode",
            ):
                if key in panel:
                    value = panel.pop(key)
                    if key == "pieType":
                        panel.setdefault("options", {})["pieType"] = value
                    elif key == "format" and isinstance(value, str):
                        panel.setdefault(
                            "fieldConfig", {"defaults": {}, "overrides": []}
                        ).setdefault("defaults", {})["unit"] = value
                    else:
                        note(key, f"piechart option {key} dropped")
            note("type", "grafana-piechart-panel → piechart")
        legacy_panels.drop_stale_keys(panel, legacy_panels.ANGULAR_KEYS, note)
        self._unknown_keys(panel, panel_keys(), note, "panel")
        self._overrides(panel, note)
        if not panel.get("title"):
            panel["title"] = f"Untitled {kind or 'panel'}"
            note("title", f"no title: {panel['title']!r} (Grafana shows none; mlmon requires one)")
        self._grid(panel, note)
        self._mappings(panel, note)
        self._thresholds(panel, note)
        if "datasource" in panel:
            panel["datasource"] = self.datasource(
                panel["datasource"], f"{origin}.datasource", title
            )
            if panel["datasource"] is None:
                panel.pop("datasource")
        seen_refs: set[str] = set()
        for index, target in enumerate(panel.get("targets") or []):
            if not isinstance(target, dict):
                continue
            self._target(target, f"{origin}.targets[{index}]", title, panel.get("datasource"))
            ref = target.get("refId")
            if isinstance(ref, str) and ref in seen_refs:
                free = next(
                    chr(c)
                    for c in range(ord("A"), ord("Z") + 1)
                    if chr(c) not in seen_refs
                    and all(
                        t.get("refId") != chr(c) for t in panel["targets"] if isinstance(t, dict)
                    )
                )
                target["refId"] = free
                note(
                    f"targets[{index}].refId",
                    f"refId {ref!r} was used twice in the panel: renamed {free!r}",
                )
            if isinstance(target.get("refId"), str):
                seen_refs.add(target["refId"])
            if target.get("format") in (0, 1, 2):
                old_format = target["format"]
                target["format"] = ("time_series", "table", "heatmap")[old_format]
                note(f"targets[{index}].format", f"format {old_format} → {target['format']!r}")
        for index, transformation in enumerate(panel.get("transformations") or []):
            if isinstance(transformation, dict) and "options" not in transformation:
                transformation["options"] = {}
                note(
                    f"transformations[{index}].options", "missing options → {} (Grafana's default)"
                )
        self._links(panel.get("links"), f"{origin}.links", title)
        config = panel.get("fieldConfig")
        if isinstance(config, dict):
            config.setdefault("defaults", {})
            config.setdefault("overrides", [])
        self._current_targets = None
        return panel

    def _unknown_keys(self, item: dict, known: frozenset[str], note: Any, what: str) -> None:
        for key in sorted(set(item) - known):
            value = item.pop(key)
            note(
                key,
                f"{what} key {key}={_short(value)} is not part of Grafana's current model; dropped",
            )

    def _overrides(self, panel: dict, note: Any) -> None:
        overrides = (panel.get("fieldConfig") or {}).get("overrides")
        for index, override in enumerate(overrides if isinstance(overrides, list) else []):
            if isinstance(override, dict):
                for key in sorted(set(override) - {"matcher", "properties"}):
                    override.pop(key)
                    note(f"fieldConfig.overrides[{index}].{key}", f"editor state {key} dropped")

    def _grid(self, panel: dict, note: Any) -> None:
        grid = panel.get("gridPos")
        if not isinstance(grid, dict):
            return
        for key, default in (("x", 0), ("y", 0), ("w", 12), ("h", 8)):
            if not isinstance(grid.get(key), int):
                value = legacy_panels._number(grid.get(key))
                grid[key] = int(value) if value is not None else default
                note(
                    f"gridPos.{key}",
                    f"missing or not an integer: set to {grid[key]} (Grafana's default)",
                )

    def _thresholds(self, panel: dict, note: Any) -> None:
        thresholds = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("thresholds")
        if not isinstance(thresholds, dict) or not isinstance(thresholds.get("steps"), list):
            return
        steps = thresholds["steps"]
        kept = [
            step
            for i, step in enumerate(steps)
            if i == 0 or (isinstance(step, dict) and "value" in step)
        ]
        if len(kept) != len(steps):
            thresholds["steps"] = kept
            note(
                "fieldConfig.defaults.thresholds.steps",
                f"{len(steps) - len(kept)} threshold step(s) without a value dropped (Grafana ignores them)",
            )

    def _mappings(self, panel: dict, note: Any) -> None:
        """Grafana 7's value mappings ({id, op, text, value, type: 1|2}) → the typed form of schema 30."""
        defaults = (panel.get("fieldConfig") or {}).get("defaults")
        if not isinstance(defaults, dict) or not isinstance(defaults.get("mappings"), list):
            return
        converted, values = [], {}
        changed = False
        for index, mapping in enumerate(defaults["mappings"]):
            if not isinstance(mapping, dict) or mapping.get("type") in (
                "value",
                "range",
                "regex",
                "special",
            ):
                converted.append(mapping)
                continue
            changed = True
            result = {"text": mapping.get("text", ""), "index": index}
            if mapping.get("color"):
                result["color"] = mapping["color"]
            if mapping.get("type") == 2 or "from" in mapping:
                converted.append(
                    {
                        "type": "range",
                        "options": {
                            "from": legacy_panels._number(mapping.get("from")),
                            "to": legacy_panels._number(mapping.get("to")),
                            "result": result,
                        },
                    }
                )
            elif mapping.get("value") == "null":
                converted.append(
                    {"type": "special", "options": {"match": "null", "result": result}}
                )
            elif mapping.get("value") not in (None, ""):
                values[str(mapping["value"])] = result
        if values:
            converted.append({"type": "value", "options": values})
        if changed:
            defaults["mappings"] = converted
            note(
                "fieldConfig.defaults.mappings",
                "Grafana 7 value/range mappings → typed mappings (value, range, special)",
            )

    def _target(self, target: dict, path: str, title: str | None, panel_ds: Any) -> None:
        if "$$hashKey" in target:
            target.pop("$$hashKey")
        if "datasource" in target:
            ref = self.datasource(target["datasource"], f"{path}.datasource", title, target)
            if ref is None:
                target.pop("datasource")
            else:
                target["datasource"] = ref
        ds = target.get("datasource") or panel_ds
        if ds is None or (isinstance(ds, dict) and ds.get("type") == "prometheus"):
            for key in sorted(set(target) - prometheus_target_keys()):
                value = target.pop(key)
                self.notes.add(
                    f"{path}.{key}",
                    f"Prometheus query key {key}={_short(value)} is editor state, not part of the query; dropped",
                    title,
                )
            if not isinstance(target.get("expr"), str):
                target["expr"] = ""
                self.notes.add(
                    f"{path}.expr",
                    "the query has no expression: an empty one (Grafana runs nothing for it)",
                    title,
                )

    def _row(self, panel: dict, path: str, origin: str) -> dict:
        if "datasource" in panel:
            value = panel.pop("datasource")
            if value is not None:
                self.notes.add(
                    f"{origin}.datasource",
                    "a row's data source is unused; dropped",
                    panel.get("title"),
                )
        for index, child in enumerate(panel.get("panels") or []):
            if isinstance(child, dict):
                panel["panels"][index] = self.panel(child, f"{path}.panels[{index}]")
        for key in ("targets", "options", "fieldConfig", "links", "description"):
            if panel.get(key) not in (None, [], {}, ""):
                self.notes.add(
                    f"{origin}.{key}",
                    f"row {key} dropped (a row panel has none)",
                    panel.get("title"),
                )
        return panel

    def _library_model(self, library: dict) -> dict | None:
        elements = self.data.get("__elements") or {}
        element = elements.get(library.get("uid")) if isinstance(elements, dict) else None
        model = element.get("model") if isinstance(element, dict) else None
        return model if isinstance(model, dict) else None

    def _links(self, links: Any, path: str, title: str | None) -> None:
        for index, link in enumerate(links or []):
            if not isinstance(link, dict):
                continue
            if path != "links" and ("title" not in link or "url" not in link):
                missing = [k for k in ("title", "url") if k not in link]
                for key in missing:
                    link[key] = ""
                self.notes.add(
                    f"{path}[{index}]", f"filled Grafana's defaults for {', '.join(missing)}", title
                )
            link.pop("$$hashKey", None)
            if "dashUri" in link or "dashboard" in link and "url" not in link:
                self.notes.add(
                    f"{path}[{index}]",
                    "dashboard link by name (dashUri/dashboard) kept as is: check its url",
                    title,
                )
            if path == "links":  # dashboard links: Grafana's defaults for what the JSON omits
                missing = [k for k in _LINK_DEFAULTS if k not in link and k != "url"]
                for key in missing:
                    link[key] = copy.deepcopy(_LINK_DEFAULTS[key])
                if not link.get("title"):
                    link["title"] = "Dashboards" if link.get("type") == "dashboards" else "Link"
                    missing.append(f"title ({link['title']!r}; mlmon requires one)")
                if missing:
                    self.notes.add(
                        f"{path}[{index}]", f"filled Grafana's defaults for {', '.join(missing)}"
                    )

    # ------------------------------------------------------------------- templating
    def variables(self) -> None:
        templating = self.data.get("templating")
        variables = templating.get("list") if isinstance(templating, dict) else None
        for index, variable in enumerate(variables or []):
            if not isinstance(variable, dict):
                continue
            path = f"templating.list[{index}]"
            for key in _UI_VARIABLE_KEYS:
                if key in variable:
                    value = variable.pop(key)
                    self.notes.add(
                        f"{path}.{key}",
                        f"UI-only variable key {key}={value!r} dropped"
                        if key != "$$hashKey"
                        else "UI state $$hashKey dropped",
                    )
            if variable.get("type") != "datasource" and "datasource" in variable:
                self._current_targets = (
                    [{"expr": ""}]
                    if variable.get("type") == "query"
                    and isinstance(variable.get("query"), (str, dict))
                    else []
                )
                ref = self.datasource(
                    variable["datasource"], f"{path}.datasource", f"${variable.get('name')}"
                )
                self._current_targets = None
                if ref is None:
                    variable.pop("datasource")
                else:
                    variable["datasource"] = ref
            for key in sorted(set(variable) - variable_keys()):
                value = variable.pop(key)
                self.notes.add(
                    f"{path}.{key}",
                    f"variable key {key}={_short(value)} is not part of Grafana's current model; dropped",
                )
            options = [("current", variable.get("current"))] + [
                (f"options[{i}]", o) for i, o in enumerate(variable.get("options") or [])
            ]
            for where, option in options:
                if isinstance(option, dict):
                    for key in sorted(set(option) - {"text", "value", "selected"}):
                        option.pop(key)
                        self.notes.add(f"{path}.{where}.{key}", f"UI state {key} dropped")
            if isinstance(variable.get("auto_count"), str) and variable["auto_count"].isdigit():
                variable["auto_count"] = int(variable["auto_count"])
            if variable.get("type") == "query" and variable.get("datasource") is None:
                variable["datasource"] = dict(DATASOURCE)
                self.notes.add(
                    f"{path}.datasource",
                    "no data source (Grafana's default one): the $datasource variable",
                )
            if isinstance(variable.get("query"), dict) and variable.get("type") == "query":
                query = variable["query"].get("query")
                if isinstance(query, str):
                    variable["query"] = query
                    self.notes.add(
                        f"{path}.query", "query object {query, refId} → its query string"
                    )

    def annotations(self) -> None:
        annotations = self.data.get("annotations")
        items = annotations.get("list") if isinstance(annotations, dict) else None
        for index, annotation in enumerate(items or []):
            if not isinstance(annotation, dict):
                continue
            path = f"annotations.list[{index}]"
            for key in _UI_ANNOTATION_KEYS:
                if key in annotation:
                    annotation.pop(key)
                    self.notes.add(f"{path}.{key}", f"UI-only annotation key {key} dropped")
            if "datasource" in annotation:
                ref = self.datasource(annotation["datasource"], f"{path}.datasource", None)
                if ref is None:
                    annotation.pop("datasource")
                else:
                    annotation["datasource"] = ref
            moved = [key for key in ("tags", "limit", "matchAny") if key in annotation]
            if moved and not annotation.get("builtIn"):
                query = annotation.setdefault("target", {})
                for key in moved:
                    query[key] = annotation.pop(key)
                if annotation.get("type") in ("tags", "dashboard"):
                    query["type"] = annotation["type"]
                self.notes.add(
                    path,
                    f"annotation filter {', '.join(moved)} → target (Grafana's annotation query model)",
                )
            for key in sorted(set(annotation) - annotation_keys()):
                value = annotation.pop(key)
                self.notes.add(
                    f"{path}.{key}",
                    f"annotation key {key}={_short(value)} is not part of the annotation model mlmon emits; dropped",
                )
            for key, value in _ANNOTATION_DEFAULTS.items():
                annotation.setdefault(key, value)
            annotation.setdefault("name", annotation.get("name") or f"Annotation {index + 1}")

    # ------------------------------------------------------------------ the whole
    def run(self) -> dict:
        data = self.data
        if "rows" in data:
            if data.get("rows"):
                self.rows_to_panels()
            else:
                data.pop("rows")
        if not data.get("uid") or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(data["uid"])):
            old_uid = data.get("uid")
            data["uid"] = (
                re.sub(
                    r"[^a-z0-9]+", "-", str(old_uid or data.get("title") or "imported").lower()
                ).strip("-")[:40]
                or "imported"
            )
            self.notes.add(
                "uid",
                f"uid {old_uid!r} is missing or not a usable uid: {data['uid']!r} (derived from the {'uid' if old_uid else 'title'})",
            )
        known = root_keys()
        lowered = {k.lower(): k for k in known}
        for key in sorted(
            set(data)
            - known
            - {
                "rows",
                "__inputs",
                "__requires",
                "__elements",
                *_ROOT_DROP,
                "id",
                "version",
                "style",
                "iteration",
                "gnetId",
            }
        ):
            value = data.pop(key)
            if key.lower() in lowered and lowered[key.lower()] not in data:
                data[lowered[key.lower()]] = value
                self.notes.add(key, f"root key {key} → {lowered[key.lower()]}")
            else:
                self.notes.add(
                    key,
                    f"root key {key}={_short(value)} is not part of Grafana's current model; dropped",
                )
        for key in _ROOT_DROP:
            if key in data:
                value = data.pop(key)
                self.notes.add(
                    key,
                    f"root key {key}={value!r} dropped (Grafana runtime metadata, not part of the source)",
                )
        panels = data.get("panels") or []
        kept = []
        for index, panel in enumerate(panels):
            if not isinstance(panel, dict):
                continue
            if panel.get("repeatPanelId") or panel.get("repeatIteration"):
                self.notes.add(
                    f"panels[{index}]",
                    "a copy Grafana made while repeating a panel: skipped, as Grafana does",
                    panel.get("title"),
                )
                continue
            kept.append(self.panel(panel, f"panels[{index}]"))
        data["panels"] = kept
        self.variables()
        self.annotations()
        self._links(data.get("links"), "links", None)
        data.pop("__elements", None)
        if self.extra_variables:
            variables = data.setdefault("templating", {}).setdefault("list", [])
            names = {v.get("name") for v in variables if isinstance(v, dict)}
            variables[:0] = [v for name, v in self.extra_variables.items() if name not in names]
        self._resolve_overlaps(data["panels"], "panels")
        self._unique_ids(data["panels"])
        return data

    def _unique_ids(self, panels: list[dict]) -> None:
        seen: set[int] = set()
        for panel in self._walk(panels):
            if isinstance(panel.get("id"), int):
                if panel["id"] in seen:
                    self.notes.add(
                        "panels",
                        f"panel id {panel['id']} of {panel.get('title')!r} is used twice: a new id is assigned",
                        panel.get("title"),
                    )
                    panel.pop("id")
                else:
                    seen.add(panel["id"])

    def _resolve_overlaps(self, panels: list[dict], path: str) -> None:
        """Push overlapping panels down, top to bottom, as Grafana's grid compacts them on load."""
        placed: list[dict] = []
        for index, panel in sorted(enumerate(panels), key=lambda item: _position(item[1])):
            grid = panel.get("gridPos")
            if not isinstance(grid, dict):
                continue
            moved = False
            while any(_overlaps(grid, other) for other in placed):
                grid["y"] = max(o["y"] + o["h"] for o in placed if _overlaps(grid, o))
                moved = True
            if moved:
                self.notes.add(
                    f"{path}[{index}].gridPos",
                    f"overlapped another panel: moved down to y={grid['y']} (as Grafana's grid does)",
                    panel.get("title"),
                )
            placed.append(grid)
        for index, panel in enumerate(panels):
            if panel.get("type") == "row" and panel.get("collapsed"):
                self._resolve_overlaps(panel.get("panels") or [], f"{path}[{index}].panels")


@cache
def panel_keys() -> frozenset[str]:
    """The keys a panel may have in the modern model (mlmon's dashboard schema)."""
    defs = dashboard_schema()["$defs"]
    return (
        frozenset(defs["panel"]["properties"])
        | frozenset(defs["rowPanel"]["properties"])
        | {"panels"}
    )


@cache
def prometheus_target_keys() -> frozenset[str]:
    return frozenset(dashboard_schema()["$defs"]["prometheusTarget"]["properties"])


@cache
def annotation_keys() -> frozenset[str]:
    return frozenset(dashboard_schema()["$defs"]["annotation"]["properties"])


@cache
def root_keys() -> frozenset[str]:
    return frozenset(dashboard_schema()["properties"])


@cache
def variable_keys() -> frozenset[str]:
    return frozenset(dashboard_schema()["$defs"]["variable"]["properties"])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _position(panel: dict) -> tuple[int, int]:
    grid = panel.get("gridPos")
    if not isinstance(grid, dict):
        return 0, 0
    return int(grid.get("y") or 0), int(grid.get("x") or 0)


def _overlaps(a: dict, b: dict) -> bool:
    try:
        return (
            a["x"] < b["x"] + b["w"]
            and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"]
            and b["y"] < a["y"] + a["h"]
        )
    except (KeyError, TypeError):
        return False


def _strip_hash_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_hash_keys(v) for k, v in value.items() if k != "$$hashKey"}
    if isinstance(value, list):
        return [_strip_hash_keys(v) for v in value]
    return value


def migrate(data: Any) -> tuple[dict, Notes]:
    """The dashboard as Grafana's migrator would open it, and every change made (a private copy)."""
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]  # Grafana API envelope {dashboard, meta}
    if not isinstance(data, dict) or (
        "panels" not in data and "rows" not in data and "title" not in data
    ):
        raise MlmonError("this is not a Grafana dashboard (no 'panels', 'rows' or 'title')")
    if not isinstance(data.get("panels", []), list) or not isinstance(data.get("rows", []), list):
        raise MlmonError("this is not a Grafana dashboard ('panels'/'rows' is not a list)")
    migration = Migration(copy.deepcopy(data))
    migrated = migration.run()
    migrated = _strip_hash_keys(migrated)
    return migrated, migration.notes
