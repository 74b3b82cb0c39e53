"""alert-routing: the notification policy tree and the alert rules agree.

Reads the Alertmanager configuration generated beside the Prometheus rule
files (``alerts/alertmanager/alertmanager.yml`` next to ``alerts/prometheus/``)
and checks, for the rules of that tree:

- every rule reaches a receiver that delivers somewhere (not a receiver with
  no integration, a "black hole"); exclude a rule deliberately with a reasoned
  exclusion in ``.mlmon-lint.yml`` (``rule: alert-routing``, ``panel: <alert>``);
- every route's matchers can be satisfied by some rule's labels (a route no
  alert can reach is dead configuration, usually a typo in a label value);
- the message templates use only variables that exist: the fields of
  Alertmanager's notification data, and label/annotation names some rule has.

A label a rule does not set itself but reads from its series
(``{{ $labels.model_name }}`` in its annotations) counts as possibly present.
Route and template findings are reported once per tree, on its first rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mlmon.lint.alerts import AlertRule, is_alert_document, rules_in
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule

CONFIG = Path("alertmanager") / "alertmanager.yml"  # relative to the alerts/ directory
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')
_LABEL_REF = re.compile(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)")
_FIELD = re.compile(r"(?<![\w)\]])\.([A-Z][A-Za-z]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?")
# Alertmanager's notification data (template.Data) and each alert's fields (template.Alert).
DATA_FIELDS = {
    "Receiver",
    "Status",
    "Alerts",
    "GroupLabels",
    "CommonLabels",
    "CommonAnnotations",
    "ExternalURL",
}
ALERT_FIELDS = {
    "Status",
    "Labels",
    "Annotations",
    "StartsAt",
    "EndsAt",
    "GeneratorURL",
    "Fingerprint",
}
ALERTS_METHODS = {"Firing", "Resolved"}
KV_METHODS = {"SortedPairs", "Names", "Values", "Remove"}
LABEL_MAPS = {"Labels", "CommonLabels", "GroupLabels"}
ANNOTATION_MAPS = {"Annotations", "CommonAnnotations"}


@dataclass(frozen=True)
class RuleLabels:
    title: str
    static: Mapping[str, str]  # labels the rule sets
    from_series: frozenset[str]  # labels its annotations read from the series
    annotations: frozenset[str]


@dataclass(frozen=True)
class RouteNode:
    path: str  # e.g. route.routes[1].routes[0]
    receiver: str
    matchers: tuple[tuple[str, str, str], ...]  # accumulated from the root
    own: tuple[tuple[str, str, str], ...]
    cont: bool
    children: tuple[RouteNode, ...]


@dataclass(frozen=True)
class Tree:
    config: Path
    root: RouteNode
    black_holes: frozenset[str]
    templates: tuple[tuple[Path, str], ...]
    rules: tuple[RuleLabels, ...]
    first_rule: str


def _matches(op: str, pattern: str, value: str | None) -> bool:
    text = value or ""
    if op == "=":
        return text == pattern
    if op == "!=":
        return text != pattern
    found = re.fullmatch(pattern, text) is not None
    return found if op == "=~" else not found


def could_match(matchers: Iterable[tuple[str, str, str]], rule: RuleLabels) -> bool:
    """Can an alert of ``rule`` carry labels that satisfy every matcher?"""
    for label, op, pattern in matchers:
        if label == "alertname":
            if not _matches(op, pattern, rule.title):
                return False
        elif label in rule.static:
            if not _matches(op, pattern, rule.static[label]):
                return False
        elif label not in rule.from_series and not _matches(op, pattern, None):
            return False
    return True


def delivered_by(node: RouteNode, rule: RuleLabels) -> list[RouteNode]:
    """The routes that take an alert of ``rule`` (Alertmanager's walk, ``continue`` included)."""
    if not all(
        _matches(op, p, rule.title if label == "alertname" else rule.static.get(label))
        for label, op, p in node.own
    ):
        return []
    found: list[RouteNode] = []
    for child in node.children:
        taken = delivered_by(child, rule)
        found.extend(taken)
        if taken and not child.cont:
            break
    return found or [node]


def _node(data: Mapping[str, Any], path: str, inherited: tuple, receiver: str) -> RouteNode:
    own = tuple(
        (m[1], m[2], m[3])
        for m in (_MATCHER.match(str(text)) for text in data.get("matchers") or [])
        if m
    )
    own += tuple((k, "=", str(v)) for k, v in (data.get("match") or {}).items())
    own += tuple((k, "=~", str(v)) for k, v in (data.get("match_re") or {}).items())
    receiver = str(data.get("receiver") or receiver)
    matchers = inherited + own
    children = tuple(
        _node(child, f"{path}.routes[{i}]", matchers, receiver)
        for i, child in enumerate(data.get("routes") or [])
    )
    return RouteNode(path, receiver, matchers, own, bool(data.get("continue")), children)


def _walk(node: RouteNode) -> Iterator[RouteNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _rule_labels(rule: AlertRule) -> RuleLabels:
    annotations = {str(k): str(v) for k, v in rule.annotations.items()}
    return RuleLabels(
        rule.title,
        {str(k): str(v) for k, v in rule.labels.items()},
        frozenset(n for text in annotations.values() for n in _LABEL_REF.findall(text)),
        frozenset(annotations),
    )


@lru_cache(maxsize=16)
def load_tree(rules_dir: Path) -> Tree | None:
    """The routing tree for the Prometheus rule files in ``rules_dir``; None when there is none."""
    config = rules_dir.parent / CONFIG
    if not config.is_file():
        return None
    data = yaml.safe_load(config.read_text()) or {}
    rules: list[RuleLabels] = []
    for path in sorted(rules_dir.glob("*.y*ml")):
        document = yaml.safe_load(path.read_text())
        if is_alert_document(document):
            rules.extend(_rule_labels(r) for r in rules_in(path, document) if not r.is_recording)
    templates = tuple(
        (path, path.read_text())
        for pattern in data.get("templates") or []
        for path in sorted(config.parent.glob(str(pattern)))
    )
    black_holes = frozenset(
        str(r.get("name"))
        for r in data.get("receivers") or []
        if not any(key.endswith("_configs") and r[key] for key in r)
    )
    titles = sorted(r.title for r in rules)
    return Tree(
        config,
        _node(data.get("route") or {}, "route", (), ""),
        black_holes,
        templates,
        tuple(rules),
        titles[0] if titles else "",
    )


def template_problems(text: str, rules: Iterable[RuleLabels]) -> list[str]:
    """Unknown variables in Go template ``text``: fields, and label/annotation names no rule has."""
    rules = list(rules)
    labels = {"alertname"} | {n for r in rules for n in (*r.static, *r.from_series)}
    annotations = {n for r in rules for n in r.annotations}
    problems = []
    for field, key in _FIELD.findall(text):
        if field not in DATA_FIELDS | ALERT_FIELDS | ALERTS_METHODS | KV_METHODS:
            problems.append(f".{field} is not a field of the notification data")
        elif key and field in LABEL_MAPS and key not in labels and key not in KV_METHODS:
            problems.append(f".{field}.{key}: no rule has a label {key!r}")
        elif key and field in ANNOTATION_MAPS and key not in annotations and key not in KV_METHODS:
            problems.append(f".{field}.{key}: no rule has an annotation {key!r}")
    return sorted(set(problems))


class AlertRouting(Rule):
    name = "alert-routing"
    level = Level.ERROR
    description = (
        "Every alert rule reaches a receiver that delivers, every route can be reached by some "
        "rule, and message templates use only variables that exist."
    )
    hint = "fix alerts_src/routing.py (receivers, matchers, templates) or the rule's labels"

    def check_alert(self, rule: AlertRule, where: Location) -> Iterable[Finding]:
        if rule.is_recording or rule.kind != "prometheus":
            return  # Grafana copies of the same rules would repeat every finding
        tree = load_tree(rule.file.parent.resolve())
        if tree is None:
            return
        labels = _rule_labels(rule)
        routes = delivered_by(tree.root, labels)
        if all(r.receiver in tree.black_holes for r in routes):
            receivers = ", ".join(sorted({r.receiver for r in routes}))
            yield self.finding(
                where,
                f"alert {rule.title} reaches only {receivers}, which delivers nowhere",
                hint="route it to a contact point, or exclude it in .mlmon-lint.yml with a reason",
            )
        if rule.title != tree.first_rule:
            return
        for node in _walk(tree.root):
            if node.own and not any(could_match(node.matchers, r) for r in tree.rules):
                matchers = ", ".join(f'{label}{op}"{value}"' for label, op, value in node.matchers)
                yield self.finding(
                    Location(
                        tree.config, None, None, node.receiver, json_path=node.path, kind="alert"
                    ),
                    f"no alert rule can match the route to {node.receiver} ({matchers})",
                    hint="fix the matcher (a typo in a label value?) or remove the route",
                )
        for path, text in tree.templates:
            for problem in template_problems(text, tree.rules):
                yield self.finding(
                    Location(path, None, None, None, kind="alert"),
                    f"template variable {problem}",
                    hint="use .Labels.<a label the rules set> or .Annotations.summary/description/runbook",
                )


RULES = [AlertRouting]
