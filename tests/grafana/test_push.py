"""`mlmon push` against the fake Grafana: first push, idempotence, one change, folders."""

from __future__ import annotations

import json

from tests.grafana.fixtures import dashboard, rule_group, write_generated


def test_first_push_to_empty_grafana_creates_everything(fake, tree, mlmon):
    result = mlmon("push")
    assert result.code == 0, result.text
    assert set(fake.dashboards) == {"mlmon-api", "mlmon-drift", "mlmon-model"}
    assert {"mlmon", "mlmon-alerts"} <= set(fake.folders)
    assert fake.folders["mlmon"]["title"] == "ML Monitoring"
    stored = fake.dashboards["mlmon-api"]
    assert stored["meta"]["folderUid"] == "mlmon"
    assert "mlmon" in stored["dashboard"]["tags"]
    assert stored["versions"][0]["message"].startswith("mlmon push")
    group = fake.rule_groups[("mlmon-alerts", "model-quality")]
    assert group["interval"] == 60 and group["rules"][0]["title"] == "Model accuracy low"
    # a progress line per resource and a summary table
    assert "created   dashboard mlmon-api 'API overview'" in result.out
    header, *rows = [
        line for line in result.out.splitlines() if line.split()[:1] in (["created"], ["dashboard"])
    ]
    assert header.split()[:2] == ["created", "updated"]
    assert rows[0].split()[:2] == ["dashboard", "3"]


def test_second_push_makes_zero_writes_and_at_most_one_read_per_resource(fake, tree, mlmon):
    assert mlmon("push").code == 0
    fake.reset_log()
    result = mlmon("push")
    assert result.code == 0, result.text
    assert fake.writes() == []
    resources = 3 + 1 + 2  # dashboards, rule groups, folders
    # + health and one search
    assert len(fake.reads()) <= resources + 2
    assert "nothing to write" in result.out


def test_one_changed_panel_is_exactly_one_write(fake, tree, mlmon):
    assert mlmon("push").code == 0
    path = tree / "dashboards" / "mlmon-drift.json"
    model = json.loads(path.read_text())
    model["panels"][1]["targets"][0]["expr"] = "max(data_drift_pvalue)"
    path.write_text(json.dumps(model))
    fake.reset_log()
    result = mlmon("push")
    assert result.code == 0, result.text
    assert fake.writes() == [("POST", "/api/dashboards/db")]
    assert (
        fake.dashboards["mlmon-drift"]["dashboard"]["panels"][1]["targets"][0]["expr"]
        == "max(data_drift_pvalue)"
    )
    assert fake.dashboards["mlmon-drift"]["meta"]["version"] == 2


def test_dashboards_go_to_configured_nested_folders(fake, tmp_path, mlmon):
    (tmp_path / "mlmon.toml").write_text(
        '[[folders]]\nuid = "ml"\ntitle = "ML"\n'
        '[[folders]]\nuid = "ml-drift"\ntitle = "Drift"\nparent = "ml"\n'
        '[dashboard_folders]\ndefault = "ml"\ndrift = "ml-drift"\n'
    )
    write_generated(
        tmp_path, [dashboard("d1", "Drift", ["drift"]), dashboard("d2", "API", ["api"])], []
    )
    result = mlmon("push")
    assert result.code == 0, result.text
    assert fake.folders["ml-drift"]["parentUid"] == "ml"
    assert fake.dashboards["d1"]["meta"]["folderUid"] == "ml-drift"
    assert fake.dashboards["d2"]["meta"]["folderUid"] == "ml"


def test_existing_folder_is_reused_not_recreated(fake, tree, mlmon):
    fake.folders["mlmon"] = {"id": 99, "uid": "mlmon", "title": "ML Monitoring", "version": 3}
    result = mlmon("push")
    assert result.code == 0, result.text
    assert ("POST", "/api/folders") in fake.writes()  # only for mlmon-alerts
    assert fake.folders["mlmon"]["id"] == 99


