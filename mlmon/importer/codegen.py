"""The migrated dashboard → idiomatic DSL source that builds back to exactly that dashboard.

Each panel becomes a helper call (``p.timeseries``, ``p.stat``, ``p.gauge``,
``p.bargauge``, ``p.table``, ``p.piechart``, ``p.text``) with its queries as
``q.promql("...")`` (the exact PromQL, parsed and checked against the
catalogs); rows become ``row(...)``; variables ``var.*``. What the helper
does not produce the same way is passed through with
:func:`mlmon.dsl.overlay.with_json` — the difference between the helper's
JSON and the original, computed here, so nothing is lost and nothing is
written twice. A panel the helpers cannot express (a plugin, a logs panel…)
is written with :func:`mlmon.dsl.overlay.raw_panel`. The caller checks that
the module builds to the expected model and falls back to raw panels for any
that do not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mlmon.compiler.normalise import EXPLICIT, normalise, to_plain
from mlmon.importer.literal import literal
from mlmon.lint import promql

_HELPERS = {
    "timeseries": "p.timeseries",
    "stat": "p.stat",
    "gauge": "p.gauge",
    "bargauge": "p.bargauge",
    "table": "p.table",
    "piechart": "p.piechart",
}
IMPORTS = (
    "from mlmon.dsl import panels as p\n"
    "from mlmon.dsl import query as q\n"
    "from mlmon.dsl import variables as var\n"
    "from mlmon.dsl.dashboard import dashboard as build_dashboard\n"
    "from mlmon.dsl.layout import row\n"
    "from mlmon.dsl.overlay import raw_panel, raw_variable, with_json\n"
)


def namespace() -> dict[str, Any]:
    """What the generated module's imports bind (to build pieces while generating them)."""
    scope: dict[str, Any] = {}
    exec(IMPORTS, scope)
    return scope


def diff(built: Any, wanted: Any, keep_absent: bool = False) -> dict | None:
    """The overlay that turns ``built`` into ``wanted`` (``None`` deletes a key); {} when equal.

    ``keep_absent``: ``built`` is raw JSON whose ``None`` values normalisation drops anyway,
    so those need no deletion.
    """
    if not isinstance(built, dict) or not isinstance(wanted, dict):
        return None if built == wanted else wanted
    out: dict[str, Any] = {}
    for key, value in wanted.items():
        if key not in built:
            out[key] = value
        elif built[key] != value:
            if isinstance(value, dict) and isinstance(built[key], dict):
                out[key] = diff(built[key], value, keep_absent)
            else:
                out[key] = value
    for key in built:
        if key not in wanted and not (keep_absent and built[key] is None):
            out[key] = None
    return out


def _normalised_variable(plain: dict) -> dict:
    model = normalise({"title": "x", "uid": "x", "panels": [], "templating": {"list": [plain]}})
    return model["templating"]["list"][0]


def marked(panel: dict) -> dict:
    """``panel`` with the settings grafanalib's noise filter drops marked as meant (see normalise.EXPLICIT)."""
    out = dict(panel)
    if out.get("maxDataPoints") == 100:
        out[EXPLICIT] = ["maxDataPoints"]
    if isinstance(out.get("targets"), list):
        out["targets"] = [marked_target(t) if isinstance(t, dict) else t for t in out["targets"]]
    if isinstance(out.get("panels"), list):
        out["panels"] = [marked(p) if isinstance(p, dict) else p for p in out["panels"]]
    return out


def marked_target(target: dict) -> dict:
    kept = [key for key in ("intervalFactor", "step") if key in target]
    return {**target, EXPLICIT: kept} if kept else dict(target)


def _normalised_panel(obj: Any) -> dict:
    model = normalise({"title": "x", "uid": "x", "panels": [to_plain(obj)]})
    return model["panels"][0]


def _call(name: str, args: list[str], kwargs: dict[str, str]) -> str:
    parts = args + [f"{k}={v}" for k, v in kwargs.items()]
    flat = f"{name}({', '.join(parts)})"
    if len(flat) <= 96 and "\n" not in flat:
        return flat
    inner = "".join(f"\n    {_indent(part)}," for part in parts)
    return f"{name}({inner}\n)"


def _indent(text: str, by: str = "    ") -> str:
    return text.replace("\n", "\n" + by)


def _expr_source(text: str) -> str | None:
    try:
        promql.parse(text)
    except promql.PromQLError:
        return None
    return f"q.promql({json.dumps(text, ensure_ascii=False)})"


