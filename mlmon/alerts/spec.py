"""Rule groups as plain data, read once from the grafanalib objects a source module builds.

This is the edge between grafanalib and everything mlmon emits: the nested
ruler JSON of ``AlertRulev9`` is checked here (every mistake names the file
and the rule) and reduced to what both outputs need. A rule must be the shape
``mlmon.alerts.alert_rule`` builds — one Prometheus query, optionally reduced
to its last value, and a threshold as the condition — because that is the
shape that means the same thing in Grafana and in Prometheus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from grafanalib.core import AlertGroup, AlertRulev9

from mlmon.alerts.catalog_check import check_query
from mlmon.alerts.checks import check_alert_name, check_for, check_interval, check_threshold
from mlmon.alerts.threshold import THRESHOLD_TYPE
from mlmon.alerts.uids import UID_PATTERN, folder_uid, rule_uid
from mlmon.errors import SourceError

EXPRESSION_DATASOURCES = {"-100", "__expr__"}  # grafanalib writes the legacy "-100"
COMPARISONS = {"gt": ">", "lt": "<"}
REQUIRED_ANNOTATIONS = ("summary", "description")
# grafanalib spells Grafana's NoData state with a space.
_STATES = {
    "No Data": "NoData",
    "NoData": "NoData",
    "OK": "OK",
    "Alerting": "Alerting",
    "Error": "Error",
}

Fail = Callable[
    ..., SourceError
]  # builds the error for the rule being read: fail(message, hint=None)


@dataclass(frozen=True)
class RuleSpec:
    uid: str
    title: str
    for_: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    no_data_state: str
    exec_err_state: str
    # The three steps: query (A), reduce to last (B, optional), threshold (C).
    query_ref: str
    promql: str
    lookback_seconds: int
    reduce_ref: str | None
    reduce_mode: str
    condition_ref: str
    comparison: str  # "gt" or "lt"
    threshold: float | int


@dataclass(frozen=True)
class GroupSpec:
    name: str
    folder_title: str
    folder_uid: str
    interval: str
    interval_seconds: int
    rules: tuple[RuleSpec, ...]
    source: str


def read_group(
    group: object,
    *,
    source: str,
    for_override: str | None = None,
    interval_override: str | None = None,
) -> GroupSpec:
    """Check ``group`` and turn it into plain data; the overrides replace every ``for`` and the interval."""
    if not isinstance(group, AlertGroup):
        raise SourceError(
            f"`group` is a {type(group).__name__}, not a grafanalib AlertGroup",
            source=source,
            hint="build it with mlmon.alerts.rule_group(...)",
        )
    interval = interval_override or group.evaluateInterval
    interval_s = check_interval(interval, source=source, item=group.name)
    if not group.rules:
        raise SourceError("the rule group has no rules", source=source, item=group.name)
    rules = tuple(_read_rule(rule, group.name, source, for_override) for rule in group.rules)
    folder = getattr(group, "folderUid", None) or folder_uid(group.folder)
    if not UID_PATTERN.fullmatch(folder):
        raise SourceError(
            f"folder uid {folder!r} is not a valid Grafana uid", source=source, item=group.name
        )
    return GroupSpec(
        name=group.name,
        folder_title=group.folder,
        folder_uid=folder,
        interval=interval,
        interval_seconds=interval_s,
        rules=rules,
        source=source,
    )


def _read_rule(rule: object, group: str, source: str, for_override: str | None) -> RuleSpec:
    if not isinstance(rule, AlertRulev9):
        raise SourceError(
            f"rule group {group!r} holds a {type(rule).__name__}, not an AlertRulev9",
            source=source,
            hint="build rules with mlmon.alerts.alert_rule(...)",
        )
    title = check_alert_name(rule.title, source=source)

    def fail(message: str, hint: str | None = None) -> SourceError:
        return SourceError(message, source=source, item=title, hint=hint)

    for_ = check_for(
        for_override if for_override is not None else rule.evaluateFor, source=source, item=title
    )
    uid = rule.uid if rule.uid is not None else rule_uid(group, title)
    if not UID_PATTERN.fullmatch(uid):
        raise fail(
            f"uid {uid!r} is not a valid Grafana uid",
            hint="1 to 40 characters from a-z A-Z 0-9 _ -",
        )
    labels = _string_map(rule.labels, "labels", fail)
    annotations = _string_map(rule.annotations, "annotations", fail)
    if "severity" not in labels:
        raise fail(
            "the rule has no severity label", hint="alert_rule(..., severity=Severity.WARNING)"
        )
    for name in REQUIRED_ANNOTATIONS:
        if not annotations.get(name, "").strip():
            raise fail(f"the rule has no {name} annotation")

    steps = _read_steps(rule, source, title, fail)
    return RuleSpec(
        uid=uid,
        title=title,
        for_=for_,
        labels=MappingProxyType(dict(sorted(labels.items()))),
        annotations=MappingProxyType(dict(sorted(annotations.items()))),
        no_data_state=_state(rule.noDataAlertState, fail),
        exec_err_state=_state(rule.errorAlertState, fail),
        lookback_seconds=int(rule.timeRangeFrom),
        condition_ref=rule.condition,
        **steps,
    )


def _read_steps(rule: AlertRulev9, source: str, title: str, fail: Fail) -> dict:
    """The query, the optional reduce and the threshold condition, as RuleSpec fields."""
    data = rule.to_json_data()["grafana_alert"]["data"]
    queries = [d for d in data if d.get("datasourceUid") not in EXPRESSION_DATASOURCES]
    expressions = {
        d["refId"]: d["model"] for d in data if d.get("datasourceUid") in EXPRESSION_DATASOURCES
    }
    if len(queries) != 1:
        raise fail(
            f"the rule has {len(queries)} Prometheus queries; mlmon rules have exactly one",
            hint="combine series in one PromQL expression",
        )
    query = queries[0]
    promql = str(query["model"].get("expr") or "").strip()
    if not promql:
        raise fail("the rule's query is empty")
    check_query(promql, source=source, item=title)

    condition = expressions.get(rule.condition)
    if condition is None or condition.get("type") != THRESHOLD_TYPE:
        raise fail(
            f"the condition {rule.condition!r} is not a threshold expression",
            hint="give the threshold with alert_rule(..., above=/below=)",
        )
    evaluator = condition["conditions"][0]["evaluator"] if condition.get("conditions") else {}
    comparison = evaluator.get("type")
    if comparison not in COMPARISONS:
        raise fail(
            f"threshold type {comparison!r} is not supported", hint="use above= (gt) or below= (lt)"
        )
    value = check_threshold((evaluator.get("params") or [None])[0], source=source, item=title)

    reduce_ref, reduce_mode = None, "strict"
    threshold_input = condition.get("expression")
    if threshold_input != query["refId"]:
        reduce = expressions.get(threshold_input)
        if (
            reduce is None
            or reduce.get("type") != "reduce"
            or reduce.get("expression") != query["refId"]
        ):
            raise fail(
                f"the threshold reads {threshold_input!r}, which is neither the query nor a reduce of it"
            )
        if reduce.get("reducer") != "last":
            raise fail(
                f"reducer {reduce.get('reducer')!r} has no Prometheus equivalent",
                hint="reduce with 'last' and put windows in the PromQL, e.g. max_over_time(x[5m])",
            )
        reduce_ref, reduce_mode = threshold_input, reduce.get("settings", {}).get("mode", "strict")

    return {
        "query_ref": query["refId"],
        "promql": promql,
        "reduce_ref": reduce_ref,
        "reduce_mode": reduce_mode,
        "comparison": comparison,
        "threshold": value,
    }


def _string_map(value: object, what: str, fail: Fail) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise fail(f"{what} must map strings to strings")
    return dict(value)


def _state(value: str, fail: Fail) -> str:
    try:
        return _STATES[value]
    except KeyError:
        raise fail(f"alert state {value!r} is not one Grafana knows") from None
