"""The project's own generated/ goes through the strict fake: accepted, then idempotent."""

from __future__ import annotations

import json

import pytest

from mlmon.alerts.compiler import load_sources
from tests.support.processes import ROOT

GENERATED = ROOT / "generated"


def test_project_generated_tree_pushes_and_second_push_is_a_no_op(fake, mlmon, monkeypatch):
    # The project's contact points read their secrets from the environment of the push.
    for name in load_sources(ROOT / "alerts_src").routing.env_names():
        monkeypatch.setenv(name, f"https://hooks.example.invalid/{name}")
    dashboards = sorted((GENERATED / "dashboards").glob("*.json"))
    groups = sorted((GENERATED / "alerts" / "grafana").glob("*.json"))
    if not dashboards and not groups:
        pytest.skip("generated/ is empty: run `mlmon build` first")
    result = mlmon("push", "--generated", str(GENERATED))
    assert result.code == 0, result.text
    assert set(fake.dashboards) == {json.loads(p.read_text())["uid"] for p in dashboards}
    assert {title for _, title in fake.rule_groups} == {
        json.loads(p.read_text())["title"] for p in groups
    }
    fake.reset_log()
    again = mlmon("push", "--generated", str(GENERATED))
    assert again.code == 0, again.text
    assert fake.writes() == []
