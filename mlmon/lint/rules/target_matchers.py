"""target-job-matcher, target-instance-matcher: panels filter by $job / $instance (off by default).

mlmon's metrics come from known jobs, so these are off unless
``.mlmon-lint.yml`` enables them (``rules: {target-job-matcher: {enabled: true}}``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import promql_parser

from mlmon.lint import promql
from mlmon.lint.findings import Finding, Level
from mlmon.lint.registry import Query, Rule

_NAMED = f"{promql.PLACEHOLDER}:"


def _named_placeholder(name: str, context: str) -> str:
    """Like the static placeholder, but a quoted variable keeps its name, so $job and $foo differ."""
    if context == promql.Context.QUOTED and not name.startswith("__"):
        return f"{_NAMED}{name}"
    return promql.static_value(name, context)


class _LabelMatcherRule(Rule):
    label: ClassVar[str]
    level = Level.ERROR
    enabled_by_default = False

    def check_query(self, query: Query) -> Iterable[Finding]:
        if query.origin != "panel":
            return
        expr = query.tree
        if any(
            m.name == self.label and promql.PLACEHOLDER in m.value
            for selector in promql.selectors(expr)
            for m in selector.matchers
        ):
            # a variable on the label: parse again keeping variable names, to tell $job from $foo
            try:
                expr = promql.parse(query.text, _named_placeholder)
            except promql.PromQLError:
                return  # target-promql reports it
        wanted = f"{_NAMED}{self.label}"
        for selector in promql.selectors(expr):
            on_label = [m for m in selector.matchers if m.name == self.label]
            if any(m.op == promql_parser.MatchOp.Re and m.value == wanted for m in on_label):
                continue
            subject = selector.metric or "selector"
            if any(m.op == promql_parser.MatchOp.Equal and m.value == wanted for m in on_label):
                message = (
                    f'{subject} matches {self.label}="${self.label}": with several values (or All) selected '
                    f'it matches nothing; use {self.label}=~"${self.label}"'
                )
            else:
                message = f'{subject} has no {self.label}=~"${self.label}" matcher'
            yield self.finding(query.location, message)


class TargetJobMatcher(_LabelMatcherRule):
    name = "target-job-matcher"
    label = "job"
    description = (
        'Every selector in a panel filters by the $job variable with a regex matcher (job=~"$job"). '
        "Off by default."
    )
    hint = 'add job=~"$job" to the selector and a job query variable to the dashboard'


class TargetInstanceMatcher(_LabelMatcherRule):
    name = "target-instance-matcher"
    label = "instance"
    description = (
        "Every selector in a panel filters by the $instance variable with a regex matcher "
        '(instance=~"$instance"). Off by default.'
    )
    hint = (
        'add instance=~"$instance" to the selector and an instance query variable to the dashboard'
    )


RULES = (TargetJobMatcher, TargetInstanceMatcher)
