"""The scale-out Prometheus example in stack/prometheus/ is a config promtool accepts, with the contract's jobs."""

from __future__ import annotations

import subprocess

import yaml

from mlmon.promconfig import API_JOB, EXPORTER_JOB
from tests.support.processes import ROOT, require_tool

EXAMPLE = ROOT / "stack" / "prometheus" / "scale-out.example.yml"


def test_promtool_accepts_the_scale_out_example(tmp_path):
    promtool = require_tool("promtool")
    config = tmp_path / "prometheus.yml"
    config.write_text(EXAMPLE.read_text())
    (tmp_path / "rules").mkdir()
    (tmp_path / "secrets").mkdir()
    text = config.read_text().replace("/etc/prometheus/secrets", str(tmp_path / "secrets"))
    config.write_text(text)
    (tmp_path / "secrets" / "remote-write-token").write_text("token-from-a-secret-store\n")
    result = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_keeps_the_job_names_alerts_and_dashboards_select():
    config = yaml.safe_load(EXAMPLE.read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == {API_JOB, EXPORTER_JOB}
    assert config["remote_write"][0]["authorization"]["credentials_file"]
