"""alert-*: alert rules say what is wrong and how bad, wait before firing, and have a valid condition."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlmon.lint.alerts import AlertRule
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule

SEVERITIES = ("critical", "warning", "info")
_ZERO_DURATION = re.compile(r"^(0+[a-z]*)+$")
_REF = re.compile(r"\$\{?([A-Za-z_][\w]*)\}?")


class _AlertingRule(Rule):
    """A rule about alerting rules only: recording rules have no annotations, severity or `for`."""

    def check_alert(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        return () if rule.is_recording else self.check_alerting(rule, where)

    def check_alerting(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        raise NotImplementedError


class AlertAnnotations(_AlertingRule):
    name = "alert-annotations"
    level = Level.ERROR
    description = "Every alert rule has summary and description annotations."
    hint = "add annotations: summary (one line, what fires) and description (what it means and what to do)"

    def check_alerting(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        missing = [
            k for k in ("summary", "description") if not str(rule.annotations.get(k) or "").strip()
        ]
        if missing:
            yield self.finding(where, f"alert has no {' and no '.join(missing)} annotation")


class AlertSeverity(_AlertingRule):
    name = "alert-severity"
    level = Level.ERROR
    description = f"Every alert rule has a severity label ({', '.join(SEVERITIES)})."
    hint = "add labels: {severity: warning} (or critical for pages, info for tickets)"

    def check_alerting(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        severity = rule.labels.get("severity")
        if severity not in SEVERITIES:
            yield self.finding(
                where, f"severity label is {severity!r}, expected one of {', '.join(SEVERITIES)}"
            )


class AlertFor(_AlertingRule):
    name = "alert-for"
    level = Level.ERROR
    description = (
        "Every alert rule waits a non-zero `for` before firing, so one bad scrape does not page."
    )
    hint = 'set for: "5m" (long enough to ride out one noisy evaluation)'

    def check_alerting(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        value = rule.for_
        if (
            value is None
            or value == ""
            or value == 0
            or (isinstance(value, str) and _ZERO_DURATION.match(value))
        ):
            yield self.finding(where, f"alert has for={value!r}: it fires on the first evaluation")


class AlertCondition(Rule):
    name = "alert-condition"
    level = Level.ERROR
    description = (
        "A Grafana alert rule's condition names one of its queries' refIds, and expressions only reference "
        "existing refIds."
    )
    hint = 'set "condition" to the refId of the threshold expression (e.g. "C") and fix expression inputs'

    def check_alert(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        if rule.kind != "grafana":
            return
        queries = rule.queries
        ref_ids = [q.ref_id for q in queries]
        if not queries:
            yield self.finding(where, "alert rule has no data queries")
            return
        duplicates = sorted({r for r in ref_ids if ref_ids.count(r) > 1})
        if duplicates:
            yield self.finding(where, f"refIds used more than once: {', '.join(duplicates)}")
        if rule.condition not in ref_ids:
            known = ", ".join(ref_ids)
            yield self.finding(
                where, f"condition {rule.condition!r} is not a refId of the rule's data ({known})"
            )
        for query in queries:
            if not query.is_expression or not query.expression:
                continue
            refs = set(_REF.findall(query.expression)) or {query.expression.strip()}
            for ref in sorted(refs - set(ref_ids)):
                yield self.finding(
                    where, f"expression {query.ref_id} references {ref!r}, which is not a refId"
                )


RULES = (AlertAnnotations, AlertSeverity, AlertFor, AlertCondition)
