"""Where the stack's files are, and the resolved compose configuration the stack tests inspect."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.processes import IN_CI, ROOT, require_tool

STACK = ROOT / "stack"
COMPOSE_FILE = STACK / "docker-compose.yml"
ENV_EXAMPLE = STACK / ".env.example"
SETUP_SCRIPT = ROOT / "scripts" / "setup-monitoring.sh"
GENERATED = ROOT / "generated"
GRAFANA_PROVISIONING = STACK / "grafana" / "provisioning"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Variables compose would otherwise pick up from the developer's shell.
_COMPOSE_VARS_PREFIXES = ("GF_", "MLMON_", "COMPOSE_", "PROMETHEUS_", "EXPORT_")


def require_generated(path: Path, what: str) -> Path:
    """``path`` under generated/; skip while it is not built yet, fail under CI (generated/ is committed)."""
    if path.exists():
        return path
    reason = f"{path.relative_to(ROOT)} does not exist yet ({what}; `make dashboards` writes it)"
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def example_env(tmp_path: Path, **overrides: str) -> Path:
    """A copy of stack/.env.example with ``overrides`` applied (KEY=value lines replaced or added)."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    for key, value in overrides.items():
        lines = [line for line in lines if not line.startswith(f"{key}=")] + [f"{key}={value}"]
    env_file = tmp_path / "stack.env"
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def run_compose_config(env_file: Path, *extra_args: str) -> subprocess.CompletedProcess:
    """``docker-compose --env-file ENV -f stack/docker-compose.yml config`` in a clean environment."""
    binary = require_tool("docker-compose")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_COMPOSE_VARS_PREFIXES)}
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *extra_args, "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def resolved_compose(env_file: Path, *extra_args: str) -> dict:
    """The compose file after interpolation, as docker-compose resolves it; fails with its stderr."""
    result = run_compose_config(env_file, *extra_args)
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    return yaml.safe_load(result.stdout)


def raw_compose() -> dict:
    """The compose file as written (no interpolation; for checks that need no docker-compose)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


def bind_mounts(service: dict) -> list[tuple[str, str]]:
    """(host source, container target) of a resolved service's bind mounts."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
            continue
        source, target = volume.split(":")[:2]
        if source.startswith(("/", ".")):
            mounts.append((source, target))
    return mounts


def mounts_by_target(service: dict) -> dict[str, str]:
    """Container path -> host path of a resolved service's bind mounts."""
    return {target: source for source, target in bind_mounts(service)}
