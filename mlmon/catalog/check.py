"""The one PromQL-against-catalog checker: used by the query DSL, the alert compiler and ``mlmon lint``.

:func:`problems` parses an expression (Grafana variables substituted) and
lists what the catalogs (:mod:`mlmon.catalog`) cannot vouch for:

- ``metric``: a selector whose metric no catalog declares, with the names a
  typo plausibly meant (:func:`mlmon.catalog.suggest`);
- ``histogram``: an exporter histogram's base name, which has no series;
- ``label``: a label the series it applies to cannot carry
  (:mod:`mlmon.catalog.labels`).
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser

from mlmon import catalog
from mlmon.catalog.labels import check_labels
from mlmon.lint import promql

DECLARE_HINT = (
    "declare it in the project's catalog.yml (`mlmon catalog pull --prometheus URL`, or `mlmon import` "
    "adds what a dashboard uses), or in exporter/catalog.py if mlmon's exporter serves it"
)


@dataclass(frozen=True)
class Problem:
    kind: str  # metric, histogram or label
    subject: str  # the metric (or, for labels, the label)
    message: str
    hint: str
    suggestions: tuple[str, ...] = ()


def metric_problems(tree: promql_parser.Expr) -> list[Problem]:
    """Undeclared metrics and histogram base names, once each, in the order they appear."""
    found: list[Problem] = []
    seen: set[str] = set()
    choices: list[str] | None = None
    for selector in promql.selectors(tree):
        name = selector.metric
        if name is None or name == promql.PLACEHOLDER or name in seen:
            continue
        seen.add(name)
        if catalog.is_declared(name):
            continue
        if catalog.exporter_base_name(name):
            from exporter.catalog import CATALOG

            series = ", ".join(CATALOG[name].series_names)
            found.append(
                Problem(
                    "histogram",
                    name,
                    f"{name} is a histogram: Prometheus has no series of that name, only {series}",
                    f"use one of {series}",
                )
            )
            continue
        if choices is None:
            choices = catalog.all_series()
        close = tuple(catalog.suggest(name, choices))
        hint = f"did you mean {', '.join(close)}?" if close else DECLARE_HINT
        message = f"metric {name!r} is not in any catalog" + (
            f"; did you mean {', '.join(close)}?" if close else ""
        )
        found.append(Problem("metric", name, message, hint, close))
    return found


def label_problems(tree: promql_parser.Expr) -> list[Problem]:
    found = []
    for problem in check_labels(tree):
        available = ", ".join(sorted(problem.available)) or "no labels"
        close = tuple(catalog.suggest(problem.label, problem.available))
        found.append(
            Problem(
                "label",
                problem.label,
                f"label {problem.label!r} in {problem.clause} does not exist on {problem.subject} (it has: {available})"
                + (f"; did you mean {', '.join(close)}?" if close else ""),
                f"did you mean {', '.join(close)}?"
                if close
                else "use a label the metric has, or declare the label in its catalog",
                close,
            )
        )
    return found


def problems(text: str) -> list[Problem]:
    """Everything the catalogs object to in ``text``; PromQLError when it does not parse."""
    tree = promql.parse(text)
    return metric_problems(tree) + label_problems(tree)
