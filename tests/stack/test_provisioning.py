"""Grafana provisioning: the files parse, point at what compose mounts, and agree with generated/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from mlmon import promconfig
from tests.stack.stack_files import (
    GENERATED,
    GRAFANA_PROVISIONING,
    STACK,
    raw_compose,
    require_generated,
)

CONTAINER_PROVISIONING = "/etc/grafana/provisioning"


def grafana_mounts() -> dict[str, Path]:
    """Container path -> host path of Grafana's bind mounts (as written: no interpolation used there)."""
    mounts = {}
    for volume in raw_compose()["services"]["grafana"]["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = (STACK / source).resolve()
    return mounts


def load_yaml(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict) and document.get("apiVersion") == 1, (
        f"{path}: not a provisioning file"
    )
    return document


def datasource() -> dict:
    (entry,) = load_yaml(GRAFANA_PROVISIONING / "datasources" / "prometheus.yml")["datasources"]
    return entry


def dashboard_files() -> list[Path]:
    return sorted((GENERATED / "dashboards").rglob("*.json"))


def test_every_provisioning_directory_is_mounted_where_grafana_reads_it() -> None:
    mounts = grafana_mounts()
    for kind in ("datasources", "dashboards"):
        assert mounts[f"{CONTAINER_PROVISIONING}/{kind}"] == (GRAFANA_PROVISIONING / kind).resolve()
        assert list((GRAFANA_PROVISIONING / kind).glob("*.yml")), f"no provisioning file for {kind}"


def test_the_datasource_is_the_stacks_prometheus_with_the_contract_uid() -> None:
    entry = datasource()
    assert entry["uid"] == "prometheus"
    assert entry["type"] == "prometheus" and entry["isDefault"] is True
    # Reaches Prometheus by its compose service name and container port.
    assert entry["url"] == "http://prometheus:9090"
    assert "prometheus" in raw_compose()["services"]
    stack_config = yaml.safe_load((STACK / "prometheus" / "prometheus.yml").read_text())
    assert entry["jsonData"]["timeInterval"] == stack_config["global"]["scrape_interval"]


def test_the_dashboard_provider_loads_the_mounted_generated_dashboards() -> None:
    (provider,) = load_yaml(GRAFANA_PROVISIONING / "dashboards" / "mlmon.yml")["providers"]
    assert provider["type"] == "file"
    assert grafana_mounts()[provider["options"]["path"]] == (GENERATED / "dashboards").resolve()


def test_the_provider_folder_is_the_one_mlmon_push_uses() -> None:
    """Dashboards land in the same folder whether provisioned by the stack or uploaded by `mlmon push`."""
    from mlmon.grafana.config import DEFAULT_FOLDER

    (provider,) = load_yaml(GRAFANA_PROVISIONING / "dashboards" / "mlmon.yml")["providers"]
    assert (provider["folderUid"], provider["folder"]) == DEFAULT_FOLDER


def test_the_alert_rules_file_is_mounted_into_grafanas_alerting_provisioning() -> None:
    mounts = grafana_mounts()
    alerting = {
        target: source
        for target, source in mounts.items()
        if target.startswith(f"{CONTAINER_PROVISIONING}/alerting/")
    }
    assert list(alerting.values()) == [
        (GENERATED / "alerts" / "grafana" / "provisioning.yml").resolve()
    ]
    assert all(target.endswith((".yml", ".yaml")) for target in alerting)


def test_the_generated_alert_rules_use_the_provisioned_datasource() -> None:
    path = require_generated(
        GENERATED / "alerts" / "grafana" / "provisioning.yml", "the alerts' file provisioning"
    )
    document = load_yaml(path)
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    assert rules, f"{path}: no alert rules"
    uids = {query["datasourceUid"] for rule in rules for query in rule["data"]}
    assert uids <= {datasource()["uid"], "__expr__"}, uids
    assert datasource()["uid"] in uids


def test_generated_rules_only_select_jobs_the_config_scrapes() -> None:
    """A rule on ``up{job="..."}`` with a job name no config defines would never fire."""
    files = sorted((GENERATED / "alerts" / "prometheus").glob("*.rules.yml"))
    if not files:
        require_generated(
            GENERATED / "alerts" / "prometheus" / "*.rules.yml", "the Prometheus alert rules"
        )
    files.append(GENERATED / "alerts" / "grafana" / "provisioning.yml")
    text = "\n".join(path.read_text() for path in files if path.exists())
    jobs = {
        job for match in re.findall(r'job\s*=~?\s*\\?"([^"\\]+)', text) for job in match.split("|")
    }
    assert jobs <= {promconfig.API_JOB, promconfig.EXPORTER_JOB}, jobs


@pytest.mark.parametrize("path", dashboard_files() or [None], ids=lambda p: p.name if p else "none")
def test_dashboards_default_to_the_provisioned_datasource(path: Path | None) -> None:
    if path is None:
        require_generated(GENERATED / "dashboards" / "*.json", "the compiled dashboards")
    dashboard = json.loads(path.read_text())
    uid = datasource()["uid"]
    variables = [
        v for v in dashboard.get("templating", {}).get("list", []) if v.get("type") == "datasource"
    ]
    assert variables, f"{path.name}: no datasource variable"
    for variable in variables:
        assert variable["current"]["value"] == uid, (
            f"{path.name}: ${variable['name']} defaults to {variable['current']}"
        )
    # Panels use the variable or the provisioned uid, never another literal uid.
    literal = {ds.get("uid") for ds in _datasource_refs(dashboard)} - {
        uid,
        None,
        "-- Grafana --",
        "grafana",
    }
    assert all(str(u).startswith("$") for u in literal), (
        f"{path.name}: unknown datasource uids {literal}"
    )


def _datasource_refs(node: object):
    if isinstance(node, dict):
        if isinstance(node.get("datasource"), dict):
            yield node["datasource"]
        for value in node.values():
            yield from _datasource_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _datasource_refs(value)
