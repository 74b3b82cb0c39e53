"""The rule interface and the registry built from the modules in ``mlmon.lint.rules``.

A rule is a class with a stable ``name`` (what users cite in ``.mlmon-lint.yml``),
a ``level``, a one-line ``description`` and a fix ``hint``, and overrides the
``check_*`` hooks for what it inspects. Adding a rule means adding a module
under ``mlmon/lint/rules/`` that lists its classes in ``RULES``; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import promql_parser

from mlmon.lint.alerts import AlertRule
from mlmon.lint.dashboard import Dashboard, Panel, Variable
from mlmon.lint.findings import Finding, Level, Location


@dataclass(frozen=True)
class Query:
    """One PromQL expression to check: a panel target, a variable's query or an alert expression."""

    text: str  # as written, Grafana variables included
    origin: str  # "panel", "variable" or "alert"
    location: Location
    expr: promql_parser.Expr | None  # None when it does not parse: only check_unparsable sees those
    error: str | None = None

    @property
    def tree(self) -> promql_parser.Expr:
        """The parsed expression, for check_query (which only sees queries that parsed)."""
        if self.expr is None:
            raise ValueError(f"{self.text!r} did not parse: {self.error}")
        return self.expr


class Rule:
    name: ClassVar[str]
    level: ClassVar[Level]
    description: ClassVar[str]
    hint: ClassVar[str]
    enabled_by_default: ClassVar[bool] = True

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings: Mapping[str, Any] = settings or {}

    def finding(self, location: Location, message: str, hint: str | None = None) -> Finding:
        return Finding(self.name, self.level, message, hint or self.hint, location)

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        return ()

    def check_panel(self, dashboard: Dashboard, panel: Panel, where: Location) -> Iterable[Finding]:
        return ()

    def check_variable(
        self, dashboard: Dashboard, variable: Variable, where: Location
    ) -> Iterable[Finding]:
        return ()

    def check_query(self, query: Query) -> Iterable[Finding]:
        """A query that parsed (``query.expr`` is set)."""
        return ()

    def check_unparsable(self, query: Query) -> Iterable[Finding]:
        """A query that is not valid PromQL (``query.error`` says why)."""
        return ()

    def check_alert(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        return ()


@cache
def all_rules() -> Mapping[str, type[Rule]]:
    """Every rule shipped in ``mlmon.lint.rules``, by name."""
    import mlmon.lint.rules as package

    found: dict[str, type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for rule in getattr(module, "RULES", ()):
            if rule.name in found:
                raise RuntimeError(f"lint rule {rule.name!r} is defined twice ({module.__name__})")
            found[rule.name] = rule
    return dict(sorted(found.items()))
