"""The stack's Alertmanager runs the generated routing, with every secret it names passed in from stack/.env."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from mlmon.alerts.compiler import ALERTMANAGER_FILE
from mlmon.alerts.envrefs import referenced
from tests.support.processes import IN_CI, ROOT

STACK = ROOT / "stack"
START = STACK / "alertmanager" / "start.sh"


def _service() -> dict:
    return yaml.safe_load((STACK / "docker-compose.yml").read_text())["services"]["alertmanager"]


def test_compose_passes_every_variable_the_generated_config_names():
    needed = set(referenced((ROOT / "generated" / ALERTMANAGER_FILE).read_text()))
    assert needed and needed <= set(_service()["environment"])


def test_compose_mounts_the_generated_config_where_start_sh_reads_it():
    service = _service()
    assert service["entrypoint"] == ["/bin/sh", "/etc/alertmanager/start.sh"]
    assert "../generated/alerts/alertmanager:/etc/mlmon/alertmanager:ro" in service["volumes"]
    assert "SOURCE=/etc/mlmon/alertmanager" in START.read_text()


def _run_start_sh(tmp_path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, str]:
    """start.sh with its paths pointed at a temporary copy and Alertmanager replaced by `cat`."""
    shell = shutil.which("busybox") and ["busybox", "sh"] or ["sh"]
    source, target = ROOT / "generated/alerts/alertmanager", tmp_path / "config"
    script = (
        START.read_text()
        .replace("SOURCE=/etc/mlmon/alertmanager", f"SOURCE={source}")
        .replace("TARGET=/alertmanager/config", f"TARGET={target}")
        .replace("exec /bin/alertmanager", "exec cat")
        .replace('--config.file="$TARGET/alertmanager.yml"', '"$TARGET/alertmanager.yml"')
        .replace("--storage.path=/alertmanager", "")
    )
    path = tmp_path / "start.sh"
    path.write_text(script)
    result = subprocess.run(
        [*shell, str(path)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result, str(target)


def test_start_sh_resolves_references_like_envrefs_and_amtool_accepts_the_result(tmp_path):
    amtool = shutil.which("amtool")
    if amtool is None:
        reason = "amtool is not installed (Debian: apt-get install prometheus-alertmanager)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    names = referenced((ROOT / "generated" / ALERTMANAGER_FILE).read_text())
    env = {name: f"https://hooks.example.invalid/{name}?a=1&b=2" for name in names}
    result, target = _run_start_sh(tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "mlmon-env.invalid" not in result.stdout
    assert "https://hooks.example.invalid/MLMON_ML_WEBHOOK_URL?a=1&b=2" in result.stdout
    check = subprocess.run(
        [amtool, "check-config", f"{target}/alertmanager.yml"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_start_sh_refuses_to_start_with_a_secret_unset(tmp_path):
    result, _ = _run_start_sh(tmp_path, {})
    assert result.returncode != 0
    assert "MLMON_PAGERDUTY_ROUTING_KEY is not set" in result.stderr
