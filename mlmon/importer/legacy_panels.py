"""Legacy panel types → the panels Grafana ≥ 10 draws, the way Grafana's own migrator converts them.

Grafana converts ``graph``, ``singlestat``, ``table-old`` and the old
``heatmap`` when a dashboard is opened (its panel plugins' "migration
handlers"); we do the same ahead of time so the source is the modern model.
Options with a modern equivalent are carried over; every option dropped
without one is returned as a note, so nothing disappears silently.

Each converter takes the panel (modified in place) and a ``note(key, text)``
callback that records what happened to one key.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Note = Callable[[str, str], None]

# Keys of the Angular panels that only drove the old renderers (no modern meaning).
_GRAPH_RENDER_ONLY = (
    "renderer",
    "aliasColors",
    "bars",
    "dashLength",
    "dashes",
    "fill",
    "fillGradient",
    "hiddenSeries",
    "legend",
    "lines",
    "linewidth",
    "nullPointMode",
    "percentage",
    "pointradius",
    "points",
    "seriesOverrides",
    "spaceLength",
    "stack",
    "steppedLine",
    "thresholds",
    "timeRegions",
    "tooltip",
    "xaxis",
    "yaxes",
    "yaxis",
    "options",
    "fieldConfig",
    "decimals",
)

# singlestat valueName → reduce calculation ids.
_REDUCERS = {
    "avg": "mean",
    "current": "lastNotNull",
    "last_time": "lastNotNull",
    "total": "sum",
    "min": "min",
    "max": "max",
    "first": "firstNotNull",
    "delta": "delta",
    "diff": "diff",
    "range": "range",
    "name": "lastNotNull",
}
# graph legend flags → legend calculations.
_LEGEND_CALCS = (
    ("current", "lastNotNull"),
    ("avg", "mean"),
    ("min", "min"),
    ("max", "max"),
    ("total", "sum"),
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _unit(format_: Any) -> str | None:
    if not isinstance(format_, str) or not format_ or format_ == "none":
        return None if format_ in (None, "") else "none"
    return format_


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return None
    return int(parsed) if parsed.is_integer() else parsed


def _series_matcher(alias: str) -> dict:
    """A seriesOverrides alias ("/regex/" or a name) → a field matcher."""
    if len(alias) > 1 and alias.startswith("/") and alias.endswith("/"):
        return {"id": "byRegexp", "options": alias[1:-1]}
    return {"id": "byName", "options": alias}


def _thresholds_from_graph(items: list[dict]) -> tuple[list[dict], str | None]:
    steps: list[dict] = [{"color": "transparent", "value": None}]
    style = None
    for item in sorted(
        (t for t in items if _number(t.get("value")) is not None),
        key=lambda t: _number(t["value"]),  # type: ignore[arg-type,return-value]
    ):
        colors: dict[Any, str] = {"critical": "red", "warning": "orange", "ok": "green"}
        color = colors.get(
            item.get("colorMode"), item.get("lineColor") or item.get("fillColor") or "red"
        )
        steps.append({"color": color, "value": _number(item["value"])})
        style = "line+area" if item.get("fill") else "line"
    return steps, style


def graph_to_timeseries(panel: dict, note: Note) -> None:
    """``graph`` → ``timeseries`` (or keeps the histogram/series x-axis modes as notes)."""
    old = {key: panel.pop(key) for key in _GRAPH_RENDER_ONLY if key in panel}
    panel["type"] = "timeseries"
    config = _dict(old.get("fieldConfig"))
    defaults: dict[str, Any] = dict(config.get("defaults") or {})
    overrides: list[dict] = list(config.get("overrides") or [])
    custom: dict[str, Any] = dict(defaults.get("custom") or {})
    options: dict[str, Any] = {}

    bars, lines, points = bool(old.get("bars")), old.get("lines", True), bool(old.get("points"))
    custom["drawStyle"] = (
        "bars" if bars and not lines else ("points" if points and not lines else "line")
    )
    custom["lineWidth"] = old.get("linewidth", 1)
    custom["fillOpacity"] = int(_number(old.get("fill", 1)) or 0) * 10
    custom["showPoints"] = "always" if points else "never"
    custom["pointSize"] = old.get("pointradius", 2) * 2 if points else 5
    if old.get("steppedLine"):
        custom["lineInterpolation"] = "stepAfter"
    if old.get("dashes"):
        custom["lineStyle"] = {
            "fill": "dash",
            "dash": [old.get("dashLength", 10), old.get("spaceLength", 10)],
        }
    if old.get("stack"):
        custom["stacking"] = {
            "mode": "percent" if old.get("percentage") else "normal",
            "group": "A",
        }
    null_mode = old.get("nullPointMode")
    if null_mode == "connected":
        custom["spanNulls"] = True
    elif null_mode == "null as zero":
        note(
            "nullPointMode",
            "'null as zero' has no field option; add a 'Convert field type'/'null → 0' transformation if you need it",
        )
    custom.setdefault("spanNulls", False)
    if old.get("fillGradient"):
        custom["gradientMode"] = "opacity"

    yaxes = _list(old.get("yaxes"))
    left = yaxes[0] if yaxes and isinstance(yaxes[0], dict) else {}
    right = yaxes[1] if len(yaxes) > 1 and isinstance(yaxes[1], dict) else {}
    unit = _unit(left.get("format"))
    if unit:
        defaults["unit"] = unit
    for key in ("min", "max"):
        value = _number(left.get(key))
        if value is not None:
            defaults[key] = value
    decimals = (
        _number(left.get("decimals"))
        if left.get("decimals") is not None
        else _number(old.get("decimals"))
    )
    if decimals is not None:
        defaults["decimals"] = decimals
    if left.get("label"):
        custom["axisLabel"] = left["label"]
    if _number(left.get("logBase")) not in (None, 1):
        custom["scaleDistribution"] = {"type": "log", "log": _number(left["logBase"])}
    if left.get("show") is False:
        custom["axisPlacement"] = "hidden"

    aliases = _dict(old.get("aliasColors"))
    for alias, color in aliases.items():
        overrides.append(
            {
                "matcher": {"id": "byName", "options": alias},
                "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}],
            }
        )
    for index, series in enumerate(old.get("seriesOverrides") or []):
        if not isinstance(series, dict) or not series.get("alias"):
            continue
        properties: list[dict[str, Any]] = []
        for key, value in series.items():
            if key in ("alias", "$$hashKey"):
                continue
            if key == "yaxis" and value == 2:
                properties.append({"id": "custom.axisPlacement", "value": "right"})
                if _unit(right.get("format")):
                    properties.append({"id": "unit", "value": _unit(right.get("format"))})
            elif key == "color":
                properties.append({"id": "color", "value": {"mode": "fixed", "fixedColor": value}})
            elif key == "fill":
                properties.append(
                    {"id": "custom.fillOpacity", "value": int(_number(value) or 0) * 10}
                )
            elif key == "linewidth":
                properties.append({"id": "custom.lineWidth", "value": value})
            elif key == "lines" and value is False and series.get("bars"):
                properties.append({"id": "custom.drawStyle", "value": "bars"})
            elif key == "bars" and value:
                properties.append({"id": "custom.drawStyle", "value": "bars"})
            elif key == "stack" and value is False:
                properties.append(
                    {"id": "custom.stacking", "value": {"mode": "none", "group": "A"}}
                )
            elif key == "transform" and value == "negative-Y":
                properties.append({"id": "custom.transform", "value": "negative-Y"})
            elif key in ("legend", "hiddenSeries") and value is False:
                properties.append(
                    {
                        "id": "custom.hideFrom",
                        "value": {"legend": True, "tooltip": False, "viz": False},
                    }
                )
            elif key == "dashes" and value:
                properties.append(
                    {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}
                )
            else:
                note(
                    f"seriesOverrides[{index}].{key}",
                    f"no timeseries equivalent for {key}={value!r}; dropped",
                )
        if properties:
            overrides.append(
                {"matcher": _series_matcher(series["alias"]), "properties": properties}
            )

    thresholds = _list(old.get("thresholds"))
    if thresholds:
        steps, style = _thresholds_from_graph(thresholds)
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
        custom["thresholdsStyle"] = {"mode": style or "line"}
    elif old.get("timeRegions"):
        note(
            "timeRegions",
            "time regions are dashboard annotations in Grafana ≥ 10 (add a 'Time regions' annotation); dropped",
        )

    legend = _dict(old.get("legend"))
    options["legend"] = {
        "showLegend": legend.get("show", True) is not False,
        "displayMode": "table" if legend.get("alignAsTable") else "list",
        "placement": "right" if legend.get("rightSide") else "bottom",
        "calcs": [calc for key, calc in _LEGEND_CALCS if legend.get(key)],
    }
    tooltip = _dict(old.get("tooltip"))
    sorts: dict[Any, str] = {1: "asc", 2: "desc"}
    sort = sorts.get(tooltip.get("sort"), "none")
    options["tooltip"] = {
        "mode": "multi" if tooltip.get("shared", True) else "single",
        "sort": sort,
    }
    xaxis = _dict(old.get("xaxis"))
    if xaxis.get("mode") in ("series", "histogram"):
        note(
            "xaxis.mode",
            f"x-axis mode {xaxis['mode']!r} (bars per series/histogram) is drawn as a time series; use a bar chart or histogram panel for the old look",
        )
    if old.get("renderer") not in (None, "flot"):
        note("renderer", f"renderer {old['renderer']!r} dropped (Grafana ≥ 10 has one renderer)")

    defaults["custom"] = custom
    panel["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    panel["options"] = options
    note(
        "type",
        "graph → timeseries: yaxes, legend, tooltip, lines/bars/points, fill, stack, thresholds and seriesOverrides converted to fieldConfig/options",
    )


def _singlestat_thresholds(panel_old: dict) -> list[dict]:
    colors = _list(panel_old.get("colors"))
    colors = colors or ["green", "orange", "red"]
    raw = panel_old.get("thresholds")
    values = [
        _number(v.strip())
        for v in (raw.split(",") if isinstance(raw, str) else raw or [])
        if str(v).strip()
    ]
    values = [v for v in values if v is not None]
    steps = [{"color": colors[0], "value": None}]
    for index, value in enumerate(values):
        steps.append({"color": colors[min(index + 1, len(colors) - 1)], "value": value})
    return steps


def _singlestat_mappings(old: dict) -> list[dict]:
    mappings = []
    value_maps = _list(old.get("valueMaps"))
    options = {}
    for index, item in enumerate(value_maps):
        if (
            isinstance(item, dict)
            and item.get("value") not in (None, "")
            and item.get("op", "=") == "="
        ):
            if item["value"] == "null":
                mappings.append(
                    {
                        "type": "special",
                        "options": {
                            "match": "null",
                            "result": {"text": item.get("text", ""), "index": index},
                        },
                    }
                )
            else:
                options[str(item["value"])] = {"text": item.get("text", ""), "index": index}
    if options:
        mappings.append({"type": "value", "options": options})
    for index, item in enumerate(old.get("rangeMaps") or []):
        if isinstance(item, dict):
            mappings.append(
                {
                    "type": "range",
                    "options": {
                        "from": _number(item.get("from")),
                        "to": _number(item.get("to")),
                        "result": {"text": item.get("text", ""), "index": index},
                    },
                }
            )
    return mappings


_SINGLESTAT_KEYS = (
    "colorBackground",
    "colorValue",
    "colorPrefix",
    "colorPostfix",
    "colors",
    "decimals",
    "format",
    "gauge",
    "mappingType",
    "mappingTypes",
    "nullPointMode",
    "nullText",
    "postfix",
    "postfixFontSize",
    "prefix",
    "prefixFontSize",
    "rangeMaps",
    "sparkline",
    "tableColumn",
    "thresholds",
    "valueFontSize",
    "valueMaps",
    "valueName",
    "options",
    "fieldConfig",
)


def singlestat_to_stat(panel: dict, note: Note) -> None:
    """``singlestat`` (and grafana-singlestat-panel) → ``stat``, or ``gauge`` when it drew a gauge."""
    old = {key: panel.pop(key) for key in _SINGLESTAT_KEYS if key in panel}
    gauge = _dict(old.get("gauge"))
    is_gauge = bool(gauge.get("show"))
    panel["type"] = "gauge" if is_gauge else "stat"
    config = _dict(old.get("fieldConfig"))
    defaults: dict[str, Any] = dict(config.get("defaults") or {})
    unit = _unit(old.get("format"))
    if unit:
        defaults["unit"] = unit
    if _number(old.get("decimals")) is not None:
        defaults["decimals"] = _number(old.get("decimals"))
    defaults["thresholds"] = {"mode": "absolute", "steps": _singlestat_thresholds(old)}
    mappings = _singlestat_mappings(old)
    if mappings:
        defaults["mappings"] = mappings
    if old.get("nullText"):
        defaults["noValue"] = old["nullText"]
    if is_gauge:
        for key in ("minValue", "maxValue"):
            if _number(gauge.get(key)) is not None:
                defaults["min" if key == "minValue" else "max"] = _number(gauge[key])
    calc = _REDUCERS.get(old.get("valueName") or "avg", "mean")
    reduce: dict[str, Any] = {"calcs": [calc], "fields": "", "values": False}
    if old.get("tableColumn"):
        reduce["fields"] = f"/^{old['tableColumn']}$/"
    options: dict[str, Any] = {
        "reduceOptions": reduce,
        "orientation": "horizontal" if not is_gauge else "auto",
    }
    if is_gauge:
        options["showThresholdMarkers"] = gauge.get("thresholdMarkers", True)
        options["showThresholdLabels"] = gauge.get("thresholdLabels", False)
    else:
        background = bool(old.get("colorBackground"))
        options["colorMode"] = (
            "background" if background else ("value" if old.get("colorValue") else "none")
        )
        sparkline = _dict(old.get("sparkline"))
        options["graphMode"] = "area" if sparkline.get("show") else "none"
        options["justifyMode"] = "auto"
        options["textMode"] = "name" if old.get("valueName") == "name" else "auto"
    for key in ("prefix", "postfix"):
        if old.get(key):
            note(
                key,
                f"{key} {old[key]!r} has no stat option; put it in the unit (custom unit 'prefix:…'/'suffix:…') — dropped",
            )
    if old.get("nullPointMode") not in (None, "connected", "null"):
        note("nullPointMode", f"nullPointMode {old['nullPointMode']!r} has no stat option; dropped")
    panel["fieldConfig"] = {"defaults": defaults, "overrides": list(config.get("overrides") or [])}
    panel["options"] = options
    note(
        "type",
        f"singlestat → {panel['type']}: format, decimals, thresholds/colors, value/range maps, valueName and sparkline converted",
    )


_TABLE_OLD_KEYS = (
    "styles",
    "columns",
    "transform",
    "sort",
    "fontSize",
    "pageSize",
    "scroll",
    "showHeader",
    "options",
    "fieldConfig",
)
_TRANSFORMS: dict[str, dict[str, Any] | None] = {
    "timeseries_to_rows": None,
    "timeseries_to_columns": {"id": "seriesToColumns", "options": {}},
    "timeseries_aggregations": {
        "id": "reduce",
        "options": {"reducers": ["mean", "max", "min", "lastNotNull"]},
    },
    "table": {"id": "merge", "options": {}},
    "json": None,
    "annotations": None,
}


def table_old_to_table(panel: dict, note: Note) -> None:
    """``table-old`` (Angular table) → ``table``: column styles become field overrides."""
    old = {key: panel.pop(key) for key in _TABLE_OLD_KEYS if key in panel}
    panel["type"] = "table"
    defaults: dict[str, Any] = {"custom": {"align": "auto", "cellOptions": {"type": "auto"}}}
    overrides: list[dict] = []
    for style in old.get("styles") or []:
        if not isinstance(style, dict):
            continue
        properties: list[dict] = []
        if style.get("alias"):
            properties.append({"id": "displayName", "value": style["alias"]})
        if _unit(style.get("unit")) and style.get("type") == "number":
            properties.append({"id": "unit", "value": _unit(style["unit"])})
        if _number(style.get("decimals")) is not None:
            properties.append({"id": "decimals", "value": _number(style["decimals"])})
        if style.get("type") == "hidden":
            properties.append({"id": "custom.hidden", "value": True})
        if style.get("type") == "date":
            properties.append(
                {"id": "unit", "value": f"time: {style.get('dateFormat') or 'YYYY-MM-DD HH:mm:ss'}"}
            )
        if style.get("colorMode") in ("cell", "value", "row"):
            kind = "color-background" if style["colorMode"] in ("cell", "row") else "color-text"
            properties.append({"id": "custom.cellOptions", "value": {"type": kind}})
            properties.append(
                {
                    "id": "thresholds",
                    "value": {"mode": "absolute", "steps": _singlestat_thresholds(style)},
                }
            )
        if style.get("link"):
            properties.append(
                {
                    "id": "links",
                    "value": [
                        {
                            "title": style.get("linkTooltip") or "",
                            "url": style.get("linkUrl") or "",
                            "targetBlank": bool(style.get("linkTargetBlank")),
                        }
                    ],
                }
            )
        if style.get("align") in ("left", "right", "center"):
            properties.append({"id": "custom.align", "value": style["align"]})
        pattern = style.get("pattern") or "/.*/"
        if pattern == "/.*/" and not style.get("alias"):
            for prop in properties:  # the default style applies to every column: field defaults
                key = prop["id"]
                if key.startswith("custom."):
                    defaults["custom"][key.removeprefix("custom.")] = prop["value"]
                else:
                    defaults[key] = prop["value"]
            continue
        if properties:
            overrides.append({"matcher": _series_matcher(pattern), "properties": properties})
    transform = old.get("transform")
    transformations = list(panel.get("transformations") or [])
    converted = _TRANSFORMS.get(transform) if isinstance(transform, str) else None
    if converted:
        transformations.append(dict(converted))
    if transform and transform not in _TRANSFORMS:
        note("transform", f"table transform {transform!r} has no equivalent; dropped")
    if transformations:
        panel["transformations"] = transformations
    for index, column in enumerate(old.get("columns") or []):
        note(
            f"columns[{index}]",
            f"column {column.get('text', column) if isinstance(column, dict) else column!r} of the old aggregation table: use a Reduce transformation",
        )
    options: dict[str, Any] = {
        "showHeader": old.get("showHeader", True) is not False,
        "cellHeight": "sm",
    }
    sort = _dict(old.get("sort"))
    if sort.get("col") is not None:
        note(
            "sort",
            "the old table's sort column index has no equivalent (sortBy names a field); dropped",
        )
    for key in ("fontSize", "pageSize", "scroll"):
        if key in old:
            note(key, f"{key}={old[key]!r} has no table option; dropped")
    panel["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    panel["options"] = options
    note("type", "table-old → table: column styles → field overrides, transform → transformations")


HEATMAP_OLD_KEYS = (
    "cards",
    "color",
    "dataFormat",
    "heatmap",
    "hideZeroBuckets",
    "highlightCards",
    "legend",
    "reverseYBuckets",
    "tooltip",
    "tooltipDecimals",
    "xAxis",
    "xBucketNumber",
    "xBucketSize",
    "yAxis",
    "yBucketBound",
    "yBucketNumber",
    "yBucketSize",
)


def is_old_heatmap(panel: dict) -> bool:
    """The Angular heatmap (before Grafana 9): it keys its options at the panel's top level."""
    return (
        panel.get("type") == "heatmap"
        and any(k in panel for k in ("dataFormat", "cards", "yBucketBound", "heatmap"))
        and "calculate" not in (panel.get("options") or {})
    )


