"""The fake is only worth its tests if it refuses what Grafana would: check that it does."""

from __future__ import annotations

import pytest
import requests
import responses

from tests.grafana.fake_grafana import FakeGrafana, require_schemas
from tests.grafana.fixtures import dashboard

AUTH = {"Authorization": "Bearer t"}


@pytest.fixture
def strict():
    require_schemas()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGrafana(token="t").install(mock)


def test_body_against_openapi(strict):
    answer = requests.post(f"{strict.url}/api/folders", json={"title": 42}, headers=AUTH)
    assert answer.status_code == 422
    assert "violates the OpenAPI schema" in strict.violations[0]


def test_unknown_endpoint(strict):
    assert (
        requests.post(
            f"{strict.url}/api/dashboards/import-everything", json={}, headers=AUTH
        ).status_code
        == 422
    )
    assert "not an operation of Grafana's HTTP API" in strict.violations[0]


def test_dashboard_against_dashboard_schema(strict):
    legacy = {**dashboard("d", "D"), "rows": []}  # grafanalib's legacy key
    answer = requests.post(
        f"{strict.url}/api/dashboards/db", json={"dashboard": legacy, "folderUid": ""}, headers=AUTH
    )
    assert answer.status_code == 422
    assert "rows" in strict.violations[0]


def test_missing_folder_uid_is_flagged(strict):
    requests.post(
        f"{strict.url}/api/dashboards/db", json={"dashboard": dashboard("d", "D")}, headers=AUTH
    )
    assert "sent without folderUid" in strict.violations[0]


def test_versions_and_412(strict):
    requests.post(f"{strict.url}/api/folders", json={"uid": "f", "title": "F"}, headers=AUTH)
    body = {"dashboard": dashboard("d", "D"), "folderUid": "f", "message": "mlmon"}
    assert (
        requests.post(f"{strict.url}/api/dashboards/db", json=body, headers=AUTH).json()["version"]
        == 1
    )
    stale = requests.post(f"{strict.url}/api/dashboards/db", json=body, headers=AUTH)
    assert stale.status_code == 412 and stale.json()["status"] == "version-mismatch"
    body["dashboard"]["version"] = 1
    assert (
        requests.post(f"{strict.url}/api/dashboards/db", json=body, headers=AUTH).json()["version"]
        == 2
    )
    assert (
        requests.post(
            f"{strict.url}/api/folders", json={"uid": "f", "title": "F"}, headers=AUTH
        ).status_code
        == 409
    )
    assert strict.violations == []
