"""The single Prometheus config template: the stack's committed files, promtool, and a real Prometheus."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlmon import promconfig
from tests.stack.stack_files import FIXTURES, GENERATED, STACK
from tests.support.processes import ROOT, Prometheus, require_tool, wait_until

RULES_DIR = GENERATED / "alerts" / "prometheus"


def rule_files() -> list[Path]:
    """The generated Prometheus rule files, or the fixture while none is built."""
    return sorted(RULES_DIR.glob("*.rules.yml")) or [FIXTURES / "fixture.rules.yml"]


@pytest.mark.parametrize("name, with_alertmanager", sorted(promconfig.STACK_CONFIG_FILES.items()))
def test_committed_stack_config_is_the_rendered_template(
    name: str, with_alertmanager: bool
) -> None:
    committed = (STACK / "prometheus" / name).read_text()
    assert committed == promconfig.render_stack_config(with_alertmanager=with_alertmanager), (
        f"stack/prometheus/{name} is stale: regenerate it with "
        f"`python -m mlmon.promconfig --stack{' --with-alertmanager' if with_alertmanager else ''} > stack/prometheus/{name}`"
    )


def test_cli_renders_the_stack_config() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mlmon.promconfig", "--stack"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert out == (STACK / "prometheus" / "prometheus.yml").read_text()


def test_cli_help_and_usage_error() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "mlmon.promconfig", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--stack" in help_text and "--api-target" in help_text
    usage = subprocess.run(
        [sys.executable, "-m", "mlmon.promconfig"], capture_output=True, text=True
    )
    assert usage.returncode == 2 and "--stack" in usage.stderr


def test_stack_config_scrapes_both_services_under_the_contract_job_names() -> None:
    config = yaml.safe_load(promconfig.render_stack_config())
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert jobs == {"ml-api": ["ml-api:8000"], "model-exporter": ["model-exporter:8001"]}
    assert config["rule_files"] == ["/etc/prometheus/rules/*.rules.yml"]
    assert "alerting" not in config
    with_am = yaml.safe_load(promconfig.render_stack_config(with_alertmanager=True))
    assert with_am["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager:9093"
    ]


def test_rendering_is_deterministic_and_evaluation_defaults_to_scrape_interval() -> None:
    kwargs = dict(
        api_targets=["127.0.0.1:8000"],
        exporter_targets=["127.0.0.1:8001"],
        rule_files=["a.rules.yml"],
        scrape_interval="5s",
    )
    first = promconfig.render_prometheus_config(**kwargs)
    assert first == promconfig.render_prometheus_config(**kwargs)
    assert yaml.safe_load(first)["global"] == {"scrape_interval": "5s", "evaluation_interval": "5s"}


def test_a_job_without_targets_is_left_out() -> None:
    config = yaml.safe_load(
        promconfig.render_prometheus_config(api_targets=[], exporter_targets=["h:1"], rule_files=[])
    )
    assert [job["job_name"] for job in config["scrape_configs"]] == ["model-exporter"]


@pytest.mark.parametrize("name", sorted(promconfig.STACK_CONFIG_FILES))
def test_promtool_accepts_the_committed_stack_configs(name: str) -> None:
    promtool = require_tool("promtool")
    result = subprocess.run(
        [promtool, "check", "config", str(STACK / "prometheus" / name)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_config_with_the_rule_files(tmp_path: Path) -> None:
    """`promtool check config` also checks every rule file the config names."""
    promtool = require_tool("promtool")
    rules = [shutil.copy(path, tmp_path / path.name) for path in rule_files()]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        promconfig.render_prometheus_config(
            api_targets=["127.0.0.1:8000"],
            exporter_targets=["127.0.0.1:8001"],
            rule_files=["*.rules.yml"],
            alertmanager_targets=["127.0.0.1:9093"],
        )
    )
    result = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for rule in rules:
        assert Path(rule).name in result.stdout + result.stderr


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.name)
def test_promtool_accepts_the_rule_files(rule_file: Path) -> None:
    promtool = require_tool("promtool")
    result = subprocess.run(
        [promtool, "check", "rules", str(rule_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.prometheus
def test_prometheus_loads_the_rendered_config_jobs_and_rules(tmp_path: Path) -> None:
    for path in rule_files():
        shutil.copy(path, tmp_path / path.name)
    groups_expected = {
        group["name"]
        for path in rule_files()
        for group in yaml.safe_load(path.read_text())["groups"]
    }
    config = promconfig.render_prometheus_config(
        # Nothing listens on port 1: the targets stay down, which is enough to see the jobs.
        api_targets=["127.0.0.1:1"],
        exporter_targets=["127.0.0.1:1"],
        rule_files=[str(tmp_path / "*.rules.yml")],
        scrape_interval="1s",
    )
    with Prometheus(config, tmp_path) as prometheus:
        loaded = {group["name"] for group in prometheus.api("rules")["groups"]}
        assert loaded == groups_expected
        expected = {promconfig.API_JOB, promconfig.EXPORTER_JOB}

        def jobs() -> set[str]:
            return {t["labels"]["job"] for t in prometheus.api("targets")["activeTargets"]}

        # Prometheus discovers targets asynchronously: the first answer may list one job only.
        try:
            wait_until(
                lambda: jobs() == expected, timeout=30, what="Prometheus to list both scrape jobs"
            )
        except TimeoutError:
            assert jobs() == expected
