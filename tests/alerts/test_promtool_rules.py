"""The Prometheus rule files: valid for promtool, and each rule fires when it should and only then.

The unit tests in tests/alerts/promtool/ run against freshly compiled rules.
promtool compares every annotation of a firing alert, so the long
``description`` and ``runbook`` texts are dropped from the copy under test;
``summary`` stays, so label templating is checked too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from mlmon.alerts.compiler import PROMETHEUS_DIR
from tests.alerts.conftest import write_tree
from tests.support.processes import require_tool

UNIT_TESTS = sorted((Path(__file__).parent / "promtool").glob("*.test.yml"))
UNCHECKED_ANNOTATIONS = ("description", "runbook")


def _rule_files(compiled: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in compiled.items() if k.startswith(PROMETHEUS_DIR)}


def test_every_group_has_a_rule_file_and_a_unit_test(compiled):
    groups = {Path(k).name.removesuffix(".rules.yml") for k in _rule_files(compiled)}
    tested = {p.name.removesuffix(".test.yml") for p in UNIT_TESTS}
    assert groups == tested


@pytest.mark.prometheus
def test_promtool_check_rules_accepts_every_rule_file(compiled, tmp_path):
    promtool = require_tool("promtool")
    write_tree(_rule_files(compiled), tmp_path)
    paths = sorted(str(p) for p in (tmp_path / PROMETHEUS_DIR).glob("*.rules.yml"))
    result = subprocess.run(
        [promtool, "check", "rules", *paths], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(paths)


def test_every_rule_is_unit_tested(compiled):
    """Each alert appears as alertname in some promtool test with a non-empty exp_alerts (it fires)."""
    alerts = {
        rule["alert"]
        for content in _rule_files(compiled).values()
        for group in yaml.safe_load(content)["groups"]
        for rule in group["rules"]
    }
    fired = {
        case["alertname"]
        for path in UNIT_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts - fired == set(), "rules without a promtool test showing them fire"


@pytest.mark.prometheus
@pytest.mark.parametrize("unit_test", UNIT_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(unit_test, compiled, tmp_path):
    promtool = require_tool("promtool")
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    spec = yaml.safe_load(unit_test.read_text())
    rule_files = []
    for ref in spec["rule_files"]:
        key = f"{PROMETHEUS_DIR}/{Path(ref).name}"
        rules = yaml.safe_load(compiled[key])
        for group in rules["groups"]:
            for rule in group["rules"]:
                for name in UNCHECKED_ANNOTATIONS:
                    rule["annotations"].pop(name, None)
        path = rules_dir / Path(ref).name
        path.write_text(yaml.safe_dump(rules, sort_keys=False))
        rule_files.append(str(path))
    spec["rule_files"] = rule_files
    test_file = tmp_path / unit_test.name
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
