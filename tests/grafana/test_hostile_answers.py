"""Answers Grafana would not give (HTML, broken JSON, redirects) and the secrets they may echo.

Each is a clear one-line error with exit 2 (the URL does not lead to Grafana's API:
a configuration problem) — never a traceback, never a credential in the output.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest
import requests

from tests.grafana.conftest import TOKEN
from tests.grafana.fake_grafana import Fault

HTML = "<!doctype html><html><body>Sign in to Example SSO</body></html>"


def _html(status: int = 200) -> Fault:
    return Fault(status, {"Content-Type": "text/html; charset=utf-8"}, body=HTML)


@pytest.mark.parametrize(
    ("method", "path", "fault", "what"),
    [
        ("GET", r"^/search$", _html(), "text/html"),  # was a TypeError
        ("GET", r"^/folders/mlmon$", _html(), "text/html"),  # was an AttributeError
        (
            "GET",
            r"^/folders/mlmon$",
            Fault(200, {"Content-Type": "application/json"}, body='{"uid": "mlmon", '),
            "invalid JSON",
        ),  # was a JSONDecodeError
        ("GET", r"^/search$", Fault(200, {"Content-Type": "application/json"}, body='"ok"'), ""),
    ],
)
def test_non_json_answers_are_a_clear_error_with_exit_2(
    fake, tree, mlmon, method, path, fault, what
):
    fake.fail(method, path, fault)
    result = mlmon("push")
    assert result.code == 2, result.text
    line = result.err.strip().splitlines()[-1]
    assert line.startswith("error: ") and "Traceback" not in result.text
    assert "is not what Grafana's API answers" in line and what in line
    assert "GRAFANA_URL" in line
    assert fake.writes() == []


def test_port_out_of_range_is_a_configuration_error(fake, tree, mlmon, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", "http://u:p4ssw0rd@grafana.test:99999")
    result = mlmon("push")
    assert result.code == 2
    assert "port" in result.err and "0-65535" in result.err
    assert "p4ssw0rd" not in result.text


def test_url_without_scheme_does_not_print_its_password(fake, tree, mlmon, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", "admin:Pa55-w0rd-x@127.0.0.1:18400")  # the shape
    result = mlmon("push")
    assert result.code == 2
    assert "Pa55-w0rd-x" not in result.text
    assert "admin:<redacted>@127.0.0.1:18400" in result.err
    assert "http://" in result.err  # says what to write instead


def test_401_body_echoing_the_authorization_header_is_redacted(fake, tree, mlmon, caplog):
    echo = json.dumps({"message": f"invalid Authorization header: Bearer {TOKEN}"})
    fake.fail("GET", r"^/search$", Fault(401, body=echo))
    result = mlmon("push")
    assert result.code == 1
    assert "401 Unauthorized" in result.err
    assert TOKEN not in result.text + caplog.text
    assert "Bearer <redacted>" in result.err


def test_basic_auth_echoed_in_a_failure_is_redacted(fake, tree, mlmon, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    fake.token, fake.user, fake.password = None, "deployer", "s3cret-pw-123"
    monkeypatch.delenv("GRAFANA_TOKEN")
    monkeypatch.setenv("GRAFANA_USER", "deployer")
    monkeypatch.setenv("GRAFANA_PASSWORD", "s3cret-pw-123")
    encoded = base64.b64encode(b"deployer:s3cret-pw-123").decode()
    echo = f"upstream rejected Authorization: Basic {encoded} (password s3cret-pw-123)"
    fake.fail("POST", r"^/dashboards/db$", *[Fault(502, body=echo)] * 4)
    result = mlmon("push", "--concurrency", "1")
    assert result.code == 1
    printed = result.text + caplog.text
    assert "s3cret-pw-123" not in printed and encoded not in printed
    assert "failed with 502" in result.out


def test_credentials_in_the_datasource_url_are_not_printed(fake, tree, mlmon):
    result = mlmon("diff", "--datasource-url", "http://reader:prom-secret-9@prometheus:9090")
    assert "prom-secret-9" not in result.text
    assert "reader:<redacted>@prometheus:9090" in result.out


def test_write_applied_then_timed_out_then_409_is_success(fake, tree, mlmon, sleeps):
    """D11: the retried datasource POST meets the one that was applied; same resource -> created."""
    fake.fail("POST", r"^/datasources$", Fault(raise_=requests.exceptions.ReadTimeout, after=True))
    result = mlmon("push", "--datasource-url", "http://prometheus:9090")
    assert result.code == 0, result.text
    assert fake.datasources["prometheus"]["url"] == "http://prometheus:9090"
    assert "created   datasource prometheus" in result.out


def test_409_for_a_different_existing_datasource_is_still_reported(fake, tree, mlmon):
    fake.datasources["other"] = {
        "id": 1, "uid": "other", "name": "Prometheus", "type": "prometheus",
        "url": "http://elsewhere:9090", "access": "proxy", "orgId": 1, "version": 1,
    }  # fmt: skip
    result = mlmon("push", "--datasource-url", "http://prometheus:9090")
    assert result.code == 1
    assert "datasource 'Prometheus'" in result.out and "409" in result.out


@pytest.mark.parametrize("status", [307, 308, 302])
def test_redirect_to_another_origin_is_refused_and_sends_nothing_there(fake, tree, mlmon, status):
    """D11: a body (and the credential) never goes to a host GRAFANA_URL does not name."""
    elsewhere = "http://collector.test:8080"
    hits = []
    for method in ("GET", "POST", "PUT", "DELETE"):
        fake.mock.add_callback(
            method,
            f"{elsewhere}/api/dashboards/db",
            callback=lambda request: hits.append(request) or (200, {}, "{}"),
        )
    location = {"Location": f"{elsewhere}/api/dashboards/db"}
    fake.fail("POST", r"^/dashboards/db$", *[Fault(status, location)] * 3)
    result = mlmon("push")
    assert hits == []
    assert result.code == 1, result.text
    assert (
        "redirected POST /api/dashboards/db to another origin (http://collector.test:8080)"
        in result.out
    )
    assert "NOT applied (3)" in result.out


def test_redirect_of_the_health_check_to_https_names_the_url_to_use(fake, tree, mlmon):
    fake.fail("GET", r"^/health$", Fault(301, {"Location": "https://grafana.test:3000/api/health"}))
    result = mlmon("push")
    assert result.code == 2
    assert "to another origin (https://grafana.test:3000)" in result.err
    assert "set GRAFANA_URL to the address it redirects to" in result.err


def test_delete_applied_then_timed_out_is_not_reported_as_a_failure(fake, tmp_path, mlmon, sleeps):
    """The retried DELETE finds nothing (404): what prune wanted is done."""
    from tests.grafana.fixtures import dashboard, rule_group, write_generated

    generated = write_generated(
        tmp_path, [dashboard("keep", "Keep"), dashboard("gone", "Gone")], [rule_group()]
    )
    assert mlmon("push").code == 0
    (generated / "dashboards" / "gone.json").unlink()
    (generated / "alerts" / "grafana" / "mlmon-alerts-model-quality.json").unlink()
    lost = Fault(raise_=requests.exceptions.ReadTimeout, after=True)
    fake.fail("DELETE", r"^/dashboards/uid/gone$", lost)
    fake.fail("DELETE", r"rule-groups/model-quality$", lost)
    result = mlmon("push", "--prune")
    assert result.code == 0, result.text
    assert "deleted   dashboard gone" in result.out
    assert set(fake.dashboards) == {"keep"} and fake.rule_groups == {}
