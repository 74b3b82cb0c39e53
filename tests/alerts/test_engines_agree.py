"""Grafana and Prometheus get the same rules: same names, conditions, durations, labels and texts."""

from __future__ import annotations

import json

import yaml

from mlmon.alerts.prometheus import alert_expression
from mlmon.alerts.spec import RuleSpec

OPERATORS = {"gt": ">", "lt": "<"}


def _grafana_rules(compiled):
    return {
        r["title"]: r
        for k, v in compiled.items()
        if k.endswith(".json")
        for r in json.loads(v)["rules"]
    }


def _prometheus_rules(compiled):
    return {
        rule["alert"]: (group, rule)
        for k, v in compiled.items()
        if k.endswith(".rules.yml")
        for group in yaml.safe_load(v)["groups"]
        for rule in group["rules"]
    }


def test_each_grafana_rule_has_its_prometheus_twin(compiled):
    grafana, prometheus = _grafana_rules(compiled), _prometheus_rules(compiled)
    assert sorted(grafana) == sorted(prometheus)
    for title, rule in grafana.items():
        group, twin = prometheus[title]
        steps = {d["refId"]: d["model"] for d in rule["data"]}
        evaluator = steps["C"]["conditions"][0]["evaluator"]
        threshold = evaluator["params"][0]
        assert twin["expr"].startswith(steps["A"]["expr"])
        assert twin["expr"].endswith(f" {OPERATORS[evaluator['type']]} {threshold:g}")
        assert (twin["for"], twin["labels"], group["name"]) == (
            rule["for"],
            rule["labels"],
            rule["ruleGroup"],
        )
        assert {
            k: v.replace("$value ", "$values.B.Value ") for k, v in twin["annotations"].items()
        } == rule["annotations"]


def _spec(promql: str, comparison: str = "gt", threshold: float = 1) -> RuleSpec:
    return RuleSpec(
        uid="u",
        title="T",
        for_="1m",
        labels={},
        annotations={},
        no_data_state="OK",
        exec_err_state="Error",
        query_ref="A",
        promql=promql,
        lookback_seconds=600,
        reduce_ref="B",
        reduce_mode="strict",
        condition_ref="C",
        comparison=comparison,
        threshold=threshold,
    )


def test_prometheus_expression_keeps_the_query_meaning():
    # Arithmetic binds tighter than the comparison: no parentheses needed.
    assert alert_expression(_spec("a / b", "gt", 0.05)) == "a / b > 0.05"
    # `and`/`or`/`unless` and comparisons bind as loosely or looser: the query is parenthesised.
    assert alert_expression(_spec("a and on (x) b", "lt", 1)) == "(a and on (x) b) < 1"
    assert alert_expression(_spec("a > 2", "gt", 0)) == "(a > 2) > 0"
    assert alert_expression(_spec("time() - x", "gt", 300.0)) == "time() - x > 300"
