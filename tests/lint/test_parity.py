"""Parity with grafana/dashboard-linter on the cases of its own rule tests.

The cases (tests/lint/fixtures/parity/dashboard_linter_cases.yml) restate each
case of dashboard-linter's lint/rule_*_test.go for the rules mlmon shares, with
the number of findings dashboard-linter expects. A case agrees when mlmon
reaches the same verdict (finds something, or passes); where it deliberately
does not, the case says why (``differs``) and docs/lint/parity.md lists it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlmon.lint.dashboard import Dashboard
from mlmon.lint.engine import lint_dashboard
from mlmon.lint.registry import all_rules
from tests.lint.support import FIXTURES
from tests.support.processes import ROOT

CASES_FILE = FIXTURES / "parity" / "dashboard_linter_cases.yml"
PARITY_DOC = ROOT / "docs" / "lint" / "parity.md"
REQUIRED_AGREEMENT = 0.97

PROMETHEUS_VARIABLE = {"type": "datasource", "query": "prometheus"}
# dashboard-linter's target-promql test dashboard: interval and resolution variables besides the datasource.
PROMQL_VARIABLES = [
    PROMETHEUS_VARIABLE,
    {"type": "interval", "name": "interval", "options": [{"value": "1h"}]},
    {"type": "interval", "name": "sampling", "current": {"value": "$__auto_interval_sampling"}},
    {"type": "resolution", "name": "resolution", "options": [{"value": "1h"}, {"value": "1h"}]},
]


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    by_rule = yaml.safe_load(CASES_FILE.read_text())
    return [(rule, case) for rule, cases in by_rule.items() for case in cases]


def dashboard_for(rule: str, case: dict[str, Any]) -> dict[str, Any]:
    """The small dashboard a case describes, in the shape dashboard-linter's test builds around it."""
    dashboard: dict[str, Any] = {"title": "test", **copy.deepcopy(case.get("dashboard", {}))}
    if "expr" in case:  # job/instance matcher cases: one singlestat on a Prometheus dashboard
        label = rule.removeprefix("target-").removesuffix("-matcher")
        expr = case["expr"].replace("LABEL", label)
        dashboard["title"] = "dashboard"
        dashboard["templating"] = {"list": [PROMETHEUS_VARIABLE]}
        dashboard["panels"] = [
            {"title": "panel", "type": "singlestat", "targets": [{"expr": expr}]}
        ]
    if "panel" in case:
        dashboard["title"] = "dashboard"
        variables = PROMQL_VARIABLES if rule == "target-promql" else [PROMETHEUS_VARIABLE]
        dashboard["templating"] = {"list": copy.deepcopy(variables)}
        dashboard["panels"] = [copy.deepcopy(case["panel"])]
    if "variable" in case:
        dashboard["templating"] = {"list": [PROMETHEUS_VARIABLE, copy.deepcopy(case["variable"])]}
    return dashboard


def mlmon_findings(rule: str, case: dict[str, Any]) -> int:
    dashboard = Dashboard(Path("parity.json"), dashboard_for(rule, case))
    return len(list(lint_dashboard(dashboard, [all_rules()[rule]({})])))


CASES = load_cases()
IDS = [f"{rule}: {case['name']}" for rule, case in CASES]


def test_every_case_names_a_rule_mlmon_has():
    assert {rule for rule, _ in CASES} <= set(all_rules())
    assert len(CASES) == 81  # every case of the shared rules' tests, autofix cases included


@pytest.mark.parametrize(("rule", "case"), CASES, ids=IDS)
def test_case(rule, case):
    found = mlmon_findings(rule, case)
    agrees = (found > 0) == (case["expect"] > 0)
    if "differs" in case:
        assert not agrees, f"marked as a deliberate difference but mlmon now agrees: {case['name']}"
        return
    assert agrees, f"dashboard-linter expects {case['expect']} finding(s), mlmon found {found}"
    if "count_differs" not in case:
        assert found == case["expect"]
    else:
        assert found != case["expect"], "count_differs is stale: the counts now match"


def test_agreement_is_at_least_97_percent():
    agreeing = sum((mlmon_findings(rule, case) > 0) == (case["expect"] > 0) for rule, case in CASES)
    assert agreeing / len(CASES) >= REQUIRED_AGREEMENT, f"{agreeing}/{len(CASES)} agree"


def test_every_difference_is_documented_with_its_reason():
    page = PARITY_DOC.read_text()
    for rule, case in CASES:
        for key in ("differs", "count_differs"):
            if key in case:
                assert case["name"] in page and rule in page, (
                    f"{rule}: {case['name']!r} differs from dashboard-linter but {PARITY_DOC} "
                    "does not say so"
                )
