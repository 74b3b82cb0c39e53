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


def test_fake_runs_without_the_reference_files(monkeypatch, tmp_path, capsys):
    """A clone without ../shared/: the fake still behaves like Grafana, minus schema checks."""
    from mlmon import cli
    from tests.grafana import fake_grafana
    from tests.grafana.fixtures import standard_tree

    monkeypatch.setattr(fake_grafana, "OPENAPI", tmp_path / "missing" / "openapi.json")
    assert not fake_grafana.schemas_available()
    monkeypatch.setenv("GRAFANA_URL", FakeGrafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", "t")
    monkeypatch.chdir(tmp_path)
    standard_tree(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        bare = FakeGrafana(token="t").install(mock)
        assert not bare.validating
        assert cli.main(["push"]) == 0, capsys.readouterr()
        assert set(bare.dashboards) == {"mlmon-api", "mlmon-drift", "mlmon-model"}
        bare.reset_log()
        assert cli.main(["push"]) == 0 and bare.writes() == []
    assert bare.violations == []


@pytest.mark.slow
def test_grafana_suite_in_a_clone_without_shared_skips_only_schema_checks(tmp_path):
    """Run tests/grafana as a bare clone would (MLMON_SHARED_DIR at a missing directory)."""
    import os
    import subprocess
    import sys

    from tests.support.processes import ROOT

    env = {**os.environ, "MLMON_SHARED_DIR": str(tmp_path / "no-shared"), "CI": ""}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/grafana", "-q", "-rs", "-p", "no:cacheprovider"]
        + ["-k", "not clone_without_shared", "-m", "not slow"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    skips = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    skipped = sum(int(line.split("[")[1].split("]")[0]) for line in skips)
    # exactly the tests that check the fake's schema validation skip, nothing else
    assert skipped == 5, run.stdout[-3000:]
    assert all("Grafana reference schemas not found" in line for line in skips)
    assert "passed" in run.stdout.splitlines()[-1]
