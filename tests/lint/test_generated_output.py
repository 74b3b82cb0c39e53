"""The project's own compiled output (generated/) is lint-clean: no errors and no warnings.

Runs over whatever is in generated/ right now, with the project's
.mlmon-lint.yml, so a new dashboard or alert is covered as soon as it is built.
"""

from mlmon.lint import lint_paths
from mlmon.lint.output import text
from tests.support.processes import ROOT

GENERATED = ROOT / "generated"


def test_generated_dashboards_and_alerts_are_lint_clean():
    report = lint_paths([GENERATED])
    assert report.findings == [], "mlmon lint generated/ found problems:\n" + text(report)


def test_every_exclusion_in_the_project_config_is_still_needed():
    report = lint_paths([GENERATED])
    config = ROOT / ".mlmon-lint.yml"
    if not config.is_file():
        return
    from mlmon.lint.config import load

    used = {(e.rule, e.dashboard, e.panel) for _, e in report.excluded}
    stale = [
        e
        for e in load(config).exclusions
        if e.rule != "live-query" and (e.rule, e.dashboard, e.panel) not in used
    ]  # live: see test_live.py
    assert stale == [], f"exclusions in {config} that match nothing any more: {stale}"
