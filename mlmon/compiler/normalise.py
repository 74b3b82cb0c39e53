"""grafanalib output (or any dashboard JSON) → the modern dashboard model mlmon emits.

What changes, and why:

- legacy keys go (``rows``, ``style``, ``sharedCrosshair``, ``hideControls``,
  ``__inputs``, ``timepicker.time_options``, panel ``span``/``height``/``error``,
  target ``query``/``target``/``intervalFactor``...): Grafana ≥ 10 ignores or
  migrates them, and they make Grafana's own schema reject the file;
- ``datasource`` becomes ``{type, uid}`` on every panel and target (a string
  was a data-source *name*, which breaks when the data source is renamed);
- grafanalib's legacy structures for gauges, bar gauges and tables move to
  where Grafana ≥ 10 reads them (``options.reduceOptions``, ``cellOptions``);
- thresholds become ``{color, value}`` steps; ``null`` values are dropped
  except the first threshold step, where ``null`` is Grafana's encoding of
  -Infinity (its schema requires it);
- ``schemaVersion`` is raised to at least 39 and panel ids are numbered in
  document order where missing, so output is stable.

Normalising is idempotent: normalising the output again changes nothing
(``mlmon import`` relies on it).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from mlmon.dsl.dashboard import SCHEMA_VERSION
from mlmon.dsl.variables import DATASOURCE, DATASOURCE_VARIABLE
from mlmon.errors import SourceError

LEGACY_PANEL_TYPES = {
    "graph": "use TimeSeries (mlmon.dsl.panels.timeseries)",
    "singlestat": "use Stat (mlmon.dsl.panels.stat)",
    "table-old": "use Table (mlmon.dsl.panels.table)",
    "grafana-piechart-panel": "use PieChartv2 (mlmon.dsl.panels.piechart)",
}
_DASHBOARD_DROP = (
    "__inputs",
    "__requires",
    "__elements",
    "style",
    "sharedCrosshair",
    "hideControls",
    "id",
    "version",
    "iteration",
    "gnetId",
)
_TIMEPICKER_KEEP = ("hidden", "refresh_intervals", "nowDelay", "quick_ranges")
_PANEL_DROP = (
    "span",
    "height",
    "minSpan",
    "error",
    "editable",
    "thresholds",
    "thresholdType",
    "columns",
    "fontSize",
    "styles",
    "color",
    "isNew",
    "scroll",
)
_TARGET_DROP = ("query", "target", "metric", "step", "intervalFactor")
_VARIABLE_DROP = ("useTags", "tagsQuery", "tagValuesQuery", "tags")
_GRAFANALIB_DEFAULT_MAX_DATA_POINTS = 100
# Keys a source sets on purpose although they equal grafanalib's noise (``mlmon import`` marks them):
# kept, and the marker removed.
EXPLICIT = "_mlmon_explicit"
_BUILTIN_ANNOTATION = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}
_TABLE_CELL_TYPES = {
    "auto": {"type": "auto"},
    "color-text": {"type": "color-text"},
    "color-background": {"type": "color-background"},
    "color-background-solid": {"type": "color-background", "mode": "basic"},
    "gradient-gauge": {"type": "gauge", "mode": "gradient"},
    "lcd-gauge": {"type": "gauge", "mode": "lcd"},
    "basic": {"type": "gauge", "mode": "basic"},
    "json-view": {"type": "json-view"},
}


def to_plain(obj: Any) -> Any:
    """grafanalib objects → plain JSON data (what grafanalib's DashboardEncoder does, without a JSON round trip)."""
    to_json = getattr(obj, "to_json_data", None)
    if to_json is not None:
        return to_plain(to_json())
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


def datasource_ref(value: Any, item: str | None, path: str) -> dict | None:
    """A panel or target ``datasource`` as ``{type, uid}``; ``None`` when unset."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in (f"${DATASOURCE_VARIABLE}", f"${{{DATASOURCE_VARIABLE}}}"):
            return dict(DATASOURCE)
        raise SourceError(
            f"datasource {value!r} is a data-source name",
            item=item,
            json_path=path,
            hint="refer to data sources as {type, uid}: use mlmon.dsl.variables.DATASOURCE",
        )
    if isinstance(value, dict):
        ref = {k: v for k, v in value.items() if v is not None}
        if "type" not in ref and ref.get("uid") in (
            f"${DATASOURCE_VARIABLE}",
            f"${{{DATASOURCE_VARIABLE}}}",
        ):
            ref["type"] = "prometheus"
        return ref
    raise SourceError(
        f"datasource must be {{type, uid}}, not {type(value).__name__}", item=item, json_path=path
    )


def _thresholds(defaults: dict) -> None:
    config = defaults.get("thresholds")
    if not isinstance(config, dict):
        defaults.pop("thresholds", None)
        return
    steps = config.get("steps")
    if not steps or not isinstance(steps, list):
        defaults.pop("thresholds")
        return
    converted = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        value = step.get("value")
        if "index" in step:  # grafanalib's Threshold: index 0 is the base step
            value = None if step["index"] == 0 else step.get("value")
        if value == "null" or index == 0:
            value = None
        converted.append({"color": step.get("color"), "value": value})
    defaults["thresholds"] = {"mode": config.get("mode") or "absolute", "steps": converted}


def _field_config(panel: dict) -> None:
    config = panel.get("fieldConfig")
    if not isinstance(config, dict):
        return
    config.setdefault("defaults", {})
    config.setdefault("overrides", [])
    defaults = config["defaults"]
    _thresholds(defaults)
    for key, empty in (("mappings", []), ("links", []), ("unit", "")):
        if defaults.get(key) == empty:
            defaults.pop(key)  # grafanalib's empty defaults; Grafana reads absence the same way


def _gauge(panel: dict) -> None:
    # grafanalib's GaugePanel puts reduce options and marker flags inside fieldConfig.
    config = panel.setdefault("fieldConfig", {"defaults": {}, "overrides": []})
    defaults = config.setdefault("defaults", {})
    options = panel.setdefault("options", {})
    reduce = options.setdefault(
        "reduceOptions", {"fields": "", "values": False, "calcs": ["lastNotNull"]}
    )
    if "calcs" in defaults:
        reduce["calcs"] = defaults.pop("calcs")
    if "values" in defaults:
        reduce["values"] = defaults.pop("values")
    limit = defaults.pop("limit", None)
    if limit is not None:
        reduce["limit"] = limit
    title = defaults.pop("title", None)
    if title:
        defaults["displayName"] = title
    defaults.pop("override", None)
    for flag in ("showThresholdLabels", "showThresholdMarkers"):
        if flag in config:
            options[flag] = config.pop(flag)


def _bargauge(panel: dict) -> None:
    # grafanalib's BarGauge still emits Grafana 6's options.fieldOptions.
    options = panel.setdefault("options", {})
    legacy = options.pop("fieldOptions", None)
    if not legacy:
        return
    config = panel.setdefault("fieldConfig", {"defaults": {}, "overrides": []})
    defaults = config.setdefault("defaults", {})
    for key, value in (legacy.get("defaults") or {}).items():
        if key == "title":
            if value:
                defaults["displayName"] = value
        elif value is not None and value != []:
            defaults.setdefault(key, value)
    if legacy.get("mappings"):
        defaults.setdefault("mappings", legacy["mappings"])
    reduce = {
        "calcs": legacy.get("calcs") or ["lastNotNull"],
        "fields": "",
        "values": bool(legacy.get("values")),
    }
    if legacy.get("limit") is not None:
        reduce["limit"] = legacy["limit"]
    options["reduceOptions"] = reduce


def _table(panel: dict) -> None:
    mappings = panel.pop("mappings", None)
    config = panel.setdefault("fieldConfig", {"defaults": {}, "overrides": []})
    defaults = config.setdefault("defaults", {})
    if mappings:
        defaults.setdefault("mappings", mappings)
    custom = defaults.setdefault("custom", {})
    mode = custom.pop("displayMode", None)
    if mode is not None:
        custom.setdefault("cellOptions", dict(_TABLE_CELL_TYPES.get(mode, {"type": "auto"})))


def _text(panel: dict) -> None:
    options = panel.setdefault("options", {})
    for key in ("content", "mode"):
        if key in panel:
            options.setdefault(key, panel.pop(key))


_BY_TYPE: dict[str, Callable[[dict], None]] = {
    "gauge": _gauge,
    "bargauge": _bargauge,
    "table": _table,
    "text": _text,
}


def _target(target: dict, panel_ds: dict | None, item: str, path: str) -> dict:
    explicit = set(target.get(EXPLICIT) or ())
    out = {
        k: v
        for k, v in target.items()
        if k != EXPLICIT and (k not in _TARGET_DROP or k in explicit)
    }
    ds = (
        datasource_ref(out.get("datasource"), item, f"{path}.datasource")
        or panel_ds
        or dict(DATASOURCE)
    )
    out["datasource"] = ds
    for key, default in (
        ("interval", ""),
        ("hide", False),
        ("legendFormat", ""),
        ("format", "time_series"),
    ):
        if out.get(key) == default:
            out.pop(key)
    if ds.get("type") == "prometheus" and "expr" in out:
        instant = bool(out.get("instant", False))
        out["instant"] = instant
        out["range"] = not instant
        out.setdefault("editorMode", "code")
    return out


def _fill_ref_ids(targets: list[dict]) -> None:
    # grafanalib's Target defaults refId to "": give such queries the next free letter, as Grafana's editor does.
    used = {t.get("refId") for t in targets}
    free = (
        letter for letter in (chr(c) for c in range(ord("A"), ord("Z") + 1)) if letter not in used
    )
    for target in targets:
        if not target.get("refId"):
            target["refId"] = next(free, f"Q{len(used)}")
            used.add(target["refId"])


def _panel(panel: dict, path: str) -> dict:
    item = panel.get("title") or None
    kind = panel.get("type")
    if kind in LEGACY_PANEL_TYPES:
        raise SourceError(
            f"legacy panel type {kind!r}",
            item=item,
            json_path=f"{path}.type",
            hint=LEGACY_PANEL_TYPES[kind],
        )
    if kind == "row":
        return _row(panel, path)
    explicit = set(panel.get(EXPLICIT) or ())
    out = {k: v for k, v in panel.items() if k != EXPLICIT and k not in _PANEL_DROP}
    if (
        out.get("maxDataPoints") == _GRAFANALIB_DEFAULT_MAX_DATA_POINTS
        and "maxDataPoints" not in explicit
    ):
        out.pop(
            "maxDataPoints"
        )  # grafanalib's default caps resolution; Grafana sizes it to the panel
    for key, default in (
        ("hideTimeOverride", False),
        ("transparent", False),
        ("links", []),
        ("transformations", []),
    ):
        if out.get(key) == default:
            out.pop(key)
    if not out.get("repeat"):
        for key in ("repeat", "repeatDirection", "maxPerRow"):
            out.pop(key, None)
    fix = _BY_TYPE.get(kind)  # type: ignore[arg-type]
    if fix is not None:
        fix(out)
    _field_config(out)
    targets = out.get("targets") or []
    panel_ds = datasource_ref(out.get("datasource"), item, f"{path}.datasource")
    if targets:
        panel_ds = panel_ds or dict(DATASOURCE)
        out["targets"] = [
            _target(t, panel_ds, item or "", f"{path}.targets[{i}]") for i, t in enumerate(targets)
        ]
        _fill_ref_ids(out["targets"])
    else:
        out.pop("targets", None)
    if panel_ds is not None:
        out["datasource"] = panel_ds
    else:
        out.pop("datasource", None)
    return out


def _row(panel: dict, path: str) -> dict:
    keep = ("type", "title", "gridPos", "id", "collapsed", "repeat")
    out = {k: panel[k] for k in keep if panel.get(k) not in (None, "")}
    out["collapsed"] = bool(panel.get("collapsed", False))
    out["panels"] = [
        _panel(p, f"{path}.panels[{i}]") for i, p in enumerate(panel.get("panels") or [])
    ]
    return out


def _variable(variable: dict, path: str) -> dict:
    out = {k: v for k, v in variable.items() if k not in _VARIABLE_DROP}
    if out.get("type") != "interval":
        for key in ("auto", "auto_min", "auto_count"):
            out.pop(key, None)
    if out.get("type") == "datasource":
        out.pop("datasource", None)
    elif "datasource" in out:
        ds = datasource_ref(out["datasource"], None, f"{path}.datasource")
        if ds is None:
            out.pop("datasource")
        else:
            out["datasource"] = ds
    current = out.get("current")
    if isinstance(current, dict):
        current = {k: v for k, v in current.items() if k != "tags" and v is not None}
        if "text" in current and "value" in current:
            out["current"] = current
        else:
            out.pop("current")
    if out.get("type") == "query" and isinstance(out.get("query"), str):
        out.setdefault("definition", out["query"])
    return out


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        out = {key: _strip_nulls(item) for key, item in value.items() if item is not None}
        steps = out.get("steps") if "mode" in out else None
        if isinstance(steps, list) and steps and isinstance(steps[0], dict) and "color" in steps[0]:
            steps[0]["value"] = (
                None  # a thresholds config: the base step's null is Grafana's -Infinity
            )
        return out
    if isinstance(value, list):
        return [_strip_nulls(item) for item in value if item is not None]
    return value


def _walk_panels(panels: list[dict]):
    for panel in panels:
        yield panel
        yield from _walk_panels(panel.get("panels") or [])


def _assign_ids(panels: list[dict]) -> None:
    used = {p["id"] for p in _walk_panels(panels) if isinstance(p.get("id"), int)}
    next_id = 1
    for panel in _walk_panels(panels):
        if not isinstance(panel.get("id"), int):
            while next_id in used:
                next_id += 1
            panel["id"] = next_id
            used.add(next_id)


def normalise(dashboard: Any) -> dict:
    """The modern, null-free dashboard model for ``dashboard`` (a grafanalib Dashboard or a dict)."""
    data = to_plain(dashboard)
    if not isinstance(data, dict):
        raise SourceError(
            f"expected a dashboard, got {type(data).__name__}",
            hint="assign a grafanalib Dashboard (mlmon.dsl.dashboard.dashboard(...)) or a dict",
        )
    if isinstance(data.get("dashboard"), dict) and "meta" in data:
        data = data["dashboard"]  # the envelope Grafana's API returns
    if data.get("rows"):
        raise SourceError(
            "legacy 'rows' layout",
            json_path="rows",
            hint="put panels in 'panels' (rows of panels: mlmon.dsl.layout.row)",
        )
    out = {k: v for k, v in data.items() if k not in _DASHBOARD_DROP and k != "rows"}
    if data.get("sharedCrosshair") and not out.get("graphTooltip"):
        out["graphTooltip"] = 1
    picker = out.get("timepicker")
    if isinstance(picker, dict):
        out["timepicker"] = {k: picker[k] for k in _TIMEPICKER_KEEP if picker.get(k) is not None}
    out["schemaVersion"] = max(int(out.get("schemaVersion") or 0), SCHEMA_VERSION)
    templating = out.get("templating") or {}
    out["templating"] = {
        "list": [
            _variable(v, f"templating.list[{i}]")
            for i, v in enumerate(templating.get("list") or [])
        ]
    }
    annotations = list((out.get("annotations") or {}).get("list") or [])
    if not any(a.get("builtIn") == 1 for a in annotations if isinstance(a, dict)):
        annotations.insert(0, dict(_BUILTIN_ANNOTATION))
    out["annotations"] = {"list": annotations}
    out["panels"] = [_panel(p, f"panels[{i}]") for i, p in enumerate(out.get("panels") or [])]
    if not out.get("refresh"):
        out.pop("refresh", None)
    out = _strip_nulls(out)
    _assign_ids(out["panels"])
    return out
