"""The one redaction function: what it masks, what it leaves readable, and the log path."""

from __future__ import annotations

import base64
import logging

import pytest

from mlmon.grafana import transport
from mlmon.grafana.config import Secret, load_target
from mlmon.grafana.redact import MASK, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GRAFANA_URL 'admin:hunter2hunter@127.0.0.1:18400'", "hunter2hunter"),
        ("see https://ops:pa%40ss99@grafana.example.com/api", "pa%40ss99"),
        ('{"message": "bad header Authorization: Bearer abcdef0123456789"}', "abcdef0123456789"),
        ("upstream said: Authorization=ZGVwbG95ZXI6cHc9 rejected", "ZGVwbG95ZXI6cHc9"),
        ("sent Basic ZGVwbG95ZXI6czNjcmV0 to the proxy", "ZGVwbG95ZXI6czNjcmV0"),
        ("token glsa_AbCdEf0123456789_deadbeef was revoked", "glsa_AbCdEf0123456789_deadbeef"),
        ("key eyJrIjoiT0tTcG1pUlY2RnVKZTFVaDFsNFZXdE9ZWmNrMkZYbk was revoked", "eyJrIjoi"),
    ],
)
def test_credential_shapes_are_masked(text, secret):
    out = redact(text)
    assert secret not in out and MASK in out
    assert redact(out) == out  # idempotent


def test_registered_secrets_and_their_basic_auth_form_are_masked():
    load_target(
        env={
            "GRAFANA_URL": "http://g.test",
            "GRAFANA_USER": "deployer",
            "GRAFANA_PASSWORD": "plain words 42",
        }
    )
    encoded = base64.b64encode(b"deployer:plain words 42").decode()
    out = redact(f"the password is plain words 42; header {encoded}")
    assert "plain words 42" not in out and encoded not in out


def test_ordinary_messages_stay_readable():
    for text in (
        "basic auth as user 'deployer' (password from GRAFANA_PASSWORD)",
        "the service-account token from GRAFANA_TOKEN",
        "dashboard 'API overview' (uid mlmon-api): Grafana refused it with 400: bad request",
        "http://grafana.test:3000/api/dashboards/db",
    ):
        assert redact(text) == text


def test_log_records_of_the_transport_are_redacted(caplog):
    Secret("logged-secret-value")
    with caplog.at_level(logging.DEBUG):
        transport.log.warning("retrying %s with %s", "GET /api/search", "logged-secret-value")
    assert "logged-secret-value" not in caplog.text
    assert "retrying GET /api/search with <redacted>" in caplog.text
