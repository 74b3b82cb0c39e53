"""target-counter-agg: counters are only read through rate()/irate()/increase()."""

from __future__ import annotations

from collections.abc import Iterable

from exporter.catalog import SERIES, MetricType
from mlmon.lint import promql
from mlmon.lint.findings import Finding, Level
from mlmon.lint.registry import Query, Rule

# Functions that make sense on a raw counter.
COUNTER_FUNCTIONS = frozenset(
    {
        "rate",
        "irate",
        "increase",
        "resets",
        "changes",
        "absent",
        "absent_over_time",
        "present_over_time",
        "timestamp",
        "count",
        "count_over_time",
        "group",
    }
)


def is_counter(metric: str | None) -> bool:
    """Catalog counters and histogram series (all cumulative); other metrics by their _total suffix."""
    if metric is None:
        return False
    known = SERIES.get(metric)
    if known is None:
        # A recording rule's output (level:metric:operations) keeps no type: "_total" there is often
        # a summed gauge (aggregation:kubelet:running_pod_total), so only plain names are judged by it.
        return metric.endswith("_total") and ":" not in metric
    return known.type is MetricType.COUNTER or (
        known.type is MetricType.HISTOGRAM and metric != known.name
    )


class TargetCounterAgg(Rule):
    name = "target-counter-agg"
    level = Level.ERROR
    description = "Counters (*_total, histogram _bucket/_sum/_count) appear only inside rate()/irate()/increase()."
    hint = "a counter's raw value only grows and resets on restart: wrap it, e.g. rate(x_total[$__rate_interval])"

    def check_query(self, query: Query) -> Iterable[Finding]:
        for selector in promql.selectors(query.tree):
            if is_counter(selector.metric) and not COUNTER_FUNCTIONS & set(selector.enclosing):
                yield self.finding(
                    query.location, f"counter {selector.metric} is used without rate()/increase()"
                )


RULES = (TargetCounterAgg,)
