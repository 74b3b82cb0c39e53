"""stack/docker-compose.yml as docker-compose resolves it (no Docker engine needed for `config`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlmon import promconfig
from tests.stack.stack_files import (
    COMPOSE_FILE,
    STACK,
    bind_mounts,
    example_env,
    mounts_by_target,
    raw_compose,
    resolved_compose,
    run_compose_config,
)

SERVICES = {"ml-api": 8000, "model-exporter": 8001, "prometheus": 9090, "grafana": 3000}
PASSWORD = "a-test-password-0123456789"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict:
    env_file = example_env(tmp_path_factory.mktemp("env"), GF_SECURITY_ADMIN_PASSWORD=PASSWORD)
    return resolved_compose(env_file, "--profile", "alertmanager")


def test_the_example_env_without_a_password_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    for env_file in (example_env(tmp_path), example_env(tmp_path, GF_SECURITY_ADMIN_PASSWORD="")):
        result = run_compose_config(env_file)
        assert result.returncode != 0
        assert "GF_SECURITY_ADMIN_PASSWORD is not set" in result.stderr
        assert "scripts/setup-monitoring.sh" in result.stderr


def test_the_example_env_with_a_password_is_accepted(stack: dict) -> None:
    assert set(SERVICES) <= set(stack["services"])
    grafana_env = stack["services"]["grafana"]["environment"]
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD"] == PASSWORD


def test_no_default_password_is_committed() -> None:
    text = COMPOSE_FILE.read_text() + (STACK / ".env.example").read_text()
    assert "admin123" not in text
    assert re.search(r"^GF_SECURITY_ADMIN_PASSWORD=$", (STACK / ".env.example").read_text(), re.M)


def test_compose_file_has_no_version_key_so_both_compose_generations_read_it() -> None:
    assert "version" not in raw_compose()


@pytest.mark.parametrize("service, port", sorted(SERVICES.items()))
def test_services_publish_their_ports_on_localhost_only(
    stack: dict, service: str, port: int
) -> None:
    published = stack["services"][service]["ports"]
    assert any(str(port) in str(p) and "127.0.0.1" in str(p) for p in published), published


@pytest.mark.parametrize("service", sorted(SERVICES) + ["alertmanager"])
def test_every_service_has_a_health_check_and_a_restart_policy(stack: dict, service: str) -> None:
    spec = stack["services"][service]
    assert spec["restart"] == "unless-stopped"
    assert spec["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    # The health check probes the port the service listens on inside its container.
    port = SERVICES.get(service, 9093)
    assert f"127.0.0.1:{port}/" in " ".join(spec["healthcheck"]["test"])


@pytest.mark.parametrize("service", ["prometheus", "grafana", "alertmanager"])
def test_third_party_images_are_pinned(stack: dict, service: str) -> None:
    image = stack["services"][service]["image"]
    assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+\.\d+", image), (
        f"{service}: image {image!r} is not pinned to a version"
    )


def test_startup_order_waits_for_health(stack: dict) -> None:
    services = stack["services"]
    assert services["model-exporter"]["depends_on"] == {"ml-api": {"condition": "service_healthy"}}
    assert services["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    # Prometheus starts even when the API or the exporter does not, so their targets show as down.
    assert "depends_on" not in services["prometheus"]


def test_api_and_exporter_share_the_prediction_log(stack: dict) -> None:
    services = stack["services"]
    db_paths = {
        name: services[name]["environment"]["METRICS_DB_PATH"]
        for name in ("ml-api", "model-exporter")
    }
    assert len(set(db_paths.values())) == 1
    db_dir = str(Path(db_paths["ml-api"]).parent)
    for name in db_paths:
        assert f"prediction-log:{db_dir}:rw" in services[name]["volumes"], services[name]["volumes"]
    assert "prediction-log" in stack["volumes"]


def test_exporter_gets_the_seed_environment_variables(tmp_path: Path) -> None:
    env_file = example_env(tmp_path, GF_SECURITY_ADMIN_PASSWORD=PASSWORD, EXPORT_INTERVAL="12")
    exporter = resolved_compose(env_file)["services"]["model-exporter"]
    assert exporter["environment"] == {
        "PROMETHEUS_PORT": "8001",
        "METRICS_DB_PATH": "/app/data/metrics.db",
        "EXPORT_INTERVAL": "12",
    }


@pytest.mark.parametrize("service", ["ml-api", "model-exporter"])
def test_our_containers_drop_privileges(stack: dict, service: str) -> None:
    spec = stack["services"][service]
    assert spec["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in spec["security_opt"]


def test_grafana_is_locked_down(stack: dict) -> None:
    env = stack["services"]["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GF_SECURITY_ADMIN_USER"] == "admin"


def test_prometheus_retention_and_config_file_come_from_the_env(tmp_path: Path) -> None:
    env_file = example_env(
        tmp_path,
        GF_SECURITY_ADMIN_PASSWORD=PASSWORD,
        PROMETHEUS_RETENTION="30d",
        PROMETHEUS_CONFIG="prometheus-alertmanager.yml",
    )
    command = resolved_compose(env_file)["services"]["prometheus"]["command"]
    assert "--storage.tsdb.retention.time=30d" in command
    assert "--config.file=/etc/prometheus/prometheus-alertmanager.yml" in command


def test_prometheus_default_config_file_is_a_committed_stack_config(stack: dict) -> None:
    command = stack["services"]["prometheus"]["command"]
    config_flag = next(arg for arg in command if arg.startswith("--config.file="))
    config_dir = mounts_by_target(stack["services"]["prometheus"])
    name = Path(config_flag.split("=", 1)[1]).name
    assert Path(config_dir["/etc/prometheus"], name).is_file()
    assert name in promconfig.STACK_CONFIG_FILES


def test_prometheus_sees_the_generated_rules_where_its_config_looks(stack: dict) -> None:
    mounts = mounts_by_target(stack["services"]["prometheus"])
    assert (
        Path(mounts[promconfig.STACK_RULES_DIR]).resolve()
        == (STACK.parent / "generated/alerts/prometheus").resolve()
    )


def test_alertmanager_is_optional(stack: dict) -> None:
    """Only started with the `alertmanager` profile, and nothing else waits for it."""
    services = stack["services"]
    assert services["alertmanager"]["profiles"] == ["alertmanager"]
    assert all("profiles" not in services[name] for name in SERVICES)
    assert all("alertmanager" not in services[name].get("depends_on", {}) for name in SERVICES)


def test_bind_mounted_stack_files_exist(stack: dict) -> None:
    """Every bind mount from stack/ exists (docker would create a missing one as an empty directory)."""
    for name, service in stack["services"].items():
        for source, target in bind_mounts(service):
            if "/generated/" in source:
                continue  # built by `make dashboards`; checked in test_provisioning.py
            assert Path(source).exists(), f"{name}: {source} (mounted at {target}) does not exist"


def test_alertmanager_config_routes_to_a_declared_receiver(stack: dict) -> None:
    # The generated routing (alerts_src/routing.py), which stack/alertmanager/start.sh resolves.
    mounts = mounts_by_target(stack["services"]["alertmanager"])
    config = yaml.safe_load(Path(mounts["/etc/mlmon/alertmanager"], "alertmanager.yml").read_text())
    receivers = {receiver["name"] for receiver in config["receivers"]}
    assert config["route"]["receiver"] in receivers


def _seconds(value: object) -> float:
    """Compose durations (``40s``, ``1m30s``) or the nanoseconds some compose versions print."""
    if isinstance(value, int | float):
        return value / 1e9 if value > 10_000 else float(value)
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", str(value)))


def _bytes(value: object) -> int:
    if isinstance(value, int):
        return value
    number, unit = re.fullmatch(r"(\d+)([kmg]?)b?", str(value).lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_prometheus_has_no_unauthenticated_lifecycle_api(stack: dict) -> None:
    """D13: --web.enable-lifecycle lets anyone who reaches :9090 POST /-/quit or /-/reload."""
    command = stack["services"]["prometheus"]["command"]
    assert not any("enable-lifecycle" in arg for arg in command)
    code = [line.split("#", 1)[0] for line in COMPOSE_FILE.read_text().splitlines()]
    assert not any("enable-lifecycle" in line for line in code)


@pytest.mark.parametrize("service", sorted(SERVICES) + ["alertmanager"])
def test_every_service_has_resource_limits_and_a_stop_grace_period(
    stack: dict, service: str
) -> None:
    spec = stack["services"][service]
    assert _bytes(spec["mem_limit"]) >= 128 * 1024**2
    assert 0 < float(spec["cpus"]) <= 4
    assert 0 < int(spec["pids_limit"]) <= 4096
    assert _seconds(spec["stop_grace_period"]) >= 10


def test_the_api_gets_longer_to_stop_than_its_writer_drains(stack: dict) -> None:
    """Docker's default 10 s would SIGKILL the API while its prediction-log writer drains (up to 30 s)."""
    writer_drain_seconds = 30  # the prediction-log writer's close(timeout=30.0) in exporter/
    assert _seconds(stack["services"]["ml-api"]["stop_grace_period"]) > writer_drain_seconds


def test_limits_can_be_changed_in_the_env(tmp_path: Path) -> None:
    env_file = example_env(tmp_path, GF_SECURITY_ADMIN_PASSWORD=PASSWORD, ML_API_MEMORY="3g")
    assert _bytes(resolved_compose(env_file)["services"]["ml-api"]["mem_limit"]) == 3 * 1024**3


@pytest.mark.parametrize("service", ["prometheus", "grafana", "alertmanager"])
def test_third_party_images_can_be_pinned_by_digest_in_the_env(
    tmp_path: Path, service: str
) -> None:
    """No registry is reachable from CI, so digests are not committed; a site pins the ones it verified."""
    default = raw_compose()["services"][service]["image"]
    variable = re.search(r"\$\{(\w+_IMAGE):-", default).group(1)
    digest = "sha256:" + "ab" * 32
    tag = re.search(r":-([^}]+)\}", default).group(1)
    env_file = example_env(
        tmp_path, GF_SECURITY_ADMIN_PASSWORD=PASSWORD, **{variable: f"{tag}@{digest}"}
    )
    assert (
        resolved_compose(env_file, "--profile", "alertmanager")["services"][service]["image"]
        == f"{tag}@{digest}"
    )
