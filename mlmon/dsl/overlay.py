"""JSON the DSL helpers do not model, passed through explicitly (what ``mlmon import`` writes).

:func:`with_json` wraps any DSL or grafanalib object (a panel, a query, a
variable, the dashboard) and deep-merges ``json`` over its JSON model: a
dict merges key by key, any other value replaces, and ``None`` removes the
key. :func:`raw_panel` is a panel given entirely as JSON, for panel types
the helpers do not cover (plugins, heatmaps, logs…). Both still go through
``mlmon build``'s normalisation and validation like any other panel.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from typing import Any

import attr
from grafanalib.core import Target


def _plain(obj: Any) -> Any:
    to_json = getattr(obj, "to_json_data", None)
    if to_json is not None:
        return _plain(to_json())
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


def merge(base: Any, overlay: Any) -> Any:
    """``overlay`` deep-merged over ``base`` (dicts by key; ``None`` deletes; anything else replaces)."""
    if not isinstance(base, dict) or not isinstance(overlay, Mapping):
        return copy.deepcopy(overlay)
    out = dict(base)
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@attr.s
class Overlay:
    """A panel (or variable, or dashboard) with JSON merged over it; lays out like the panel it wraps."""

    inner: Any = attr.ib()
    json: Mapping[str, Any] = attr.ib(factory=dict)
    gridPos: Any = attr.ib(default=None)

    @property
    def title(self) -> str:
        return getattr(self.inner, "title", None) or str(self.json.get("title", ""))

    @property
    def name(self) -> str:
        return getattr(self.inner, "name", None) or str(self.json.get("name", ""))

    def to_json_data(self) -> dict:
        data = _plain(self.inner) if self.inner is not None else {}
        if self.gridPos is not None:
            data["gridPos"] = _plain(self.gridPos)
        return merge(data, self.json)


@attr.s
class _JsonTarget(Target):
    """A query with JSON merged over it (keeps the typed query for units and legends)."""

    json: Mapping[str, Any] = attr.ib(factory=dict)

    def to_json_data(self) -> dict:
        return merge(_plain(super().to_json_data()), self.json)


def with_json(obj: Any, json: Mapping[str, Any]) -> Any:
    """``obj`` with ``json`` deep-merged over its JSON model (``None`` values remove keys)."""
    if isinstance(obj, Target):
        fields = {a.name: getattr(obj, a.name) for a in attr.fields(type(obj)) if a.name != "json"}
        wrapped = _JsonTarget(**fields, json=dict(json))
        expr = getattr(obj, "_mlmon_expr", None)
        if expr is not None:
            wrapped._mlmon_expr = expr
        return wrapped
    return Overlay(obj, dict(json))


def raw_panel(json: Mapping[str, Any]) -> Overlay:
    """A panel given as Grafana JSON (a type no helper covers); ``row()`` lays it out like any panel."""
    return Overlay(None, dict(json))


def raw_variable(json: Mapping[str, Any]) -> Overlay:
    """A template variable given as Grafana JSON (custom, interval, textbox, constant, adhoc…)."""
    return Overlay(None, dict(json))
