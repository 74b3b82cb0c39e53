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


def _save_as(fake, uid: str, new_uid: str, folder: str) -> None:
    """Grafana's "Save as": the whole model (tags included) under a new uid, title and folder."""
    fake.folders.setdefault(folder, {"id": 600, "uid": folder, "title": folder, "version": 1})
    source = fake.dashboards[uid]
    copy = json.loads(json.dumps(source["dashboard"]))
    copy.update(uid=new_uid, title=f"{copy['title']} (copy)", id=700, version=1)
    fake.dashboards[new_uid] = {
        "dashboard": copy,
        "meta": {"version": 1, "folderUid": folder, "url": f"/d/{new_uid}/"},
        "versions": [{"version": 1, "message": ""}],
    }


def _hand_made_group(fake, folder: str, title: str, copy_rule_from: tuple[str, str] | None = None):
    """A rule group made in the UI; optionally holding a duplicate of an mlmon rule."""
    group = rule_group(folder_uid=folder, title=title)
    rules = [{**r, "uid": "handmade-1"} for r in group["rules"]]
    if copy_rule_from is not None:
        original = fake.rule_groups[copy_rule_from]["rules"][0]
        rules = [{**json.loads(json.dumps(original)), "uid": "ui-duplicate"}]
    fake.rule_groups[(folder, title)] = {
        "title": title,
        "folderUid": folder,
        "interval": 60,
        "rules": [
            {**r, "folderUID": folder, "ruleGroup": title, "orgID": 1, "provenance": ""}
            for r in rules
        ],
    }


def test_prune_never_deletes_copies_or_hand_made_groups_in_mlmon_folders(fake, tmp_path, mlmon):
    """D2: ownership is proven by a marker bound to the uid, not inferred from a tag or folder."""
    generated = write_generated(
        tmp_path,
        [dashboard("mlmon-drift", "Data drift", ["drift"]), dashboard("gone", "Gone")],
        [rule_group(title="keep-group"), rule_group(title="gone-group")],
    )
    assert mlmon("push").code == 0
    _save_as(fake, "mlmon-drift", "user-copy", "team")  # carries every tag mlmon put there
    assert set(fake.dashboards["user-copy"]["dashboard"]["tags"]) >= {"mlmon", "drift"}
    _hand_made_group(fake, "mlmon", "team-oncall")  # in mlmon's dashboard folder
    _hand_made_group(fake, "mlmon-alerts", "copied", copy_rule_from=("mlmon-alerts", "keep-group"))
    (generated / "dashboards" / "gone.json").unlink()
    (generated / "alerts" / "grafana" / "mlmon-alerts-gone-group.json").unlink()

    dry = mlmon("diff", "--prune")
    assert "- delete    dashboard gone 'Gone'" in dry.out
    assert "- delete    rule-group mlmon-alerts/gone-group" in dry.out
    for kept in (
        "dashboard user-copy",
        "rule-group mlmon/team-oncall",
        "rule-group mlmon-alerts/copied",
    ):
        assert f"  keep      {kept}" in dry.out, dry.out
    assert "not created by this mlmon project" in dry.out

    fake.reset_log()
    result = mlmon("push", "--prune")
    assert result.code == 0, result.text
    assert set(fake.dashboards) == {"mlmon-drift", "user-copy"}
    assert set(fake.rule_groups) == {
        ("mlmon-alerts", "keep-group"),
        ("mlmon", "team-oncall"),
        ("mlmon-alerts", "copied"),
    }
    assert sorted(fake.writes()) == [
        ("DELETE", "/api/dashboards/uid/gone"),
        ("DELETE", "/api/v1/provisioning/folder/mlmon-alerts/rule-groups/gone-group"),
    ]
    assert "kept (not pruned, 3): " in result.out


def test_another_owner_in_the_same_grafana_is_never_pruned(fake, tmp_path, mlmon):
    """Two mlmon projects on one Grafana: each prunes only what it pushed itself."""
    (tmp_path / "mlmon.toml").write_text('owner = "team-a"\n')
    write_generated(tmp_path, [dashboard("a-board", "A")], [rule_group(title="a-group")])
    assert mlmon("push").code == 0
    (tmp_path / "mlmon.toml").write_text('owner = "team-b"\n')
    write_generated(tmp_path / "b", [dashboard("b-board", "B")], [])
    result = mlmon("push", "--prune", "--generated", str(tmp_path / "b" / "generated"))
    assert result.code == 0, result.text
    assert set(fake.dashboards) == {"a-board", "b-board"}
    assert ("mlmon-alerts", "a-group") in fake.rule_groups
    assert "  keep      dashboard a-board 'A'" in result.out


def test_pushed_resources_carry_a_marker_bound_to_their_identity(fake, tree, mlmon):
    from mlmon.grafana import ownership

    assert mlmon("push").code == 0
    tags = fake.dashboards["mlmon-api"]["dashboard"]["tags"]
    assert ownership.owns_dashboard("mlmon", "mlmon-api", tags)
    assert not ownership.owns_dashboard("mlmon", "user-copy", tags)  # a copy's uid differs
    assert not ownership.owns_dashboard("team-b", "mlmon-api", tags)
    rule = fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"][0]
    assert ownership.owns_rule("mlmon", "mlmon-alerts", "model-quality", rule)
    assert not ownership.owns_rule("mlmon", "mlmon-alerts", "other-group", rule)
    assert not ownership.owns_rule("mlmon", "mlmon-alerts", "model-quality", {**rule, "uid": "dup"})
    # a marker copied in from another dashboard is replaced, not kept beside the right one
    copied = ownership.with_dashboard_marker(tags, "mlmon", "user-copy")
    assert [t for t in copied if t.startswith("mlmon-owned:")] == [
        ownership.dashboard_tag("mlmon", "user-copy")
    ]


def test_kept_resources_are_not_changes_or_failures(fake, tree, mlmon):
    assert mlmon("push").code == 0
    _save_as(fake, "mlmon-drift", "user-copy", "team")
    diff = mlmon("diff", "--prune", "--exit-code")
    assert diff.code == 0, diff.text  # nothing would change
    assert "plan: no changes, 1 kept (not this project's) (6 unchanged)" in diff.out
    fake.reset_log()
    result = mlmon("push", "--prune")
    assert result.code == 0 and fake.writes() == []


def test_empty_owner_is_a_configuration_error(fake, tree, mlmon, tmp_path):
    (tmp_path / "mlmon.toml").write_text('owner = ""\n')
    result = mlmon("push")
    assert result.code == 2
    assert "mlmon.toml: owner must be a non-empty string" in result.err
