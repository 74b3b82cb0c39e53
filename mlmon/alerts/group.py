"""``rule_group()``: the rules one alerts_src module ships, evaluated together, and their Grafana folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import attr
from grafanalib.core import AlertGroup, AlertRulev9

from mlmon.alerts.checks import check_interval
from mlmon.alerts.routing import LABEL_NAME
from mlmon.alerts.uids import UID_PATTERN
from mlmon.errors import SourceError
from mlmon.grafana.config import DEFAULT_FOLDER as _DASHBOARD_FOLDER

DEFAULT_INTERVAL = "1m"


@dataclass(frozen=True)
class Folder:
    uid: str
    title: str


# The folder the dashboards live in (the stack's provisioning and `mlmon push`'s
# default), so an alert and the dashboard that explains it sit side by side.
DEFAULT_FOLDER = Folder(*_DASHBOARD_FOLDER)


@attr.s
class RuleGroup(AlertGroup):
    """grafanalib's AlertGroup, which knows its folder by title only, plus the folder's uid."""

    folderUid = attr.ib(
        default=None, validator=attr.validators.optional(attr.validators.instance_of(str))
    )


def rule_group(
    name: str,
    rules: list[AlertRulev9],
    *,
    folder: Folder = DEFAULT_FOLDER,
    interval: str = DEFAULT_INTERVAL,
    labels: Mapping[str, str] | None = None,
) -> RuleGroup:
    """A rule group: ``name`` is the Grafana group title and the Prometheus group name.

    ``labels`` are added to every rule of the group (e.g. ``{"team": "ml"}``):
    the notification policies in ``alerts_src/routing.py`` route on them.
    """
    if not isinstance(name, str) or not name.strip():
        raise SourceError("a rule group needs a name", hint="rule_group('data-drift', [...])")
    if not rules:
        raise SourceError(f"rule group {name!r} has no rules", item=name)
    if not isinstance(folder, Folder) or not UID_PATTERN.fullmatch(folder.uid):
        raise SourceError(
            f"folder {folder!r} is not a Folder(uid, title) with a valid uid",
            item=name,
            hint="e.g. Folder('ml-alerts', 'ML alerts'); uids are 1-40 of a-z A-Z 0-9 _ -",
        )
    check_interval(interval, item=name)
    for label, value in (labels or {}).items():
        if not isinstance(value, str) or not LABEL_NAME.fullmatch(str(label)):
            raise SourceError(
                f"group label {label!r}={value!r} must be a valid label name and a string",
                item=name,
            )
    for rule in rules:
        if isinstance(rule, AlertRulev9) and labels:
            clash = {k for k in labels if k in rule.labels and rule.labels[k] != labels[k]}
            if clash:
                raise SourceError(
                    f"group labels {sorted(clash)} contradict the rule's own labels",
                    item=rule.title,
                )
            rule.labels = {**rule.labels, **labels}
    return RuleGroup(
        name=name,
        rules=list(rules),
        folder=folder.title,
        folderUid=folder.uid,
        evaluateInterval=interval,
    )
