"""The Grafana output: provisioning-API bodies valid for Grafana, and the file-provisioning document."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml

from mlmon.alerts.compiler import GRAFANA_DIR, PROVISIONING_FILE, compile_alerts
from mlmon.alerts.uids import rule_uid
from tests.alerts.conftest import ALERTS_SRC, grafana_reference
from tests.support.processes import ROOT

PUT_RULE_GROUP = "/v1/provisioning/folder/{FolderUID}/rule-groups/{Group}"


def _bodies(compiled: dict[str, bytes]) -> dict[str, dict]:
    return {
        k: json.loads(v)
        for k, v in compiled.items()
        if k.startswith(GRAFANA_DIR) and k.endswith(".json")
    }


def _rules(compiled):
    return [rule for body in _bodies(compiled).values() for rule in body["rules"]]


def _validator(document: dict, definition: str, cls=jsonschema.Draft7Validator):
    schema = {"$ref": f"#/definitions/{definition}", "definitions": document["definitions"]}
    return cls(schema)


@pytest.fixture(scope="module")
def alerting_schema() -> dict:
    return grafana_reference("alerting.jsonschema.json")


@pytest.fixture(scope="module")
def put_body_validator() -> jsonschema.Draft4Validator:
    """The body schema of PUT .../rule-groups/{Group} in Grafana's OpenAPI 2 description.

    One correction: the generated Swagger types ``for`` as the integer
    ``Duration``, but Grafana declares it ``model.Duration`` from
    prometheus/common, whose JSON is a duration string ("5m") — as the
    alerting JSON schema (from Grafana's OpenAPI 3) says. An integer would be
    rejected by Grafana's JSON decoder.
    """
    api = copy.deepcopy(grafana_reference("grafana-http-api.openapi2.json"))
    put = api["paths"][PUT_RULE_GROUP]["put"]
    assert "application/json" in put["consumes"]
    (body,) = [p for p in put["parameters"] if p["in"] == "body"]
    api["definitions"]["ProvisionedAlertRule"]["properties"]["for"] = {"type": "string"}
    return jsonschema.Draft4Validator({**body["schema"], "definitions": api["definitions"]})


def test_one_body_per_group_named_folder_dash_group(compiled):
    bodies = _bodies(compiled)
    modules = sorted(
        p for p in ALERTS_SRC.glob("*.py") if not p.name.startswith("_") and p.stem != "routing"
    )
    assert len(bodies) == len(modules) >= 5
    for key, body in bodies.items():
        assert key == f"{GRAFANA_DIR}/{body['folderUid']}-{body['title']}.json"
        assert set(body) == {"title", "folderUid", "interval", "rules"}
        assert all(
            r["ruleGroup"] == body["title"] and r["folderUID"] == body["folderUid"]
            for r in body["rules"]
        )


def test_every_rule_validates_against_grafanas_rule_schema(compiled, alerting_schema):
    validator = _validator(alerting_schema, "Rule")
    for rule in _rules(compiled):
        errors = [e.message for e in validator.iter_errors(rule)]
        assert errors == [], f"{rule['title']}: {errors}"


def test_every_group_validates_against_grafanas_rule_group_schema(compiled, alerting_schema):
    validator = _validator(alerting_schema, "RuleGroup")
    for key, body in _bodies(compiled).items():
        assert [e.message for e in validator.iter_errors(body)] == [], key


def test_every_body_is_a_valid_put_rule_group_request(compiled, put_body_validator):
    for key, body in _bodies(compiled).items():
        assert [e.message for e in put_body_validator.iter_errors(body)] == [], key


def test_schemas_reject_what_grafana_rejects(compiled, alerting_schema, put_body_validator):
    """The checks above are not vacuous: grafanalib's nested shape and broken rules fail them."""
    body = next(iter(_bodies(compiled).values()))
    rule_validator = _validator(alerting_schema, "Rule")
    rule = body["rules"][0]
    nested = {
        "for": rule["for"],
        "labels": rule["labels"],
        "annotations": rule["annotations"],
        "grafana_alert": {"title": rule["title"], "condition": "C", "data": rule["data"]},
    }
    assert not rule_validator.is_valid(nested)
    assert not rule_validator.is_valid({**rule, "uid": "x" * 41})
    assert not rule_validator.is_valid({k: v for k, v in rule.items() if k != "orgID"})
    assert not put_body_validator.is_valid({**body, "interval": "1m"})
    assert not put_body_validator.is_valid(
        {**body, "rules": [{**rule, "uid": "no spaces allowed"}]}
    )


def test_condition_is_a_threshold_on_the_last_value_of_the_prometheus_query(compiled):
    for rule in _rules(compiled):
        steps = {d["refId"]: d for d in rule["data"]}
        assert rule["condition"] == "C" and list(steps) == ["A", "B", "C"]
        assert steps["A"]["model"]["expr"] and steps["A"]["model"]["instant"] is True
        reduce = steps["B"]["model"]
        assert (reduce["type"], reduce["reducer"], reduce["expression"]) == ("reduce", "last", "A")
        threshold = steps["C"]["model"]
        assert threshold["type"] == "threshold" and threshold["expression"] == "B"
        evaluator = threshold["conditions"][0]["evaluator"]
        assert evaluator["type"] in {"gt", "lt"} and isinstance(
            evaluator["params"][0], (int, float)
        )
        assert steps["B"]["datasourceUid"] == steps["C"]["datasourceUid"] == "__expr__"


def test_rules_carry_severity_summary_description_and_runbook(compiled):
    for rule in _rules(compiled):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert {"summary", "description", "runbook"} <= set(rule["annotations"])
        assert re.fullmatch(r"[0-9]+[smh]", rule["for"])


def test_annotations_name_the_offending_feature_or_model(compiled):
    by_title = {r["title"]: r for r in _rules(compiled)}
    assert "{{ $labels.feature }}" in by_title["DataDriftDetected"]["annotations"]["summary"]
    assert "{{ $labels.model_name }}" in by_title["ModelAccuracyLow"]["annotations"]["summary"]


def test_value_template_reads_the_reduced_value_in_grafana(compiled):
    """Grafana's $value is a debug string of all steps; the number is $values.B.Value."""
    accuracy = next(r for r in _rules(compiled) if r["title"] == "ModelAccuracyLow")
    assert "{{ $values.B.Value | humanizePercentage }}" in accuracy["annotations"]["description"]
    assert "$value " not in json.dumps(_rules(compiled))
    prometheus = compiled["alerts/prometheus/model-performance.rules.yml"].decode()
    assert "{{ $value | humanizePercentage }}" in prometheus


def test_rule_uids_are_stable_unique_and_valid(compiled):
    rules = _rules(compiled)
    uids = [r["uid"] for r in rules]
    assert len(set(uids)) == len(uids)
    for rule in rules:
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", rule["uid"])
        assert rule["uid"] == rule_uid(rule["ruleGroup"], rule["title"])
    assert rule_uid("data-drift", "DataDriftDetected") == "data-drift-data-drift-detected"
    long_uid = rule_uid("a-very-long-rule-group-name", "AndAnEvenLongerAlertRuleTitleThanThat")
    assert len(long_uid) == 40 and long_uid == rule_uid(
        "a-very-long-rule-group-name", "AndAnEvenLongerAlertRuleTitleThanThat"
    )


def test_datasource_uid_is_configurable():
    files = compile_alerts(ALERTS_SRC, datasource_uid="prom-main")
    for key, content in files.items():
        if key.endswith(".json"):
            for rule in json.loads(content)["rules"]:
                query = rule["data"][0]
                assert query["datasourceUid"] == query["model"]["datasource"]["uid"] == "prom-main"
    assert b"prom-main" in files[PROVISIONING_FILE]


def test_default_datasource_is_the_stacks_prometheus(compiled):
    assert {r["data"][0]["datasourceUid"] for r in _rules(compiled)} == {"prometheus"}


def test_file_provisioning_holds_the_same_rules(compiled):
    document = yaml.safe_load(compiled[PROVISIONING_FILE])
    assert document["apiVersion"] == 1
    bodies = {b["title"]: b for b in _bodies(compiled).values()}
    assert sorted(g["name"] for g in document["groups"]) == sorted(bodies)
    for group in document["groups"]:
        body = bodies[group["name"]]
        assert group["orgId"] == 1 and group["interval"] == "1m"
        assert (group["folder"], body["folderUid"]) == (
            "ML Monitoring",
            "mlmon",
        )  # beside the dashboards
        assert body["interval"] == 60
        expected = [
            {k: v for k, v in r.items() if k not in {"orgID", "folderUID", "ruleGroup"}}
            for r in body["rules"]
        ]
        assert group["rules"] == expected


def test_output_is_deterministic(compiled):
    assert compile_alerts(ALERTS_SRC) == compiled


def test_committed_generated_alerts_are_up_to_date(compiled):
    """generated/alerts/ is what `mlmon build` writes from alerts_src/ (reviewers read its diffs)."""
    generated = ROOT / "generated"
    on_disk = {
        str(p.relative_to(generated)): p.read_bytes()
        for p in (generated / "alerts").rglob("*")
        if p.is_file()
    }
    assert sorted(on_disk) == sorted(compiled), "run `make alerts` and commit generated/alerts/"
    stale = [k for k in compiled if on_disk[k] != compiled[k]]
    assert stale == [], "run `make alerts` and commit generated/alerts/"


def _grafana_file_value(text: str, env: dict[str, str]) -> str:
    """What Grafana makes of a string field of a provisioning file (``interpolateValue`` in its
    ``pkg/services/provisioning/values``): ``$$`` is a literal ``$``; ``$NAME`` and ``${NAME}`` are
    replaced by the environment variable, empty when unset."""
    expand = re.compile(r"\$(\{([^}]*)\}|([A-Za-z0-9_]+))")
    return "$".join(
        expand.sub(lambda m: env.get(m.group(2) or m.group(3), ""), part)
        for part in text.split("$$")
    )


def test_file_provisioning_escapes_dollars_where_grafana_expands_environment_variables(tmp_path):
    """A templated label ("{{ $labels.team }}") would load as "{{ .team }}" from a provisioning file
    (grafana/grafana#78118): the file writes it with $$, which Grafana reads back as the rule's own text.
    Annotations are not expanded by Grafana and stay as written."""
    import textwrap

    source = textwrap.dedent(
        """\
        from grafanalib.core import AlertRulev9, AlertExpression, Target, GreaterThan
        from mlmon.alerts import rule_group
        from mlmon.alerts.threshold import threshold

        group = rule_group("drift", [AlertRulev9(
            title="DriftOwnedByTeam",
            triggers=[Target(expr="data_drift_detected", refId="A"),
                      AlertExpression(refId="B", expression="A", expressionType="reduce", reduceFunction="last"),
                      threshold("C", "B", GreaterThan(0))],
            condition="C",
            labels={"severity": "warning", "team": "{{ $labels.team }}", "cost": "$HOME 5$"},
            annotations={"summary": "drift in {{ $labels.feature }}", "description": "d"},
        )])
        """
    )
    src = tmp_path / "alerts_src"
    src.mkdir()
    (src / "drift.py").write_text(source)
    compiled = compile_alerts(src)
    (body,) = _bodies(compiled).values()
    (api_rule,) = body["rules"]
    (group,) = yaml.safe_load(compiled[PROVISIONING_FILE])["groups"]
    (file_rule,) = group["rules"]
    assert api_rule["labels"]["team"] == "{{ $labels.team }}"  # API bodies are never expanded
    assert file_rule["labels"]["team"] == "{{ $$labels.team }}"
    env = {"HOME": "/root", "labels": "", "team": "x"}
    for key, value in api_rule["labels"].items():
        assert _grafana_file_value(file_rule["labels"][key], env) == value, key
    for field in ("uid", "title", "condition", "noDataState", "execErrState", "for"):
        assert _grafana_file_value(file_rule[field], env) == api_rule[field], field
    assert _grafana_file_value(group["name"], env) == body["title"]
    assert file_rule["annotations"] == api_rule["annotations"]  # read raw by Grafana
    assert file_rule["data"] == api_rule["data"]  # likewise
