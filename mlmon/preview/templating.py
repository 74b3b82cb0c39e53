"""Template variables and Grafana's built-in macros, expanded in PromQL the way Grafana's Prometheus data source does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlmon.lint import promql
from mlmon.preview.timerange import promql_duration

ALL = "$__all"
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*)\)\s*$", re.S)
_REGEX_SPECIALS = re.compile(r"[$^*{}\[\]'+?.()|]")
_LEGEND = re.compile(r"\{\{\s*(.+?)\s*\}\}")

LabelValues = Callable[[str, str | None], list[str]]


@dataclass
class Variable:
    name: str
    values: list[str]  # [ALL] for "All"
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    options: list[str] = field(default_factory=list)  # what "All" stands for without an allValue

    @property
    def is_all(self) -> bool:
        return ALL in self.values

    def display(self) -> str:
        return "All" if self.is_all else ", ".join(self.values) or "(none)"


def _current_values(current: Any) -> list[str]:
    if not isinstance(current, Mapping):
        return []
    value = current.get("value")
    values = value if isinstance(value, list) else [value] if value not in (None, "") else []
    return [ALL if str(v) in (ALL, "All") else str(v) for v in values]


def resolve_variables(
    dashboard: Mapping[str, Any],
    overrides: Mapping[str, Sequence[str]],
    label_values: LabelValues,
    builtins: Mapping[str, str],
) -> dict[str, Variable]:
    """Each variable's value as the dashboard opens, or as ``--var`` sets it; earlier variables feed later ones."""
    variables: dict[str, Variable] = {}
    for raw in (dashboard.get("templating") or {}).get("list") or []:
        name, kind = str(raw.get("name", "")), raw.get("type")
        if not name or kind in ("datasource", "adhoc"):
            continue
        variable = Variable(
            name,
            [],
            multi=bool(raw.get("multi")),
            include_all=bool(raw.get("includeAll")),
            all_value=raw.get("allValue") or None,
        )
        if name in overrides:
            variable.values = [ALL if v in ("All", ALL) else v for v in overrides[name]]
        else:
            variable.values = _current_values(raw.get("current"))
        needs_options = not variable.values or (variable.is_all and not variable.all_value)
        if needs_options:
            variable.options = _options(raw, variables, label_values, builtins)
            if not variable.values:
                # Grafana selects the first option (or All) when nothing is current.
                variable.values = [ALL] if variable.include_all else variable.options[:1] or [""]
        variables[name] = variable
    return variables


def _options(
    raw: Mapping[str, Any],
    known: Mapping[str, Variable],
    label_values: LabelValues,
    builtins: Mapping[str, str],
) -> list[str]:
    kind, query = raw.get("type"), raw.get("query")
    if isinstance(query, Mapping):
        query = query.get("query", "")
    query = str(query or "")
    if kind in ("custom", "interval"):
        return [part.strip() for part in query.split(",") if part.strip()]
    if kind == "constant":
        return [query]
    if kind == "query":
        match = _LABEL_VALUES.match(query)
        if match:
            selector, _, label = match.group(1).rpartition(",")
            selector = expand(selector.strip(), known, builtins) if selector.strip() else ""
            return sorted(label_values(label.strip(), selector or None))
    return [
        str(o.get("value")) for o in raw.get("options") or [] if o.get("value") not in (None, ALL)
    ]


def _regex_escape(value: str) -> str:
    # Grafana's prometheusSpecialRegexEscape: a backslash that survives the PromQL string.
    return _REGEX_SPECIALS.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\\\\\\\"))


def variable_text(variable: Variable, context: str) -> str:
    """The variable as Grafana writes it into a Prometheus query."""
    if variable.is_all:
        if variable.all_value:
            return variable.all_value
        values = variable.options
    else:
        values = variable.values
    if context == promql.Context.QUOTED and (variable.multi or variable.include_all):
        escaped = [_regex_escape(v) for v in values]
        return escaped[0] if len(escaped) == 1 else f"({'|'.join(escaped)})"
    if len(values) == 1:
        return values[0].replace("\\", "\\\\").replace("'", "\\'")
    return f"({'|'.join(values)})"


def builtin_macros(range_seconds: float, interval: float, rate_interval: float) -> dict[str, str]:
    return {
        "__interval": promql_duration(interval),
        "__interval_ms": str(round(interval * 1000)),
        "__rate_interval": promql_duration(rate_interval),
        "__rate_interval_ms": str(round(rate_interval * 1000)),
        "__range": promql_duration(round(range_seconds)),
        "__range_s": str(round(range_seconds)),
        "__range_ms": str(round(range_seconds * 1000)),
    }


class UnknownVariable(KeyError):
    pass


def expand(text: str, variables: Mapping[str, Variable], builtins: Mapping[str, str]) -> str:
    """``text`` with every ``$var``, ``${var}``, ``[[var]]`` and macro replaced; unknown names raise."""

    def resolve(name: str, context: str) -> str:
        if name in builtins:
            return builtins[name]
        if name in variables:
            return variable_text(variables[name], context)
        raise UnknownVariable(name)

    return promql.substitute(text, resolve)


def legend(legend_format: str | None, labels: Mapping[str, str], fallback: str) -> str:
    """A series name from ``legendFormat`` (``{{label}}``), or Grafana's default: ``name{labels}``."""
    if legend_format and legend_format != "__auto":
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), legend_format)
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    if rest:
        return f"{name}{{{rest}}}"
    return name or fallback
