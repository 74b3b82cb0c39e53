""".mlmon-lint.yml: reasoned exclusions per rule, dashboard and panel; bad files are usage errors."""

import pytest

from mlmon.lint import lint_paths
from mlmon.lint.config import LintConfigError
from tests.lint.support import clean_dashboard, findings, lint_data, panel


def _two_unitless_dashboards(tmp_path):
    for uid, title in (("a", "Dashboard A"), ("b", "Dashboard B")):
        dashboard = clean_dashboard()
        dashboard.update(uid=uid, title=title)
        panel(dashboard, "Accuracy")["fieldConfig"]["defaults"] = {}
        panel(dashboard, "Error ratio")["fieldConfig"]["defaults"] = {}
        (tmp_path / f"{uid}.json").write_text(__import__("json").dumps(dashboard))


def _units(report):
    return sorted((f.location.dashboard, f.location.panel) for f in findings(report, "panel-units"))


def test_exclusion_scoped_to_dashboard_and_panel(tmp_path):
    _two_unitless_dashboards(tmp_path)
    (tmp_path / ".mlmon-lint.yml").write_text(
        "exclusions:\n"
        "  - rule: panel-units\n    dashboard: a\n    panel: Accuracy\n    reason: accuracy is shown as a bare ratio\n"
        "  - rule: panel-units\n    dashboard: Dashboard B\n    reason: legacy dashboard, to be rebuilt\n"
    )
    report = lint_paths([tmp_path])
    assert _units(report) == [("Dashboard A", "Error ratio")]
    assert sorted(e.reason for _, e in report.excluded) == [
        "accuracy is shown as a bare ratio",
        "legacy dashboard, to be rebuilt",
        "legacy dashboard, to be rebuilt",
    ]


def test_exclusions_next_to_a_dashboard_apply_only_below_it(tmp_path):
    sub = tmp_path / "imported"
    sub.mkdir()
    _two_unitless_dashboards(tmp_path)
    _two_unitless_dashboards(sub)
    (sub / ".mlmon-lint.yml").write_text(
        "exclusions:\n  - rule: panel-units\n    reason: hand-exported, not ours\n"
    )
    report = lint_paths([tmp_path])
    assert {f.location.file.parent for f in findings(report, "panel-units")} == {tmp_path}


@pytest.mark.parametrize(
    "text, says",
    [
        ("exclusions:\n  - rule: panel-units\n", "needs a 'reason'"),
        ("exclusions:\n  - rule: panel-units\n    reason: '  '\n", "needs a 'reason'"),
        ("exclusions:\n  - rule: panel-unit\n    reason: typo\n", "unknown rule 'panel-unit'"),
        (
            "exclusions:\n  - rule: panel-units\n    reason: x\n    dashbord: y\n",
            "unknown keys ['dashbord']",
        ),
        ("rules:\n  panel-units: false\n", "settings must be a mapping"),
        ("ignore: [panel-units]\n", "unknown keys ['ignore']"),
        ("exclusions: [\n", "not valid YAML"),
    ],
)
def test_invalid_exclusions_file_is_a_usage_error_naming_the_file(tmp_path, text, says):
    with pytest.raises(LintConfigError, match=r"\.mlmon-lint\.yml") as error:
        lint_data(tmp_path, clean_dashboard(), config=text)
    assert says in str(error.value)
