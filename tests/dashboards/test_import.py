"""`mlmon import`: Grafana JSON → a dashboards_src module that compiles back to the same dashboard."""

from __future__ import annotations

import json

import pytest

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
    assert "exported placeholder ${DS_PROMETHEUS}" in err and "data source 'Prometheus'" in err
    assert "'Requests': no description" in err
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


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not JSON"),
        ('{"title": "x"}', "not a Grafana dashboard"),
        (
            json.dumps(
                {
                    "title": "Old",
                    "uid": "old",
                    "panels": [
                        {
                            "type": "graph",
                            "title": "Legacy",
                            "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
                        }
                    ],
                }
            ),
            "legacy panel type 'graph'",
        ),
        (
            json.dumps(
                {
                    "title": "Bad",
                    "uid": "bad",
                    "panels": [
                        {
                            "type": "stat",
                            "title": "A",
                            "description": "a",
                            "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
                        },
                        {
                            "type": "stat",
                            "title": "B",
                            "description": "b",
                            "gridPos": {"h": 8, "w": 12, "x": 6, "y": 0},
                        },
                    ],
                }
            ),
            "overlaps 'A'",
        ),
    ],
)
def test_unusable_input_is_reported_and_nothing_written(
    tmp_path, monkeypatch, capsys, content, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.json").write_text(content)
    (tmp_path / "dashboards_src").mkdir()
    code, _, err = mlmon(capsys, "import", "in.json")
    assert code == 1 and message in err
    assert snapshot(tmp_path / "dashboards_src") == {}