def heatmap_to_heatmap(panel: dict, note: Note) -> None:
    """The Angular ``heatmap`` → the current heatmap's ``options`` (color, calculate, axes, cells)."""
    old = {key: panel.pop(key) for key in HEATMAP_OLD_KEYS if key in panel}
    color = _dict(old.get("color"))
    y_axis = _dict(old.get("yAxis"))
    cards = _dict(old.get("cards"))
    scheme = str(color.get("colorScheme") or "interpolateOranges").removeprefix("interpolate")
    options: dict[str, Any] = dict(panel.get("options") or {})
    options["calculate"] = old.get("dataFormat") == "timeseries"
    if options["calculate"] and (old.get("yBucketNumber") or old.get("yBucketSize")):
        options["calculation"] = {
            "yBuckets": {
                "mode": "count" if old.get("yBucketNumber") else "size",
                "value": str(old.get("yBucketNumber") or old.get("yBucketSize")),
            }
        }
    options["color"] = {
        "mode": "opacity" if color.get("mode") == "opacity" else "scheme",
        "scheme": scheme,
        "fill": color.get("cardColor", "#b4ff00"),
        "scale": "exponential" if color.get("colorScale") == "sqrt" else "linear",
        "exponent": color.get("exponent", 0.5),
        "steps": 64,
        "reverse": False,
    }
    if _number(color.get("min")) is not None:
        options["color"]["min"] = _number(color["min"])
    if _number(color.get("max")) is not None:
        options["color"]["max"] = _number(color["max"])
    options["cellGap"] = int(_number(cards.get("cardPadding")) or 1)
    if _number(cards.get("cardRound")) is not None:
        options["cellRadius"] = _number(cards["cardRound"])
    options["yAxis"] = {
        "axisPlacement": "hidden" if y_axis.get("show") is False else "left",
        "reverse": bool(old.get("reverseYBuckets")),
    }
    if _unit(y_axis.get("format")):
        options["yAxis"]["unit"] = _unit(y_axis["format"])
    if _number(y_axis.get("decimals")) is not None:
        options["yAxis"]["decimals"] = _number(y_axis["decimals"])
    if _number(y_axis.get("logBase")) not in (None, 1):
        options["yAxis"]["scaleDistribution"] = {"type": "log", "log": _number(y_axis["logBase"])}
    bound = old.get("yBucketBound") or "auto"
    options["rowsFrame"] = {
        "layout": {"upper": "le", "lower": "ge", "middle": "unknown"}.get(bound, "auto")
    }
    tooltip = _dict(old.get("tooltip"))
    options["tooltip"] = {
        "mode": "single" if tooltip.get("show", True) else "none",
        "yHistogram": bool(tooltip.get("showHistogram")),
    }
    legend = _dict(old.get("legend"))
    options["legend"] = {"show": bool(legend.get("show"))}
    options["exemplars"] = {"color": "rgba(255,0,255,0.7)"}
    if old.get("hideZeroBuckets"):
        options["filterValues"] = {"le": 1e-9}
    options["showValue"] = "never"
    panel["options"] = options
    panel.setdefault("fieldConfig", {"defaults": {}, "overrides": []})
    panel["fieldConfig"].setdefault("defaults", {}).setdefault(
        "custom",
        {
            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
            "scaleDistribution": {"type": "linear"},
        },
    )
    for key in ("xBucketNumber", "xBucketSize"):
        if old.get(key):
            note(
                key,
                f"{key}={old[key]!r} → calculation.xBuckets is only used when Grafana calculates buckets",
            )
    if "highlightCards" in old:
        note("highlightCards", "no equivalent in the current heatmap; dropped")
    note(
        "type",
        "old heatmap → current heatmap: color, dataFormat (calculate), yAxis, cards, yBucketBound and tooltip converted to options",
    )


def grid_height(pixels: Any) -> int:
    """Grafana's px → grid rows: ceil(height / (30 px cell + 8 px margin))."""
    value = _number(str(pixels).removesuffix("px")) if pixels not in (None, "") else None
    return max(1, math.ceil((value or 250) / 38))


LEGACY_TYPES = frozenset(
    {"graph", "singlestat", "grafana-singlestat-panel", "table-old", "grafana-piechart-panel"}
)
# Every key an Angular panel kept at its top level: stale once the panel is converted.
ANGULAR_KEYS = tuple(
    sorted(
        (
            set(_GRAPH_RENDER_ONLY)
            | set(_SINGLESTAT_KEYS)
            | set(_TABLE_OLD_KEYS)
            | set(HEATMAP_OLD_KEYS)
        )
        - {"options", "fieldConfig", "decimals"}
    )
)


def drop_stale_keys(panel: dict, keys: tuple[str, ...], note: Note) -> None:
    """Keys of the Angular renderer left beside an already converted panel (Grafana ignores them)."""
    for key in keys:
        if key in panel:
            panel.pop(key)
            note(key, f"stale Angular option {key} dropped (the panel's modern options replace it)")
