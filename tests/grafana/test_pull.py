"""`mlmon pull`: dashboards back to JSON, without server-managed fields."""

from __future__ import annotations

import json


def test_pull_by_uid_writes_clean_json(fake, tree, mlmon, tmp_path):
    assert mlmon("push").code == 0
    fake.ui_edit("mlmon-api", lambda d: d["panels"][0].update(title="edited"))
    fake.reset_log()
    result = mlmon("pull", "--uid", "mlmon-api", "--out", "pulled")
    assert result.code == 0, result.text
    pulled = json.loads((tmp_path / "pulled" / "mlmon-api.json").read_text())
    assert pulled["panels"][0]["title"] == "edited"
    assert "id" not in pulled and "version" not in pulled
    assert fake.writes() == []
    assert "wrote pulled/mlmon-api.json" in result.out


def test_pulled_dashboard_pushes_back_without_changes(fake, tree, mlmon, tmp_path):
    assert mlmon("push").code == 0
    assert mlmon("pull", "--uid", "mlmon-drift", "--out", str(tree / "dashboards")).code == 0
    fake.reset_log()
    assert mlmon("push").code == 0
    assert fake.writes() == []


def test_pull_folder_by_title(fake, tree, mlmon, tmp_path):
    assert mlmon("push").code == 0
    result = mlmon("pull", "--folder", "ML Monitoring")
    assert result.code == 0, result.text
    assert sorted(p.name for p in (tmp_path / "pulled").iterdir()) == [
        "mlmon-api.json",
        "mlmon-drift.json",
        "mlmon-model.json",
    ]


def test_pull_unknown_uid_is_a_clear_error(fake, tree, mlmon):
    result = mlmon("pull", "--uid", "nope")
    assert result.code == 1
    assert "dashboard 'nope' does not exist in Grafana" in result.err


def test_as_python_without_importer_explains(fake, tree, mlmon, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "mlmon.importer", None)  # a build without `mlmon import`
    assert mlmon("push").code == 0
    result = mlmon("pull", "--uid", "mlmon-api", "--as-python")
    assert result.code == 1
    assert "--as-python needs the dashboard importer" in result.err


def test_as_python_writes_a_module_that_compiles_back(fake, tree, mlmon, tmp_path):
    from mlmon.compiler.dashboards import compile_dashboard
    from mlmon.compiler.loader import load

    assert mlmon("push").code == 0
    result = mlmon("pull", "--uid", "mlmon-api", "--as-python", "--out", "src")
    assert result.code == 0, result.text
    module = tmp_path / "src" / "mlmon_api.py"
    compiled = compile_dashboard(load(module, "dashboard", "pulled_mlmon_api").value, str(module))
    assert compiled["uid"] == "mlmon-api" and compiled["title"] == "API overview"
    again = mlmon("pull", "--uid", "mlmon-api", "--as-python", "--out", "src")
    assert again.code == 1 and "exists; pass --force" in again.err
    assert mlmon("pull", "--uid", "mlmon-api", "--as-python", "--out", "src", "--force").code == 0


def test_pull_with_one_missing_uid_writes_nothing(fake, tree, mlmon, tmp_path):
    assert mlmon("push").code == 0
    result = mlmon("pull", "--uid", "mlmon-api", "--uid", "nope")
    assert result.code == 1
    assert not (tmp_path / "pulled").exists()
