"""Every selector in an alert query must name something that is exported.

The query builder already refuses unknown metrics when a query is built; this
second look at the finished PromQL also covers ``raw()`` escapes, and is the
one place that admits Prometheus's own per-target series (``up``), which no
exporter declares.
"""

from __future__ import annotations

import difflib

from exporter import catalog
from exporter.catalog import MetricType
from mlmon.errors import CatalogError, SourceError
from mlmon.lint.promql import PromQLError, parse, selectors

# Labels Prometheus attaches to every scraped series (the scrape config's target labels).
TARGET_LABELS = frozenset({"job", "instance"})
# Series Prometheus itself writes for each scrape target, with their labels.
PROMETHEUS_SERIES = {"up": TARGET_LABELS}


def check_query(promql: str, *, source: str, item: str) -> None:
    """CatalogError/SourceError unless every selector's metric and matcher labels are known."""
    try:
        tree = parse(promql)
    except PromQLError as exc:
        raise SourceError(f"invalid PromQL {promql!r}: {exc}", source=source, item=item) from None
    for selector in selectors(tree):
        name = selector.metric
        if name is None:
            raise CatalogError(
                f"selector {selector.node} has no metric name",
                source=source,
                item=item,
                hint="select one catalog metric by name",
            )
        allowed = _labels(name, source=source, item=item)
        for matcher in selector.matchers:
            if matcher.name != "__name__" and matcher.name not in allowed:
                raise CatalogError(
                    f"{name}: label {matcher.name!r} is not on this metric (it has {', '.join(sorted(allowed))})",
                    source=source,
                    item=item,
                    hint="check exporter/catalog.py",
                )


def _labels(name: str, *, source: str, item: str) -> frozenset[str]:
    if name in PROMETHEUS_SERIES:
        return PROMETHEUS_SERIES[name]
    metric = catalog.SERIES.get(name)
    if metric is None:
        close = difflib.get_close_matches(name, [*catalog.SERIES, *PROMETHEUS_SERIES], n=3)
        raise CatalogError(
            f"metric {name!r} is not in the metric catalog",
            source=source,
            item=item,
            hint=f"did you mean {', '.join(close)}?"
            if close
            else "declare it in exporter/catalog.py if the exporter serves it",
        )
    labels = frozenset(metric.labels) | TARGET_LABELS
    if metric.type is MetricType.HISTOGRAM and name.endswith("_bucket"):
        labels |= {"le"}
    return labels
