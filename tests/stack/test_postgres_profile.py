"""The stack's `postgres` profile: API replicas and exporter shards on one PostgreSQL log (docs/scaling.md)."""

from __future__ import annotations

import subprocess

import pytest

from mlmon import promconfig
from tests.stack.stack_files import STACK, example_env, raw_compose, resolved_compose
from tests.support.processes import require_tool

PASSWORD = "a-test-password-0123456789"
DB_PASSWORD = "pgTestPassword0123456789"
REPLICAS = {"ml-api-replica-1", "ml-api-replica-2"}
SHARDS = {"model-exporter-shard-0": "0/2", "model-exporter-shard-1": "1/2"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict:
    env_file = example_env(
        tmp_path_factory.mktemp("env"),
        GF_SECURITY_ADMIN_PASSWORD=PASSWORD,
        POSTGRES_PASSWORD=DB_PASSWORD,
        PROMETHEUS_CONFIG=promconfig.STACK_SCALE_OUT_FILE,
    )
    return resolved_compose(env_file, "--profile", "postgres")


def test_the_profile_runs_replicas_and_shards_on_one_postgres_log(stack: dict) -> None:
    services = stack["services"]
    assert {"postgres", *REPLICAS, *SHARDS} <= set(services)
    url = f"postgresql://mlmon:{DB_PASSWORD}@postgres:5432/mlmon"
    for name in REPLICAS:
        assert services[name]["environment"]["METRICS_DB_URL"] == url
    for name, shard in SHARDS.items():
        assert services[name]["environment"]["METRICS_DB_URL"] == url
        assert services[name]["environment"]["EXPORTER_SHARD"] == shard
    assert "ports" not in services["postgres"]  # only the stack's services reach the log
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == DB_PASSWORD


def test_the_profile_is_off_by_default_and_has_no_default_password() -> None:
    raw = raw_compose()["services"]
    for name in ("postgres", *REPLICAS, *SHARDS):
        assert raw[name]["profiles"] == ["postgres"]
    assert "POSTGRES_PASSWORD:-}" in raw["postgres"]["environment"]["POSTGRES_PASSWORD"]


def test_prometheus_config_of_the_profile_is_rendered_from_the_template_and_scrapes_every_target() -> (
    None
):
    committed = (STACK / "prometheus" / promconfig.STACK_SCALE_OUT_FILE).read_text()
    assert committed == promconfig.render_stack_scale_out_config(), (
        "stale: python -m mlmon.promconfig --stack --scale-out > stack/prometheus/prometheus-postgres.yml"
    )
    targets = {f"{name}:8000" for name in REPLICAS} | {f"{name}:8001" for name in SHARDS}
    assert targets == set(promconfig.STACK_SCALE_OUT_API_TARGETS) | set(
        promconfig.STACK_SCALE_OUT_EXPORTER_TARGETS
    )


def test_promtool_accepts_the_profile_config(tmp_path) -> None:
    promtool = require_tool("promtool")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        promconfig.render_stack_scale_out_config().replace(
            "/etc/prometheus/rules/*.rules.yml", str(tmp_path / "*.rules.yml")
        )
    )
    result = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
