"""The routing source compiles to an Alertmanager config amtool accepts and Grafana provisioning Grafana's schemas accept."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlmon.alerts import grafana_routing
from mlmon.alerts.alertmanager import with_timings
from mlmon.alerts.compiler import (
    ALERTMANAGER_FILE,
    NOTIFICATIONS_FILE,
    compile_alerts,
    load_sources,
)
from mlmon.alerts.envrefs import referenced, resolve
from mlmon.alerts.routing import route_for
from mlmon.errors import MlmonError, SourceError
from tests.alerts.conftest import ALERTS_SRC, grafana_reference, write_tree
from tests.support.processes import IN_CI, ROOT

GENERATED = ROOT / "generated"


def _amtool() -> str:
    path = shutil.which("amtool")
    if path:
        return path
    reason = "amtool is not installed (Debian: apt-get install prometheus-alertmanager)"
    if IN_CI:
        pytest.fail(f"{reason}; CI must install it (.ci/run)", pytrace=False)
    pytest.skip(reason)


def _amtool_check(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_amtool(), "check-config", str(config)], capture_output=True, text=True, timeout=60
    )


def test_generated_alertmanager_config_passes_amtool(compiled, tmp_path):
    root = write_tree(compiled, tmp_path)
    result = _amtool_check(root / ALERTMANAGER_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 receivers" in result.stdout and "1 templates" in result.stdout


def test_resolved_and_shortened_config_passes_amtool_too(compiled, tmp_path):
    root = write_tree(compiled, tmp_path)
    text = (root / ALERTMANAGER_FILE).read_text()
    env = {name: f"http://127.0.0.1:9/{name}" for name in referenced(text)}
    document = with_timings(yaml.safe_load(resolve(text, env)), group_wait="1s")
    (root / ALERTMANAGER_FILE).write_text(yaml.safe_dump(document))
    result = _amtool_check(root / ALERTMANAGER_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert document["route"]["group_wait"] == "1s"
    assert "group_wait" not in document["route"]["routes"][1]  # inherited, not invented


def test_a_broken_config_is_refused_by_amtool(compiled, tmp_path):
    """The amtool check can fail: a route to a receiver that does not exist."""
    root = write_tree(compiled, tmp_path)
    document = yaml.safe_load((root / ALERTMANAGER_FILE).read_text())
    document["route"]["routes"][0]["receiver"] = "nobody"
    (root / ALERTMANAGER_FILE).write_text(yaml.safe_dump(document))
    assert _amtool_check(root / ALERTMANAGER_FILE).returncode != 0


def test_no_secret_value_and_every_variable_named(compiled, monkeypatch):
    """Only variable names reach generated/: with the variables set, no value appears in any file."""
    routing = load_sources(ALERTS_SRC).routing
    names = routing.env_names()
    assert "MLMON_PAGERDUTY_ROUTING_KEY" in names and "MLMON_SMTP_PASSWORD" in names
    for name in names:
        monkeypatch.setenv(name, f"secret-value-of-{name}")
    again = compile_alerts(ALERTS_SRC)
    assert again == compiled
    blob = b"".join(again.values())
    assert b"secret-value-of" not in blob
    am = again[ALERTMANAGER_FILE].decode()
    grafana = again[NOTIFICATIONS_FILE].decode()
    assert set(referenced(am)) == set(names) - {"MLMON_PLATFORM_TEAMS_WEBHOOK_URL"}
    # Grafana configures SMTP server-wide: the email password is Alertmanager's only.
    assert set(re.findall(r"\$\{([A-Z0-9_]+)\}", grafana)) == set(names) - {"MLMON_SMTP_PASSWORD"}


def test_unset_variables_are_named_when_resolving():
    text = "url: https://mlmon-env.invalid/MLMON_A\nkey: https://mlmon-env.invalid/MLMON_B\n"
    with pytest.raises(MlmonError, match="MLMON_A, MLMON_B"):
        resolve(text, {})
    assert resolve(text, {"MLMON_A": "http://x/a", "MLMON_B": "k"}) == "url: http://x/a\nkey: k\n"


def test_committed_files_are_what_the_sources_compile_to(compiled):
    for path in (NOTIFICATIONS_FILE, ALERTMANAGER_FILE, "alerts/alertmanager/templates/mlmon.tmpl"):
        assert (GENERATED / path).read_bytes() == compiled[path], path


def test_every_rule_reaches_its_team_and_critical_ones_page():
    sources = load_sources(ALERTS_SRC)
    for group in sources.groups:
        for rule in group.rules:
            receivers = [r.receiver for r in route_for(sources.routing, dict(rule.labels))]
            team = rule.labels["team"]
            assert f"{team}-team" in receivers, (rule.title, receivers)
            assert ("oncall-pager" in receivers) == (rule.labels["severity"] == "critical")


# -- Grafana -------------------------------------------------------------------------------------


# Both reference files describe the Go structs, not their JSON: Alertmanager's WeekdayRange
# marshals as a string ("saturday", "monday:friday"), not as {begin, end} integers.
WEEKDAY_RANGE = {"type": "string"}


def _alerting_validator(definition: str) -> jsonschema.Draft7Validator:
    schema = copy.deepcopy(grafana_reference("alerting.jsonschema.json"))
    schema["definitions"]["WeekdayRange"] = WEEKDAY_RANGE
    return jsonschema.Draft7Validator({**schema, "$ref": f"#/definitions/{definition}"})


def _openapi_validator(definition: str) -> jsonschema.Draft4Validator:
    spec = grafana_reference("grafana-http-api.openapi2.json")
    definitions = copy.deepcopy(spec["definitions"])
    definitions["WeekdayRange"] = WEEKDAY_RANGE
    # The published file's contact-point type enum has a generator artefact: a leading space
    # on every value but the first (" webhook").
    kinds = definitions["EmbeddedContactPoint"]["properties"]["type"]
    kinds["enum"] = [kind.strip() for kind in kinds["enum"]]
    return jsonschema.Draft4Validator(
        {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    )


def _api_bodies(compiled) -> dict[str, list[dict]]:
    from mlmon.grafana.notifications import api_bodies

    return api_bodies(yaml.safe_load(compiled[NOTIFICATIONS_FILE]))


@pytest.mark.parametrize(
    "kind, alerting, openapi",
    [
        ("contact_points", "ContactPoint", "EmbeddedContactPoint"),
        ("policies", "NotificationPolicy", "Route"),
        ("mute_timings", "MuteTiming", "MuteTimeInterval"),
        ("templates", "NotificationTemplate", "NotificationTemplateContent"),
    ],
)
def test_api_bodies_validate_against_grafanas_schemas(compiled, kind, alerting, openapi):
    bodies = _api_bodies(compiled)[kind]
    assert bodies
    for body in bodies:
        shape = {k: v for k, v in body.items() if k != "name"} if kind == "templates" else body
        for validator, what in ((_alerting_validator(alerting), alerting),):
            errors = [e.message for e in validator.iter_errors(body)]
            assert errors == [], (what, body)
        errors = [e.message for e in _openapi_validator(openapi).iter_errors(shape)]
        assert errors == [], (openapi, shape)


def test_schema_check_catches_a_wrong_contact_point(compiled):
    body = copy.deepcopy(_api_bodies(compiled)["contact_points"][0])
    body["type"] = "carrier-pigeon"
    assert list(_alerting_validator("ContactPoint").iter_errors(body))


def test_provisioning_document_shape(compiled):
    document = yaml.safe_load(compiled[NOTIFICATIONS_FILE])
    assert document["apiVersion"] == 1
    names = [c["name"] for c in document["contactPoints"]]
    assert names == ["ml-team", "platform-team", "oncall-pager", "mlops-email"]
    kinds = {r["type"] for c in document["contactPoints"] for r in c["receivers"]}
    assert kinds == {"webhook", "slack", "teams", "pagerduty", "email"}
    uids = [r["uid"] for c in document["contactPoints"] for r in c["receivers"]]
    assert len(set(uids)) == len(uids)
    assert document["policies"][0]["receiver"] == "mlops-email"
    assert document["muteTimes"][0]["name"] == "weekends"
    assert 'define "mlmon.title"' in document["templates"][0]["template"]
    json.dumps(document)  # plain data only


# -- source errors -------------------------------------------------------------------------------


def _routing_error(tmp_path: Path, body: str) -> SourceError:
    src = tmp_path / "alerts_src"
    src.mkdir()
    (src / "routing.py").write_text("from mlmon.alerts.routing import *\n" + textwrap.dedent(body))
    with pytest.raises(SourceError) as info:
        compile_alerts(src)
    return info.value


def test_route_to_an_unknown_receiver_names_the_file(tmp_path):
    err = _routing_error(
        tmp_path,
        """
        routing = Routing(
            contact_points=[ContactPoint("ml", [Webhook(url=Env("HOOK"))])],
            policy=Policy(receiver="ml", group_by=("alertname",), group_wait="30s",
                          group_interval="5m", repeat_interval="4h",
                          routes=[Route(receiver="nobody", matchers={"team": "ml"})]),
        )
        """,
    )
    assert err.source.startswith("alerts_src/routing.py") and "'nobody'" in str(err)


def test_a_secret_must_be_an_env_reference_name(tmp_path):
    err = _routing_error(tmp_path, 'x = Env("https://hooks.slack.com/services/T0/B0/abc")\n')
    assert "environment variable name" in str(err) and err.source.startswith(
        "alerts_src/routing.py:"
    )


def test_template_with_dollar_is_refused(tmp_path):
    err = _routing_error(
        tmp_path,
        """
        routing = Routing(
            contact_points=[ContactPoint("ml", [Webhook(url=Env("HOOK"))])],
            policy=Policy(receiver="ml", group_by=("alertname",), group_wait="30s",
                          group_interval="5m", repeat_interval="4h"),
            templates=[Template("t", '{{ define "mlmon.title" }}{{ $x := 1 }}{{ end }}'
                                     '{{ define "mlmon.text" }}x{{ end }}')],
        )
        """,
    )
    assert err.item == "t" and "'$'" in str(err)


def test_integration_uids_are_stable():
    sources = load_sources(ALERTS_SRC)
    point = sources.routing.contact_points[0]
    assert grafana_routing.integration_uid(point, 0, "webhook") == "mlmon-ml-team-webhook-0"


def test_alert_build_is_byte_identical_across_processes_and_matches_the_commit(tmp_path):
    """Two cold `mlmon build --only alerts` with different hash seeds write the committed bytes."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        subprocess.run(
            [sys.executable, "-m", "mlmon", "build", "--only", "alerts", "--out", str(out)],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
            timeout=120,
        )
        outputs.append(
            {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        )
    committed = {
        p.relative_to(GENERATED).as_posix(): p.read_bytes()
        for p in (GENERATED / "alerts").rglob("*")
        if p.is_file()
    }
    assert outputs[0] == outputs[1] == committed
    assert {NOTIFICATIONS_FILE, ALERTMANAGER_FILE} <= set(committed)
