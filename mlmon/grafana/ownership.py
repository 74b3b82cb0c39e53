"""Proof that this mlmon project pushed a resource, so ``push --prune`` may delete it.

A tag or a folder proves nothing: Grafana's "Save as" copies every tag into the
copy, and anyone can create a rule group in mlmon's folder. So every resource
mlmon pushes carries a *marker bound to its identity*: a digest of the project's
owner name (``owner`` in mlmon.toml, default ``mlmon``), the resource kind and its
key — the dashboard uid, or folder/group/rule for an alert rule. A copy keeps the
marker but gets another uid (or group), so the marker no longer matches it; a
resource made by hand has none. Prune deletes only what carries the marker for
its own identity and reports everything else it left alone.

The marker is a checksum, not a secret: it keeps mlmon from deleting what it did
not create; it does not stop someone who sets out to forge it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_OWNER = "mlmon"
DASHBOARD_TAG_PREFIX = (
    "mlmon-owned:"  # dashboards: a tag (the dashboard schema allows no extra keys)
)
RULE_ANNOTATION = "mlmon_owned"  # alert rules: an annotation (rules have no tags)


def marker(owner: str, kind: str, key: str) -> str:
    """16 hex digits binding ``owner`` to one resource identity."""
    return hashlib.sha256(f"{owner}\0{kind}\0{key}".encode()).hexdigest()[:16]


def dashboard_tag(owner: str, uid: str) -> str:
    return DASHBOARD_TAG_PREFIX + marker(owner, "dashboard", uid)


def with_dashboard_marker(tags: Iterable[str], owner: str, uid: str) -> list[str]:
    """``tags`` with this dashboard's marker, and without markers copied from another uid."""
    kept = [t for t in tags if not t.startswith(DASHBOARD_TAG_PREFIX)]
    return [*kept, dashboard_tag(owner, uid)]


def has_dashboard_marker(tags: Iterable[str]) -> bool:
    """Any ownership marker at all (valid or copied): the dashboard looks mlmon-made."""
    return any(str(t).startswith(DASHBOARD_TAG_PREFIX) for t in tags)


def owns_dashboard(owner: str, uid: str, tags: Iterable[str]) -> bool:
    return dashboard_tag(owner, uid) in set(tags)


def _rule_key(folder_uid: str, group: str, rule: Mapping[str, Any]) -> str:
    # bound to the rule's uid (a UI duplicate gets a new one); by title only when the source gives none
    ident = f"uid:{rule['uid']}" if rule.get("uid") else f"title:{rule.get('title', '')}"
    return f"{folder_uid}/{group}/{ident}"


def mark_rule(rule: dict[str, Any], owner: str, folder_uid: str, group: str) -> dict[str, Any]:
    annotations = dict(rule.get("annotations") or {})
    annotations[RULE_ANNOTATION] = marker(owner, "rule", _rule_key(folder_uid, group, rule))
    return {**rule, "annotations": annotations}


def has_rule_marker(rule: Mapping[str, Any]) -> bool:
    return RULE_ANNOTATION in (rule.get("annotations") or {})


def owns_rule(owner: str, folder_uid: str, group: str, rule: Mapping[str, Any]) -> bool:
    """The rule as Grafana holds it (always with a uid) carries the marker for where it is."""
    found = (rule.get("annotations") or {}).get(RULE_ANNOTATION)
    candidates = {
        marker(owner, "rule", _rule_key(folder_uid, group, rule)),
        marker(owner, "rule", _rule_key(folder_uid, group, {"title": rule.get("title", "")})),
    }
    return found in candidates


def foreign_rules(
    owner: str, folder_uid: str, group: str, rules: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Titles of the rules in a group that this project did not push there (empty: all ours)."""
    return [
        str(rule.get("title", "?"))
        for rule in rules
        if not owns_rule(owner, folder_uid, group, rule)
    ]
