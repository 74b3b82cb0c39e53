"""docs/alerts.md documents every rule with its meaning and runbook, in step with alerts_src/."""

from __future__ import annotations

from mlmon.alerts import docs
from mlmon.alerts.compiler import load_groups, load_sources
from tests.alerts.conftest import ALERTS_SRC
from tests.support.processes import ROOT


def _alerts_section() -> str:
    return (ROOT / "docs" / "alerts.md").read_text()


def test_readme_rule_list_matches_the_sources():
    expected = docs.render(load_groups(ALERTS_SRC))
    assert expected in _alerts_section(), (
        "docs/alerts.md's alert list is out of date: replace the <!-- alerts:rules --> block with the output of "
        "`python -m mlmon.alerts.docs`"
    )


def test_every_rule_has_a_runbook_in_the_docs():
    section = _alerts_section()
    for group in load_groups(ALERTS_SRC):
        for rule in group.rules:
            entry = section[section.index(f"**`{rule.title}`**") :]
            entry = entry[: entry.index("\n- ") if "\n- " in entry else len(entry)]
            assert "*Runbook.* Check:" in entry and "Do:" in entry, rule.title


def test_templates_are_readable_in_the_docs():
    assert (
        docs.plain("drift in {{ $labels.feature }}: {{ $value | humanizePercentage }}")
        == "drift in {feature}: {value}"
    )


def test_routing_page_is_in_step_with_the_sources():
    page = (ROOT / "docs" / "alert-routing.md").read_text()
    sources = load_sources(ALERTS_SRC)
    assert docs.render_routing(sources) in page, (
        "docs/alert-routing.md's routing table is out of date: replace the <!-- alerts:routing --> "
        "block with the output of `python -m mlmon.alerts.docs --routing`"
    )
    source = (ALERTS_SRC / "routing.py").read_text()
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    assert example.strip() and example in source  # the policy shown is the one in use