class Generator:
    def __init__(self, scope: dict[str, Any], note: Callable[[str, str, str | None], None]):
        self.scope = scope
        self.note = note

    def build(self, source: str) -> Any:
        return eval(source, self.scope)

    # ---------------------------------------------------------------- targets
    def target(self, target: dict, path: str, title: str | None) -> str | None:
        ds = target.get("datasource") or {}
        text = target.get("expr")
        if ds.get("type") != "prometheus" or not isinstance(text, str) or not text.strip():
            return None
        expr = _expr_source(text)
        if expr is None:
            self.note(
                path, "the query does not parse as PromQL: kept as q.raw() (lint reports it)", title
            )
            expr = f"q.raw({json.dumps(text, ensure_ascii=False)})"
        args = [expr, json.dumps(target.get("legendFormat", ""), ensure_ascii=False)]
        kwargs = {}
        if target.get("instant"):
            kwargs["instant"] = "True"
        call = _call("p.target", args, kwargs)
        try:
            built = self.build(call)
        except Exception:  # an undeclared metric or a bad query: the caller falls back to raw JSON
            return None
        stub = {"type": "timeseries", "title": "x", "targets": [to_plain(built)]}
        made = normalise({"title": "x", "uid": "x", "panels": [stub]})["panels"][0]["targets"][0]
        overlay = diff(made, marked_target(target))
        if overlay:
            return f"with_json(\n    {_indent(call)},\n    {_indent(literal(overlay))},\n)"
        return call

    # ----------------------------------------------------------------- panels
    def panel(self, panel: dict, path: str) -> str:
        """Source for one panel: a helper call (with the overlay it needs) or a raw panel."""
        kind = panel.get("type")
        title = panel.get("title")
        source = None
        if kind in _HELPERS and panel.get("targets"):
            source = self._helper(panel, path)
        elif kind == "text" and not panel.get("targets"):
            content = (panel.get("options") or {}).get("content", "")
            call = _call(
                "p.text",
                [json.dumps(title, ensure_ascii=False), json.dumps(content, ensure_ascii=False)],
                {"description": json.dumps(panel.get("description", ""), ensure_ascii=False)},
            )
            source = self._with_overlay(call, panel)
        if source is None:
            return self.raw(panel)
        return source

    def raw(self, panel: dict) -> str:
        return f"raw_panel({literal(marked(panel))})"

    def _helper(self, panel: dict, path: str) -> str | None:
        targets = []
        for index, target in enumerate(panel.get("targets") or []):
            made = self.target(target, f"{path}.targets[{index}]", panel.get("title"))
            if made is None:
                return None
            targets.append(made)
        defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
        kwargs = {"unit": json.dumps(defaults.get("unit") or "short")}
        args = [
            json.dumps(panel.get("title", ""), ensure_ascii=False),
            json.dumps(panel.get("description", ""), ensure_ascii=False),
            *targets,
        ]
        call = _call(_HELPERS[panel["type"]], args, kwargs)
        return self._with_overlay(call, panel)

    def _with_overlay(self, call: str, panel: dict) -> str | None:
        try:
            built = _normalised_panel(self.build(call))
        except Exception:
            return None
        wanted = marked({k: v for k, v in panel.items() if k != "targets"})
        if "targets" in panel:
            wanted["targets"] = panel["targets"]
        overlay = diff(built, wanted)
        if not overlay:
            return call
        return f"with_json(\n    {_indent(call)},\n    {_indent(literal(overlay))},\n)"

    # -------------------------------------------------------------- variables
    def variable(self, variable: dict) -> str:
        if variable.get("type") == "datasource" and variable.get("name") == "datasource":
            call = "var.datasource()"
        elif variable.get("type") == "query" and isinstance(variable.get("query"), str):
            call = _call(
                "var.label_picker",
                [
                    json.dumps(variable.get("name")),
                    json.dumps(variable.get("label") or variable.get("name")),
                    json.dumps(variable["query"], ensure_ascii=False),
                ],
                {
                    "multi": repr(bool(variable.get("multi"))),
                    "include_all": repr(bool(variable.get("includeAll"))),
                },
            )
        else:
            return f"raw_variable({literal(variable)})"
        try:
            plain = to_plain(self.build(call))
        except Exception:
            return f"raw_variable({literal(variable)})"
        # The overlay is merged before normalisation: first the difference of the normalised forms
        # (short), else the difference from the helper's raw JSON (exact), else the variable as JSON.
        for base in (_normalised_variable(plain), plain):
            overlay = diff(base, variable, keep_absent=base is plain)
            source = (
                call
                if not overlay
                else f"with_json(\n    {_indent(call)},\n    {_indent(literal(overlay))},\n)"
            )
            try:
                if _normalised_variable(to_plain(self.build(source))) == variable:
                    return source
            except Exception:
                continue
        return f"raw_variable({literal(variable)})"
