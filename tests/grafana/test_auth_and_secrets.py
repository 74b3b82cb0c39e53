"""Credentials: which one is used is said, its value never appears anywhere."""

from __future__ import annotations

import base64
import json
import logging
import pickle
import traceback

import pytest
import requests

from mlmon.grafana.client import GrafanaClient
from mlmon.grafana.config import Secret, load_target
from mlmon.grafana.errors import GrafanaAuthError, GrafanaError
from tests.grafana.conftest import TOKEN
from tests.grafana.fake_grafana import Fault


def _everything_printed(result, caplog) -> str:
    return result.text + caplog.text


def test_bearer_token_and_org_header_are_sent(fake, tree, mlmon, monkeypatch):
    monkeypatch.setenv("GRAFANA_ORG_ID", "3")
    assert mlmon("push").code == 0
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for h in fake.headers_seen)
    assert all(h["X-Grafana-Org-Id"] == "3" for h in fake.headers_seen)


def test_basic_auth_from_user_and_password(fake, tree, mlmon, monkeypatch):
    fake.token, fake.user, fake.password = None, "deployer", "s3cret-pw"
    monkeypatch.delenv("GRAFANA_TOKEN")
    monkeypatch.setenv("GRAFANA_USER", "deployer")
    monkeypatch.setenv("GRAFANA_PASSWORD", "s3cret-pw")
    result = mlmon("push")
    assert result.code == 0, result.text
    expected = "Basic " + base64.b64encode(b"deployer:s3cret-pw").decode()
    assert fake.headers_seen[-1]["Authorization"] == expected
    assert "basic auth as user 'deployer' (password from GRAFANA_PASSWORD)" in result.err
    assert "s3cret-pw" not in result.text


def test_401_names_the_credential_kind_not_its_value(fake, tree, mlmon, caplog):
    fake.token = "a-different-token"
    result = mlmon("push")
    assert result.code == 1
    assert "rejected the service-account token from GRAFANA_TOKEN (401 Unauthorized" in result.err
    assert TOKEN not in _everything_printed(result, caplog)


def test_403_says_which_permission_is_missing(fake, tree, mlmon, caplog):
    fake.forbid("PUT", "/v1/provisioning")
    result = mlmon("push")
    assert result.code == 1
    assert (
        "the service-account token from GRAFANA_TOKEN is not allowed to do this (403 Forbidden"
        in result.out
    )
    assert "it needs alert.provisioning:write" in result.out
    assert TOKEN not in _everything_printed(result, caplog)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(500),
        Fault(raise_=requests.exceptions.ConnectionError),
        Fault(raise_=requests.exceptions.ReadTimeout),
    ],
)
def test_token_never_leaks_through_failures(fake, tree, mlmon, caplog, fault):
    caplog.set_level(logging.DEBUG)
    fake.fail("GET", r"^/health$", *[fault] * 4)
    result = mlmon("-v", "push")
    assert result.code == 1
    assert TOKEN not in _everything_printed(result, caplog)


def _exception_texts(exc: BaseException) -> str:
    texts = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts += [str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(401),
        Fault(403),
        Fault(412),
        Fault(500),
        Fault(400),
        Fault(raise_=requests.exceptions.ConnectionError),
    ],
)
def test_raised_errors_reprs_and_tracebacks_hold_no_token(fake, fault):
    target = load_target(env={"GRAFANA_URL": fake.url, "GRAFANA_TOKEN": TOKEN})
    client = GrafanaClient(target, sleep=lambda s: None)
    fake.folders["f"] = {"id": 1, "uid": "f", "title": "F", "version": 1}
    fake.fail("POST", r"^/dashboards/db$", *[fault] * 4)
    with pytest.raises(GrafanaError) as caught:
        client.upsert_dashboard(
            {
                "uid": "x",
                "title": "X",
                "schemaVersion": 39,
                "templating": {"list": []},
                "annotations": {"list": []},
            },
            "f",
            "mlmon push",
        )
    assert TOKEN not in _exception_texts(caught.value)
    assert TOKEN not in repr(target) + repr(client) + repr(client._session.auth) + repr(
        vars(target)
    )


def test_secret_does_not_print_or_pickle():
    secret = Secret(TOKEN)
    assert TOKEN not in f"{secret} {secret!r} {secret:>40}" + json.dumps({"s": str(secret)})
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.reveal() == TOKEN


def test_auth_error_class_for_401(fake):
    fake.token = "other"
    client = GrafanaClient(load_target(env={"GRAFANA_URL": fake.url, "GRAFANA_TOKEN": TOKEN}))
    with pytest.raises(GrafanaAuthError) as caught:
        client.search_dashboards()
    assert caught.value.status == 401


def test_tls_verification_uses_the_ca_bundle_and_timeout(fake, tree, mlmon, monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("GRAFANA_CA_BUNDLE", str(bundle))
    monkeypatch.setenv("GRAFANA_TIMEOUT", "3")
    assert mlmon("push").code == 0
    assert {(t["verify"], t["timeout"]) for t in fake.transport_seen} == {(str(bundle), 3.0)}


def test_tls_verification_is_on_by_default(fake, tree, mlmon):
    assert mlmon("push").code == 0
    # True, or the system CA bundle requests picks from REQUESTS_CA_BUNDLE; never off
    assert all(t["verify"] not in (False, None, "") for t in fake.transport_seen)


def test_missing_credential_says_what_to_set(fake, tree, mlmon, monkeypatch):
    monkeypatch.delenv("GRAFANA_TOKEN")
    result = mlmon("push")
    assert result.code == 1
    assert (
        "requires authentication (401) and no credential is set: export GRAFANA_TOKEN" in result.err
    )
    assert fake.requests[0] == (
        "GET",
        "/api/health",
    )  # anonymous health check first, then the refusal
