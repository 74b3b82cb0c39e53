"""Every selector in an alert query must name something that is exported.

The query builder already refuses unknown metrics when a query is built; this
second look at the finished PromQL also covers ``raw()`` escapes. It asks the
one catalog checker (:mod:`mlmon.catalog.check`), so Prometheus's own series
(``up``, ``scrape_duration_seconds``…) and the project's catalog extension
count as declared here exactly as they do in ``mlmon lint``.
"""

from __future__ import annotations

from mlmon.catalog import TARGET_LABELS
from mlmon.catalog.check import problems
from mlmon.errors import CatalogError, SourceError
from mlmon.lint.promql import PromQLError, parse, selectors

__all__ = ["TARGET_LABELS", "check_query"]


def check_query(promql: str, *, source: str, item: str) -> None:
    """CatalogError/SourceError unless every selector's metric and every label it names is known."""
    try:
        found = problems(promql)
    except PromQLError as exc:
        raise SourceError(f"invalid PromQL {promql!r}: {exc}", source=source, item=item) from None
    for selector in selectors(parse(promql)):
        if selector.metric is None:
            raise CatalogError(
                f"selector {selector.node} has no metric name",
                source=source,
                item=item,
                hint="select one catalog metric by name",
            )
    if found:
        first = found[0]
        raise CatalogError(first.message, source=source, item=item, hint=first.hint)
