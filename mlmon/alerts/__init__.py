"""Alert rules as code: the authoring helpers and the compiler behind ``mlmon build``.

Authoring (what ``alerts_src/*.py`` imports)::

    from mlmon.alerts import Severity, alert_rule, rule_group
    from mlmon.dsl import query as q

    group = rule_group("data-drift", [
        alert_rule("DataDriftDetected", q.series("data_drift_detected"), above=0, for_="1m",
                   severity=Severity.WARNING, summary=..., description=..., runbook=...),
    ])

Each rule is a grafanalib ``AlertRulev9`` with three steps (A: the Prometheus
query, B: reduce to the last value, C: threshold) and compiles to both a
Grafana rule (flat provisioning shape) and a Prometheus alerting rule.
Compilation: :func:`mlmon.alerts.compiler.compile_alerts`.
"""

from mlmon.alerts.group import DEFAULT_FOLDER, Folder, RuleGroup, rule_group
from mlmon.alerts.rule import Severity, alert_rule

__all__ = ["DEFAULT_FOLDER", "Folder", "RuleGroup", "Severity", "alert_rule", "rule_group"]
