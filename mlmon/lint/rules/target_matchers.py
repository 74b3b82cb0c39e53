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


class _LabelMatcherRule(Rule):
    label: ClassVar[str]
    level = Level.ERROR
    enabled_by_default = False

    def check_query(self, query: Query) -> Iterable[Finding]:
        if query.origin != "panel":
            return
        for selector in promql.selectors(query.expr):
            if not any(
                m.name == self.label
                and m.op in (promql_parser.MatchOp.Equal, promql_parser.MatchOp.Re)
                and promql.PLACEHOLDER in m.value
                for m in selector.matchers
            ):
                subject = selector.metric or "selector"
                yield self.finding(
                    query.location, f'{subject} has no {self.label}=~"${self.label}" matcher'
                )


class TargetJobMatcher(_LabelMatcherRule):
    name = "target-job-matcher"
    label = "job"
    description = (
        'Every selector in a panel filters by the $job variable (job=~"$job"). Off by default.'
    )
    hint = 'add job=~"$job" to the selector and a job query variable to the dashboard'


class TargetInstanceMatcher(_LabelMatcherRule):
    name = "target-instance-matcher"
    label = "instance"
    description = 'Every selector in a panel filters by the $instance variable (instance=~"$instance"). Off by default.'
    hint = (
        'add instance=~"$instance" to the selector and an instance query variable to the dashboard'
    )


RULES = (TargetJobMatcher, TargetInstanceMatcher)
