"""`make demo` and the Docker stack run Prometheus with the same template and the same rules."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from mlmon import promconfig
from mlmon.demo.runner import Demo, DemoOptions
from tests.stack.stack_files import GENERATED, STACK, require_generated
from tests.support.processes import ROOT


def demo_config(tmp_path: Path) -> str:
    demo = Demo(DemoOptions(root=ROOT, state_dir=tmp_path), out=io.StringIO())
    return demo._write_prometheus_config(18000, 18001).read_text()


def rerendered(text: str, **overrides: object) -> str:
    """``text`` rendered again from the template with the values it contains."""
    config = yaml.safe_load(text)
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    alerting = (
        config.get("alerting", {}).get("alertmanagers", [{}])[0].get("static_configs", [{}])[0]
    )
    kwargs = dict(
        api_targets=jobs.get(promconfig.API_JOB, []),
        exporter_targets=jobs.get(promconfig.EXPORTER_JOB, []),
        rule_files=config["rule_files"],
        scrape_interval=config["global"]["scrape_interval"],
        evaluation_interval=config["global"]["evaluation_interval"],
        alertmanager_targets=alerting.get("targets", []),
    )
    return promconfig.render_prometheus_config(**{**kwargs, **overrides})


def test_the_demo_config_is_the_stack_template_with_local_targets(tmp_path: Path) -> None:
    text = demo_config(tmp_path)
    # Byte-for-byte what the shared template produces from the demo's values: no hand-kept copy.
    assert text == rerendered(text)
    assert text.startswith(promconfig.HEADER)
    demo, stack = (
        yaml.safe_load(text),
        yaml.safe_load((STACK / "prometheus" / "prometheus.yml").read_text()),
    )
    assert [job["job_name"] for job in demo["scrape_configs"]] == [
        job["job_name"] for job in stack["scrape_configs"]
    ]
    assert demo["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:18000"]
    assert demo["scrape_configs"][1]["static_configs"][0]["targets"] == ["127.0.0.1:18001"]


def test_the_demo_loads_the_rule_files_the_stack_mounts(tmp_path: Path) -> None:
    rules = sorted((GENERATED / "alerts" / "prometheus").glob("*.rules.yml"))
    if not rules:
        require_generated(
            GENERATED / "alerts" / "prometheus" / "*.rules.yml", "the Prometheus alert rules"
        )
    demo_rules = yaml.safe_load(demo_config(tmp_path))["rule_files"]
    # Without promtool the demo starts Prometheus without rules (it cannot check them first).
    if demo_rules:
        assert sorted(Path(path).resolve() for path in demo_rules) == [
            path.resolve() for path in rules
        ]
    # The stack mounts the same directory and loads the same files by glob.
    (pattern,) = promconfig.STACK_RULE_FILES
    assert all(Path(f"{promconfig.STACK_RULES_DIR}/{path.name}").match(pattern) for path in rules)
