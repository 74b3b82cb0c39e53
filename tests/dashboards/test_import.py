"""`mlmon import`: Grafana JSON → a dashboards_src module that compiles back to the same dashboard."""

from __future__ import annotations

import json

import pytest
import yaml

from mlmon.importer import PLACEHOLDER_DESCRIPTION
from tests.dashboards.support import grafana_schema_errors, mlmon, snapshot
from tests.support.processes import ROOT

GENERATED = sorted((ROOT / "generated" / "dashboards").glob("*.json"))

# An export from Grafana's UI ("Export for sharing externally"): placeholders, legacy keys, no descriptions.
EXPORTED = {
    "__inputs": [
        {
            "name": "DS_PROMETHEUS",
            "label": "Prometheus",
            "type": "datasource",
            "pluginId": "prometheus",
        }
    ],
    "__requires": [{"type": "grafana", "id": "grafana", "version": "10.4.0"}],
    "id": None,
    "version": 7,
    "style": "dark",
    "title": "Team latency",
    "uid": "team-latency",
    "schemaVersion": 36,
    "tags": [],
    "time": {"from": "now-1h", "to": "now"},
    "templating": {"list": []},
    "annotations": {"list": []},
    "panels": [
        {
            "type": "timeseries",
            "title": "p95 latency",
            "id": 4,
            "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
            "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
            "targets": [
                {
                    "expr": "histogram_quantile(0.95, sum by (le) (rate(api_request_duration_seconds_bucket"
                    "[$__rate_interval])))",
                    "refId": "A",
                    "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
                }
            ],
            "fieldConfig": {"defaults": {"unit": "s"}, "overrides": []},
        },
        {
            "type": "stat",
            "title": "Requests",
            "id": 5,
            "gridPos": {"h": 8, "w": 12, "x": 12, "y": 0},
            "datasource": "Prometheus",
            "targets": [{"expr": "sum(rate(api_requests_total[5m]))", "refId": "A"}],
        },
    ],
}


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.stem)
def test_project_dashboards_round_trip_byte_for_byte(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = mlmon(capsys, "import", str(path))
    assert code == 0 and f"dashboards_src/{path.stem.replace('-', '_')}.py" in out
    source = (tmp_path / "dashboards_src" / f"{path.stem.replace('-', '_')}.py").read_text()
    assert "q.promql(" in source and "row(" in source and "dashboard = " in source
    assert "p.timeseries(" in source or "p.stat(" in source
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    assert (tmp_path / "generated" / "dashboards" / path.name).read_bytes() == path.read_bytes()


def test_exported_dashboard_is_brought_to_the_modern_model(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "export.json").write_text(
        json.dumps({"dashboard": EXPORTED, "meta": {"slug": "team-latency"}})
    )
    code, out, err = mlmon(capsys, "import", "export.json", "-o", "dashboards_src/latency.py")
    assert code == 0, err
    assert "export placeholder ${DS_PROMETHEUS} → the $datasource variable" in err
    assert "data source name 'Prometheus' → the $datasource variable" in err
    assert "('Requests'): no description" in err
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    built = json.loads((tmp_path / "generated/dashboards/team-latency.json").read_text())
    assert grafana_schema_errors(built) == []
    assert built["schemaVersion"] >= 39 and not {"__inputs", "style", "id", "version"} & set(built)
    assert built["templating"]["list"][0]["name"] == "datasource"
    assert all(
        p["datasource"] == {"type": "prometheus", "uid": "${datasource}"} for p in built["panels"]
    )
    assert built["panels"][1]["description"] == PLACEHOLDER_DESCRIPTION
    assert [p["id"] for p in built["panels"]] == [4, 5]


def test_stdout_output_and_refusing_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = mlmon(capsys, "import", str(GENERATED[0]), "-o", "-")
    assert code == 0 and out.startswith('"""') and not (tmp_path / "dashboards_src").exists()
    target = tmp_path / "mine.py"
    target.write_text("# mine\n")
    code, _, err = mlmon(capsys, "import", str(GENERATED[0]), "-o", "mine.py")
    assert code == 2 and "--force" in err and target.read_text() == "# mine\n"


UNDEFINED_VARIABLES = {
    "title": "Broken links",
    "uid": "broken",
    "panels": [
        {
            "type": "timeseries",
            "title": title,
            "gridPos": {"h": 8, "w": 12, "x": x, "y": 0},
            "targets": [{"expr": f'up{{job="${variable}"}}', "refId": "A"}],
        }
        for title, x, variable in (("First", 0, "nojob"), ("Second", 12, "nothere"))
    ],
}


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not JSON"),
        ('{"panels": {"a": 1}}', "not a Grafana dashboard"),
        ("[1, 2]", "not a Grafana dashboard"),
    ],
)
def test_unusable_input_is_reported_and_nothing_written(
    tmp_path, monkeypatch, capsys, content, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.json").write_text(content)
    (tmp_path / "dashboards_src").mkdir()
    code, _, err = mlmon(capsys, "import", "in.json")
    assert code == 1 and message in err and "nothing was written" in err
    assert snapshot(tmp_path / "dashboards_src") == {}


@pytest.mark.parametrize("output", ["-", "dashboards_src/broken.py"])
def test_every_problem_is_reported_at_once_in_every_mode(tmp_path, monkeypatch, capsys, output):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.json").write_text(json.dumps(UNDEFINED_VARIABLES))
    code, out, err = mlmon(capsys, "import", "in.json", "-o", output)
    assert code == 1 and out == ""
    assert "$nojob" in err and "$nothere" in err and "2 problems" in err
    assert (
        "nothing was written" in err and "broken.py" not in err
    )  # no file that does not exist is named
    assert not (tmp_path / "dashboards_src").exists() and not (tmp_path / "catalog.yml").exists()


def test_legacy_panels_are_migrated_and_every_change_is_noted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    legacy = {
        "title": "Old",
        "uid": "old",
        "schemaVersion": 14,
        "rows": [
            {
                "title": "Load",
                "showTitle": True,
                "panels": [
                    {
                        "type": "graph",
                        "title": "Load 1m",
                        "span": 6,
                        "datasource": "Prometheus",
                        "yaxes": [{"format": "short", "min": 0}, {"format": "short"}],
                        "targets": [
                            {"expr": "node_load1", "refId": "A", "intervalFactor": 2, "step": 10}
                        ],
                        "maxDataPoints": 100,
                        "$$hashKey": "object:3",
                    },
                    {
                        "type": "singlestat",
                        "title": "Uptime",
                        "span": 6,
                        "format": "s",
                        "valueName": "current",
                        "targets": [{"expr": "time() - node_boot_time_seconds", "refId": "A"}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "old.json").write_text(json.dumps(legacy))
    code, out, err = mlmon(capsys, "import", "old.json")
    assert code == 0, err
    assert "rows[0].panels[0].type ('Load 1m'): graph → timeseries" in err
    assert "rows[0].panels[1].type ('Uptime'): singlestat → stat" in err
    assert "rows[0].panels[0].$$hashKey ('Load 1m'): UI state $$hashKey dropped" in err
    assert "data source name 'Prometheus' → the $datasource variable" in err
    module = (tmp_path / "dashboards_src" / "old.py").read_text()
    assert module.startswith('"""Old: imported from old.json')
    assert "# - rows[0].panels[0].type ('Load 1m'): graph → timeseries" in module
    assert "p.timeseries(" in module and "p.stat(" in module and 'q.promql("node_load1")' in module
    assert 'row("Load"' in module
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    built = json.loads((tmp_path / "generated/dashboards/old.json").read_text())
    row, graph, stat = built["panels"]
    assert (row["type"], graph["type"], stat["type"]) == ("row", "timeseries", "stat")
    assert graph["gridPos"] == {"h": 7, "w": 12, "x": 0, "y": 1}
    assert graph["maxDataPoints"] == 100  # grafanalib's default value, but the source's choice
    assert graph["targets"][0]["intervalFactor"] == 2 and graph["targets"][0]["step"] == 10
    assert (
        graph["fieldConfig"]["defaults"]["unit"] == "short"
        and graph["fieldConfig"]["defaults"]["min"] == 0
    )
    assert stat["fieldConfig"]["defaults"]["unit"] == "s"
    assert stat["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    catalog = (tmp_path / "catalog.yml").read_text()
    assert "node_load1:" in catalog and "node_boot_time_seconds:" in catalog


def test_imported_families_are_declared_and_lint_finds_no_catalog_problem(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    dashboard = {
        "title": "Nodes",
        "uid": "nodes",
        "panels": [
            {
                "type": "timeseries",
                "title": "CPU busy",
                "gridPos": {"h": 8, "w": 24, "x": 0, "y": 0},
                "targets": [
                    {
                        "expr": 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[$__rate_interval]))',
                        "refId": "A",
                    },
                    {"expr": 'count by (cluster) (up{cluster="eu-1"} == 0)', "refId": "B"},
                ],
            }
        ],
    }
    (tmp_path / "nodes.json").write_text(json.dumps(dashboard))
    assert mlmon(capsys, "import", "nodes.json")[0] == 0
    catalog = yaml.safe_load((tmp_path / "catalog.yml").read_text())
    assert catalog["target_labels"] == [
        "cluster"
    ]  # relabelling adds it to every target, up included
    assert catalog["families"]["node_cpu_seconds_total"]["type"] == "counter"
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    code, out, _ = mlmon(capsys, "lint", "--format", "json", "generated/dashboards/nodes.json")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert not {r for r in rules if r.startswith("catalog-")}
    # Without the extension, the same dashboard gets one catalog finding, not one per query.
    (tmp_path / "catalog.yml").unlink()
    code, out, _ = mlmon(capsys, "lint", "--format", "json", "generated/dashboards/nodes.json")
    catalog = [f for f in json.loads(out)["findings"] if f["rule"] == "catalog-metric"]
    assert len(catalog) == 1 and "node_cpu_seconds_total" in catalog[0]["message"]
