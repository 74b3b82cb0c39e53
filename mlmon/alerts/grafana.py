"""Grafana unified alerting output: provisioning-API bodies and the file-provisioning document.

Two shapes of the same rules:

- :func:`rule_group_body` is the body of
  ``PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{group}``:
  ``{title, folderUid, interval (seconds), rules}`` with rules in the flat
  ``ProvisionedAlertRule`` shape (``folderUID``, ``ruleGroup``, ``orgID``, ...).
- :func:`provisioning_document` is what Grafana reads from
  ``provisioning/alerting/*.yml`` at start-up: ``apiVersion: 1`` and groups
  with the folder by *title* and the interval as a duration string.

Annotations are Go templates in both engines; ``$value`` alone differs: in
Grafana it is a debug string of every step, so it becomes ``$values.B.Value``
(the reduced value the threshold compared).

Grafana expands environment variables (``$NAME``, ``${NAME}``) in most fields
of a provisioning *file* (not of an API body): the group's name, folder and
interval, and each rule's uid, title, condition, states, ``for`` and labels
(``values.StringValue``/``StringMapValue`` in Grafana's
``pkg/services/provisioning/alerting/rules_types.go``); a literal ``$`` there
must be written ``$$``, or a title "Cost above $100" loads as "Cost above 00"
(grafana/grafana#70484, #78118). The file therefore escapes those fields.
Annotations and the query models are read raw (never expanded) and are left as
they are: their Go templates keep ``$labels``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlmon.alerts.spec import GroupSpec, RuleSpec

DEFAULT_DATASOURCE_UID = "prometheus"
EXPRESSION_DATASOURCE = {"type": "__expr__", "uid": "__expr__"}
ORG_ID = 1
_VALUE = re.compile(r"\$value\b(?!s)")


def rule_group_body(group: GroupSpec, datasource_uid: str = DEFAULT_DATASOURCE_UID) -> dict:
    return {
        "title": group.name,
        "folderUid": group.folder_uid,
        "interval": group.interval_seconds,
        "rules": [provisioned_rule(rule, group, datasource_uid) for rule in group.rules],
    }


def provisioned_rule(
    rule: RuleSpec, group: GroupSpec, datasource_uid: str = DEFAULT_DATASOURCE_UID
) -> dict:
    """One rule in the flat provisioning-API shape."""
    return {
        "uid": rule.uid,
        "orgID": ORG_ID,
        "folderUID": group.folder_uid,
        "ruleGroup": group.name,
        "title": rule.title,
        **_rule_content(rule, datasource_uid),
    }


def provisioning_document(
    groups: Iterable[GroupSpec], datasource_uid: str = DEFAULT_DATASOURCE_UID
) -> dict:
    """Grafana's alerting file-provisioning format (``apiVersion: 1``)."""
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": ORG_ID,
                "name": literal(group.name),
                "folder": literal(group.folder_title),
                "interval": literal(group.interval),
                "rules": [_file_rule(rule, datasource_uid) for rule in group.rules],
            }
            for group in groups
        ],
    }


def literal(text: str) -> str:
    """``text`` as a provisioning file must spell it where Grafana expands environment variables."""
    return text.replace("$", "$$")


def _file_rule(rule: RuleSpec, datasource_uid: str) -> dict:
    content = _rule_content(rule, datasource_uid)
    for field in ("condition", "noDataState", "execErrState", "for"):
        content[field] = literal(content[field])
    content["labels"] = {k: literal(v) for k, v in content["labels"].items()}
    return {"uid": literal(rule.uid), "title": literal(rule.title), **content}


def _rule_content(rule: RuleSpec, datasource_uid: str) -> dict:
    value_ref = rule.reduce_ref or rule.condition_ref
    return {
        "condition": rule.condition_ref,
        "data": _data(rule, datasource_uid),
        "noDataState": rule.no_data_state,
        "execErrState": rule.exec_err_state,
        "for": rule.for_,
        "annotations": {
            k: _VALUE.sub(f"$values.{value_ref}.Value", v) for k, v in rule.annotations.items()
        },
        "labels": dict(rule.labels),
        "isPaused": False,
    }


def _data(rule: RuleSpec, datasource_uid: str) -> list[dict]:
    data = [
        {
            "refId": rule.query_ref,
            "queryType": "",
            "relativeTimeRange": {"from": rule.lookback_seconds, "to": 0},
            "datasourceUid": datasource_uid,
            "model": {
                "refId": rule.query_ref,
                "datasource": {"type": "prometheus", "uid": datasource_uid},
                "editorMode": "code",
                "expr": rule.promql,
                "instant": True,
                "range": False,
                "intervalMs": 1000,
                "maxDataPoints": 43200,
            },
        }
    ]
    threshold_input = rule.query_ref
    if rule.reduce_ref:
        data.append(
            _expression(
                rule.reduce_ref,
                {
                    "type": "reduce",
                    "expression": rule.query_ref,
                    "reducer": "last",
                    "settings": {"mode": rule.reduce_mode},
                },
            )
        )
        threshold_input = rule.reduce_ref
    data.append(
        _expression(
            rule.condition_ref,
            {
                "type": "threshold",
                "expression": threshold_input,
                "conditions": [
                    {"evaluator": {"type": rule.comparison, "params": [rule.threshold]}}
                ],
            },
        )
    )
    return data


def _expression(ref_id: str, model: dict) -> dict:
    return {
        "refId": ref_id,
        "queryType": "",
        "relativeTimeRange": {"from": 0, "to": 0},
        "datasourceUid": EXPRESSION_DATASOURCE["uid"],
        "model": {
            "refId": ref_id,
            "datasource": dict(EXPRESSION_DATASOURCE),
            **model,
            "intervalMs": 1000,
            "maxDataPoints": 43200,
        },
    }