def test_changed_rule_is_one_put_and_server_fields_are_not_noise(fake, tree, mlmon):
    assert mlmon("push").code == 0
    fake.reset_log()
    assert mlmon("push").code == 0 and fake.writes() == []  # ids, provenance, defaults ignored
    group = rule_group()
    group["rules"][0]["for"] = "10m"
    write_generated(tree.parent, [], [group])
    diff = mlmon("diff")
    assert "~ update    rule-group mlmon-alerts/model-quality" in diff.out
    assert (
        "    ~ rule 'Model accuracy low'" in diff.out and '        ~ for: "5m" -> "10m"' in diff.out
    )
    result = mlmon("push")
    assert result.code == 0, result.text
    assert fake.writes() == [
        ("PUT", "/api/v1/provisioning/folder/mlmon-alerts/rule-groups/model-quality")
    ]
    assert fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"][0]["for"] == "10m"


def test_datasource_is_created_then_left_alone(fake, tree, mlmon):
    result = mlmon("push", "--datasource-url", "http://prometheus:9090")
    assert result.code == 0, result.text
    assert fake.datasources["prometheus"]["url"] == "http://prometheus:9090"
    fake.reset_log()
    assert mlmon("push", "--datasource-url", "http://prometheus:9090").code == 0
    assert fake.writes() == []
    assert mlmon("push", "--datasource-url", "http://prom:9090").code == 0
    assert fake.writes() == [("PUT", "/api/datasources/uid/prometheus")]


def test_grafana_behind_a_sub_path(fake, tree, mlmon, monkeypatch):
    from tests.grafana.fake_grafana import FakeGrafana

    proxied = FakeGrafana(token=fake.token, url="http://proxy.test/grafana").install(fake.mock)
    monkeypatch.setenv("GRAFANA_URL", "http://proxy.test/grafana/")
    result = mlmon("push")
    assert result.code == 0, result.text
    assert len(proxied.dashboards) == 3 and fake.dashboards == {}
    assert proxied.requests[0] == ("GET", "/grafana/api/health")
    assert proxied.violations == []


def test_duration_spelled_differently_by_grafana_is_not_a_change(fake, tmp_path, mlmon):
    group = rule_group()
    group["rules"][0]["for"] = "300s"  # Grafana answers "5m"
    write_generated(tmp_path, [], [group])
    assert mlmon("push").code == 0
    assert fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"][0]["for"] == "5m"
    fake.reset_log()
    assert mlmon("push").code == 0
    assert fake.writes() == []


def test_folder_title_and_parent_follow_the_config(fake, tmp_path, mlmon):
    fake.folders["ml"] = {"id": 1, "uid": "ml", "title": "ML", "version": 1}
    fake.folders["ml-drift"] = {
        "id": 2,
        "uid": "ml-drift",
        "title": "Old drift title",
        "version": 5,
    }
    (tmp_path / "mlmon.toml").write_text(
        '[[folders]]\nuid = "ml"\ntitle = "ML"\n'
        '[[folders]]\nuid = "ml-drift"\ntitle = "Drift"\nparent = "ml"\n'
    )
    write_generated(tmp_path, [dashboard("d1", "Drift", ["drift"])], [])
    diff = mlmon("diff")
    assert "~ update    folder ml-drift 'Drift'" in diff.out
    assert '    ~ title: "Old drift title" -> "Drift"' in diff.out
    assert '    ~ parentUid: null -> "ml"' in diff.out
    result = mlmon("push")
    assert result.code == 0, result.text
    assert (
        fake.folders["ml-drift"]["title"] == "Drift"
        and fake.folders["ml-drift"]["parentUid"] == "ml"
    )
    fake.reset_log()
    assert mlmon("push").code == 0 and fake.writes() == []


def test_version_message_names_the_git_revision(fake, tree, mlmon, tmp_path):
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", "generated")
    git("commit", "-q", "-m", "dashboards")
    rev = git("rev-parse", "--short", "HEAD")
    assert mlmon("push").code == 0
    assert fake.dashboards["mlmon-api"]["versions"][0]["message"] == f"mlmon push from git {rev}"
    assert mlmon("push", "--overwrite", "--message", "hotfix for #12").code == 0
    # nothing changed, so nothing was written, not even with --overwrite
    assert len(fake.dashboards["mlmon-api"]["versions"]) == 1
    path = tree / "dashboards" / "mlmon-api.json"
    path.write_text(path.read_text().replace("API overview", "API"))
    assert mlmon("push", "--message", "hotfix for #12").code == 0
    assert fake.dashboards["mlmon-api"]["versions"][0]["message"] == "mlmon: hotfix for #12"
