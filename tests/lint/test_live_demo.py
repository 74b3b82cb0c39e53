"""`mlmon lint --live-demo`: the demo stack is started, queried and stopped by the linter itself."""

from __future__ import annotations

import json

import pytest

from mlmon.cli import main
from tests.lint.support import FIXTURES
from tests.support.processes import ROOT, require_tool

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]


def test_live_demo_finds_only_the_broken_fixtures_dead_panels(monkeypatch, capsys):
    require_tool("prometheus")
    monkeypatch.chdir(ROOT)
    code = main(["lint", "--live-demo", "--format", "json", "generated", str(FIXTURES / "broken")])
    captured = capsys.readouterr()
    live = [f for f in json.loads(captured.out)["findings"] if f["rule"] == "live-query"]
    assert code == 1
    assert {(f["location"]["dashboard"], f["location"]["panel"]) for f in live} == {
        ("Fixture: dead panels", "Accuracy (typo in metric)"),
        ("Fixture: dead panels", "Requests (label that does not exist)"),
        ("Fixture: dead panels", "Renamed label (Prometheus rejects it)"),
    }, captured.err
    assert "starting Prometheus" in captured.err and "stopping the demo stack" in captured.err


def test_live_demo_and_prometheus_url_are_exclusive(capsys):
    assert main(["lint", "--live-demo", "--prometheus", "http://127.0.0.1:9", "generated"]) == 2
    assert "leave out --prometheus" in capsys.readouterr().err
