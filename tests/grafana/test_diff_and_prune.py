"""`mlmon diff`, `push --dry-run` and `--prune`."""

from __future__ import annotations

import json

from tests.grafana.fixtures import dashboard, rule_group, write_generated


def test_diff_on_unchanged_tree_is_silent(fake, tree, mlmon):
    assert mlmon("push").code == 0
    result = mlmon("diff", "--exit-code")
    assert result.code == 0
    assert result.out.strip() == "plan: no changes (6 unchanged)"


def test_diff_shows_panels_added_removed_changed_and_query_text(fake, tree, mlmon):
    assert mlmon("push").code == 0
    path = tree / "dashboards" / "mlmon-model.json"
    model = json.loads(path.read_text())
    model["panels"][0]["targets"][0]["expr"] = "model_rmse"
    model["panels"][1]["fieldConfig"]["defaults"]["unit"] = "percentunit"
    del model["panels"][2]
    model["panels"].append({**model["panels"][0], "id": 9, "title": "R²"})
    path.write_text(json.dumps(model))
    fake.reset_log()
    result = mlmon("diff", "--exit-code")
    assert result.code == 1
    assert fake.writes() == []
    lines = result.out.splitlines()
    assert "~ update    dashboard mlmon-model 'Model performance'" in lines
    expected = [
        "    ~ panel 1 'Panel 1'",
        "        ~ targets[A].expr:",
        '            -sum(rate(api_requests_total{endpoint="/predict", n="1"}[5m]))',
        "            +model_rmse",
        "    ~ panel 2 'Panel 2'",
        '        ~ fieldConfig.defaults.unit: "short" -> "percentunit"',
        "    - panel 3 'Panel 3'",
        "    + panel 9 'R²'",
    ]
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected
    # no server-managed noise
    assert "version" not in result.out and '"id"' not in result.out


def test_dry_run_prints_plan_and_writes_nothing(fake, tree, mlmon):
    result = mlmon("push", "--dry-run")
    assert result.code == 0
    assert fake.writes() == []
    assert "+ create    dashboard mlmon-api 'API overview'" in result.out
    assert "    + new dashboard with 3 panels" in result.out
    assert "plan: 2 to create" not in result.out and "plan: 6 to create (0 unchanged)" in result.out
    assert "dry run: nothing was written" in result.out


def test_prune_deletes_only_managed_resources(fake, tmp_path, mlmon):
    generated = write_generated(
        tmp_path,
        [dashboard("keep", "Keep"), dashboard("gone", "Gone")],
        [rule_group(title="keep-group"), rule_group(title="gone-group")],
    )
    assert mlmon("push").code == 0
    # a dashboard and a rule group mlmon does not manage
    fake.folders["team"] = {"id": 500, "uid": "team", "title": "Team", "version": 1}
    fake.dashboards["handmade"] = {
        "dashboard": {**dashboard("handmade", "Handmade"), "id": 501, "version": 1},
        "meta": {"version": 1, "folderUid": "team", "url": "/d/handmade/"},
        "versions": [],
    }
    team_group = rule_group(folder_uid="team", title="team-group")
    team_group["interval"] = 60
    fake.rule_groups[("team", "team-group")] = {
        **team_group,
        "rules": [
            {**r, "folderUID": "team", "ruleGroup": "team-group", "orgID": 1}
            for r in team_group["rules"]
        ],
    }
    (generated / "dashboards" / "gone.json").unlink()
    (generated / "alerts" / "grafana" / "mlmon-alerts-gone-group.json").unlink()

    plain = mlmon("push")
    assert plain.code == 0 and "gone" in fake.dashboards  # prune is off by default

    dry = mlmon("push", "--dry-run", "--prune")
    assert "- delete    dashboard gone 'Gone'" in dry.out
    assert "- delete    rule-group mlmon-alerts/gone-group" in dry.out
    assert "handmade" not in dry.out and "team-group" not in dry.out
    assert "gone" in fake.dashboards

    fake.reset_log()
    result = mlmon("push", "--prune")
    assert result.code == 0, result.text
    assert set(fake.dashboards) == {"keep", "handmade"}
    assert set(fake.rule_groups) == {("mlmon-alerts", "keep-group"), ("team", "team-group")}
    assert sorted(fake.writes()) == [
        ("DELETE", "/api/dashboards/uid/gone"),
        ("DELETE", "/api/v1/provisioning/folder/mlmon-alerts/rule-groups/gone-group"),
    ]
