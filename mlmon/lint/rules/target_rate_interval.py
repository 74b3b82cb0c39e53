"""target-rate-interval: rate() and friends use $__rate_interval in panels."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import promql_parser

from mlmon.lint import promql
from mlmon.lint.findings import Finding, Level
from mlmon.lint.registry import Query, Rule

RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
# increase() over a fixed window of an hour or more is a business window
# ("predictions per day"), not a per-second rate that depends on resolution.
BUSINESS_WINDOW = timedelta(hours=1)


def _written(window: timedelta) -> str:
    for name, value in promql.BUILTIN_DURATIONS.items():
        if window == value:
            return f"$__{name.removeprefix('__')}"
    if window == promql.OTHER_VARIABLE_DURATION:
        return "a dashboard variable"
    return promql_parser.display_duration(window)


class TargetRateInterval(Rule):
    name = "target-rate-interval"
    level = Level.WARNING
    description = (
        "rate()/irate()/increase() in panels use [$__rate_interval] (increase() may also use $__range or a "
        "fixed window of 1h or more)."
    )
    hint = "write rate(metric[$__rate_interval]): Grafana sizes it to the scrape interval and the zoom level"

    def check_query(self, query: Query) -> Iterable[Finding]:
        if query.origin != "panel":
            return
        for call in promql.calls(query.tree):
            function = promql.node_name(call)
            if (
                function not in RATE_FUNCTIONS
                or not isinstance(call, promql_parser.Call)
                or not call.args
            ):
                continue
            window = getattr(call.args[0], "range", None)
            if window is None or window == promql.RATE_INTERVAL:
                continue
            if function == "increase" and (
                window == promql.RANGE
                or (
                    window >= BUSINESS_WINDOW
                    and window not in (promql.INTERVAL, promql.OTHER_VARIABLE_DURATION)
                )
            ):
                continue
            yield self.finding(
                query.location,
                f"{function}() over [{_written(window)}] instead of [$__rate_interval]",
            )


RULES = (TargetRateInterval,)
