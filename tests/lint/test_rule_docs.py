"""Rule documentation: every rule has a why and examples that behave, and the generated pages are current."""

from __future__ import annotations

import pytest

from mlmon.cli import main
from mlmon.lint.examples import EXAMPLES
from mlmon.lint.registry import all_rules
from mlmon.lint.rule_docs import RULES_DIR, example_findings, pages
from tests.support.processes import ROOT

STATIC = [name for name in all_rules() if not EXAMPLES[name].live_only]


def test_every_rule_has_a_why_and_both_examples():
    assert set(EXAMPLES) == set(all_rules())
    assert all(e.why and e.failing and e.passing for e in EXAMPLES.values())


@pytest.mark.parametrize("name", STATIC)
def test_failing_example_is_caught_by_its_rule(name):
    found = example_findings(name, EXAMPLES[name].failing)
    assert found and {f.rule for f in found} == {name}


@pytest.mark.parametrize("name", STATIC)
def test_passing_example_passes_its_rule(name):
    assert example_findings(name, EXAMPLES[name].passing) == []


def test_generated_rule_pages_are_current():
    directory = ROOT / RULES_DIR
    expected = pages()
    on_disk = {p.name: p.read_text() for p in directory.glob("*.md")} if directory.is_dir() else {}
    stale = sorted(
        name for name in expected.keys() | on_disk.keys() if expected.get(name) != on_disk.get(name)
    )
    assert stale == [], (
        f"rule pages out of date in {RULES_DIR}: {stale}; run `python -m mlmon.lint.rule_docs`"
    )


def test_explain_prints_the_rule_page(capsys):
    assert main(["lint", "--explain", "target-rate-interval"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# `target-rate-interval`")
    assert "## Why" in out and "rate() over [1m] instead of [$__rate_interval]" in out
    assert "rule: target-rate-interval" in out  # how to exclude


def test_explain_unknown_rule_suggests_close_names(capsys):
    assert main(["lint", "--explain", "panel-unit"]) == 2
    err = capsys.readouterr().err
    assert "no rule named 'panel-unit'" in err and "panel-units" in err
