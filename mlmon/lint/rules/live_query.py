"""live-query: with ``mlmon lint --live``, every query returns series from a real Prometheus.

The check itself lives in ``mlmon.lint.live`` (it needs a server); this rule
gives it a name that ``.mlmon-lint.yml`` exclusions and ``--list-rules`` know.
"""

from __future__ import annotations

from mlmon.lint.findings import Level
from mlmon.lint.registry import Rule


class LiveQuery(Rule):
    name = "live-query"
    level = Level.ERROR
    description = (
        "(--live only) Every panel target and alert expression runs without error on Prometheus and returns "
        "at least one series; alert conditions are stripped first, so a quiet alert is not a dead one."
    )
    hint = "check the metric and label names against the exporter's /metrics, and that Prometheus scrapes it"


RULES = (LiveQuery,)
