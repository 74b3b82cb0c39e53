"""Targets from GRAFANA_* variables and mlmon.toml; clear errors for bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlmon.grafana.config import load_target
from mlmon.grafana.errors import GrafanaConfigError

CONFIG = """
default_target = "staging"
timeout = 5

[targets.staging]
url = "https://grafana.staging.example.com"
token_env = "STAGING_TOKEN"

[targets.prod]
url = "https://grafana.example.com/grafana"
token_env = "PROD_TOKEN"
org_id = 2
attempts = 6
"""


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "mlmon.toml"
    path.write_text(CONFIG)
    return path


def test_environment_only():
    target = load_target(
        env={
            "GRAFANA_URL": "http://localhost:3000/",
            "GRAFANA_TOKEN": "t",
            "GRAFANA_ORG_ID": "4",
            "GRAFANA_TIMEOUT": "2.5",
        },
        config_path=None,
    )
    assert (target.url, target.org_id, target.timeout, target.verify) == (
        "http://localhost:3000/",
        4,
        2.5,
        True,
    )
    assert target.api_url == "http://localhost:3000/api"
    assert target.credential.kind == "token" and target.credential.source == "GRAFANA_TOKEN"


def test_selected_target_uses_its_own_token_variable(config):
    target = load_target(
        target="prod",
        config_path=config,
        env={"PROD_TOKEN": "p", "GRAFANA_TOKEN": "wrong", "GRAFANA_URL": "http://ignored"},
    )
    assert target.url == "https://grafana.example.com/grafana"
    assert target.credential.secret.reveal() == "p" and target.credential.source == "PROD_TOKEN"
    assert (target.org_id, target.attempts, target.timeout) == (2, 6, 5.0)


def test_default_target_applies_when_no_url_in_environment(config):
    target = load_target(config_path=config, env={"STAGING_TOKEN": "s"})
    assert target.name == "staging" and target.url == "https://grafana.staging.example.com"


def test_unknown_target_lists_the_defined_ones(config):
    with pytest.raises(
        GrafanaConfigError, match=r"no \[targets.qa\] table \(targets defined: prod, staging\)"
    ):
        load_target(target="qa", config_path=config, env={})


def test_missing_url_explains_how_to_set_it():
    with pytest.raises(GrafanaConfigError, match="set GRAFANA_URL"):
        load_target(env={}, config_path=None)


def test_userinfo_in_url_becomes_basic_auth_and_is_removed_from_the_url():
    target = load_target(env={"GRAFANA_URL": "http://admin:pw@localhost:3000"})
    assert target.url == "http://localhost:3000"
    assert target.credential.kind == "basic" and target.credential.user == "admin"


def test_ca_bundle_must_exist(tmp_path):
    with pytest.raises(GrafanaConfigError, match="CA bundle .* does not exist"):
        load_target(
            env={"GRAFANA_URL": "https://g", "GRAFANA_CA_BUNDLE": str(tmp_path / "nope.pem")}
        )
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert load_target(env={"GRAFANA_URL": "https://g"}, ca_bundle=str(bundle)).verify == str(
        bundle
    )


def test_folder_mapping_must_name_declared_folders(tmp_path):
    path = tmp_path / "mlmon.toml"
    path.write_text('[[folders]]\nuid = "ml"\ntitle = "ML"\n[dashboard_folders]\ndrift = "nope"\n')
    with pytest.raises(
        GrafanaConfigError, match="dashboard_folders.drift = 'nope' is not a declared folder"
    ):
        load_target(config_path=path, env={"GRAFANA_URL": "http://g"})


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "mlmon.toml"
    path.write_text("[targets\n")
    with pytest.raises(GrafanaConfigError, match="mlmon.toml: invalid TOML"):
        load_target(config_path=path, env={"GRAFANA_URL": "http://g"})


def test_cli_reports_config_errors_with_exit_2(mlmon, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRAFANA_URL", raising=False)
    result = mlmon("diff")
    assert result.code == 2
    assert result.err.startswith("error: no Grafana URL")


@pytest.mark.parametrize("command", ["push", "diff", "pull"])
def test_every_command_has_help(mlmon, command):
    with pytest.raises(SystemExit) as exited:
        mlmon(command, "--help")
    assert exited.value.code == 0


def test_explicit_target_beats_grafana_variables_but_flags_beat_both(config):
    env = {
        "PROD_TOKEN": "p",
        "GRAFANA_URL": "http://other",
        "GRAFANA_ORG_ID": "9",
        "GRAFANA_TIMEOUT": "1",
    }
    target = load_target(target="prod", config_path=config, env=env)
    assert (target.url, target.org_id, target.timeout) == (
        "https://grafana.example.com/grafana",
        2,
        5.0,
    )
    flagged = load_target(
        target="prod", config_path=config, env=env, org_id=7, url="http://flag:3000"
    )
    assert (flagged.url, flagged.org_id) == ("http://flag:3000", 7)
