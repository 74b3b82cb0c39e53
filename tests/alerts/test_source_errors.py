"""A broken rule source stops the build with an error naming the file, the rule and what to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlmon.alerts.compiler import compile_alerts
from mlmon.errors import CatalogError, SourceError

HEADER = """\
from grafanalib.core import AlertRulev9, AlertExpression, Target, GreaterThan
from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.alerts.threshold import threshold
from mlmon.dsl import query as q
"""


def rule(
    title: str = "DriftFound", query: str = 'q.series("data_drift_detected")', **overrides: str
) -> str:
    args = {
        "above": "0",
        "for_": '"1m"',
        "severity": "Severity.WARNING",
        "summary": '"drift"',
        "description": '"drift in {{ $labels.feature }}"',
        "runbook": '"check the feature"',
        **overrides,
    }
    rendered = "".join(f"        {k}={v},\n" for k, v in args.items() if v is not None)
    return f'    alert_rule(\n        "{title}",\n        {query},\n{rendered}    ),\n'


def module(*rules: str, name: str = "drift") -> str:
    return HEADER + f'\ngroup = rule_group("{name}", [\n' + "".join(rules) + "])\n"


def compile_sources(tmp_path: Path, **modules: str) -> dict[str, bytes]:
    src = tmp_path / "alerts_src"
    src.mkdir(exist_ok=True)
    for name, text in modules.items():
        (src / f"{name}.py").write_text(textwrap.dedent(text))
    return compile_alerts(src)


def error_for(tmp_path: Path, **modules: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        compile_sources(tmp_path, **modules)
    return info.value


def test_a_valid_source_compiles(tmp_path):
    files = compile_sources(tmp_path, drift=module(rule()))
    assert sorted(files) == [
        "alerts/grafana/mlmon-drift.json",
        "alerts/grafana/provisioning.yml",
        "alerts/prometheus/drift.rules.yml",
    ]


def test_unknown_metric_names_file_line_rule_and_close_match(tmp_path):
    source = module(rule("AccuracyLow", 'q.series("model_acuracy")', above=None, below="0.85"))
    err = error_for(tmp_path, perf=source)
    assert isinstance(err, CatalogError)
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "model_acuracy" in text)
    assert err.source == f"alerts_src/perf.py:{line}"
    assert err.item == "AccuracyLow"
    assert "model_acuracy" in str(err) and "model_accuracy" in str(err)  # did you mean


def test_unknown_label_is_refused(tmp_path):
    err = error_for(
        tmp_path, drift=module(rule(query='q.series("data_drift_detected", column="sqft")'))
    )
    assert isinstance(err, CatalogError) and err.item == "DriftFound" and "'column'" in str(err)


def test_raw_query_with_unknown_metric_is_refused_at_compile_time(tmp_path):
    err = error_for(tmp_path, drift=module(rule("Anything", 'q.raw("drift_detected_total")')))
    assert isinstance(err, CatalogError)
    assert (err.source, err.item) == ("alerts_src/drift.py", "Anything")
    assert "drift_detected_total" in str(err)


def test_raw_up_of_prometheus_itself_is_allowed(tmp_path):
    files = compile_sources(
        tmp_path,
        up=module(rule("Down", "q.raw('up{job=\"model-exporter\"}')", above=None, below="1")),
    )
    assert b'up{job=\\"model-exporter\\"}' in files["alerts/grafana/mlmon-drift.json"]


@pytest.mark.parametrize("bad", ['"0.85"', "True", 'float("nan")', "None"])
def test_threshold_must_be_a_number(tmp_path, bad):
    err = error_for(
        tmp_path,
        perf=module(rule("AccuracyLow", 'q.series("model_accuracy")', above=None, below=bad)),
    )
    assert err.source.startswith("alerts_src/perf.py") and err.item == "AccuracyLow"
    assert "threshold" in str(err)


def test_missing_for_is_refused(tmp_path):
    err = error_for(tmp_path, drift=module(rule(for_=None)))
    assert err.source.startswith("alerts_src/drift.py") and err.item == "DriftFound"
    assert "`for`" in str(err) and "for_='5m'" in str(err)


def test_bad_for_duration_is_refused(tmp_path):
    err = error_for(tmp_path, drift=module(rule(for_='"5 minutes"')))
    assert err.item == "DriftFound" and "'5 minutes' is not a duration" in str(err)


def test_duplicate_uid_names_both_files_and_the_rule(tmp_path):
    err = error_for(
        tmp_path,
        a_drift=module(rule("DriftFound", uid='"shared-uid"'), name="drift"),
        b_quality=module(
            rule(
                "QualityLow",
                'q.series("data_quality_score")',
                uid='"shared-uid"',
                above=None,
                below="0.9",
            ),
            name="quality",
        ),
    )
    assert (err.source, err.item) == ("alerts_src/b_quality.py", "QualityLow")
    assert (
        "'shared-uid'" in str(err)
        and "alerts_src/a_drift.py" in str(err)
        and "'DriftFound'" in str(err)
    )


def test_same_title_twice_in_a_folder_is_refused(tmp_path):
    err = error_for(tmp_path, drift=module(rule(), rule(uid='"other"')))
    assert err.item == "DriftFound" and "unique per folder" in str(err)


def test_invalid_uid_is_refused(tmp_path):
    err = error_for(tmp_path, drift=module(rule(uid='"has spaces"')))
    assert err.item == "DriftFound" and "uid" in str(err)


def test_alert_name_must_be_a_valid_prometheus_alert_name(tmp_path):
    err = error_for(tmp_path, drift=module(rule("Drift detected!")))
    assert err.source.startswith("alerts_src/drift.py") and "not a valid alert name" in str(err)


def test_comparison_inside_the_query_is_refused(tmp_path):
    err = error_for(tmp_path, drift=module(rule(query='q.series("data_drift_detected") > 0')))
    assert err.item == "DriftFound" and "above= or below=" in str(err)


def test_unknown_severity_is_refused(tmp_path):
    err = error_for(tmp_path, drift=module(rule(severity='"page-me"')))
    assert err.item == "DriftFound" and "'page-me'" in str(err)


def test_module_without_group(tmp_path):
    err = error_for(tmp_path, empty="x = 1\n")
    assert err.source == "alerts_src/empty.py" and "`group`" in str(err)


def test_module_that_fails_to_import(tmp_path):
    err = error_for(tmp_path, broken="group = undefined_name\n")
    assert err.source == "alerts_src/broken.py:1" and "NameError" in str(err)


def test_grafanalib_rule_without_prometheus_equivalent_is_refused(tmp_path):
    """A hand-built AlertRulev9 reducing with mean over the time range means nothing in Prometheus."""
    source = HEADER + textwrap.dedent("""
        group = rule_group("drift", [AlertRulev9(
            title="DriftMean",
            triggers=[Target(expr="data_drift_detected", refId="A"),
                      AlertExpression(refId="B", expression="A", expressionType="reduce", reduceFunction="mean"),
                      threshold("C", "B", GreaterThan(0))],
            condition="C", labels={"severity": "warning"},
            annotations={"summary": "s", "description": "d"},
        )])
    """)
    err = error_for(tmp_path, drift=source)
    assert (err.source, err.item) == ("alerts_src/drift.py", "DriftMean")
    assert "'mean' has no Prometheus equivalent" in str(err)


def test_missing_source_directory(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        compile_alerts(tmp_path / "nowhere")
