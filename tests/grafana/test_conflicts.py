"""Edits made in Grafana are never silently overwritten: reported conflicts, --overwrite to force."""

from __future__ import annotations

import json


def _change_source(tree, uid: str, expr: str) -> None:
    path = tree / "dashboards" / f"{uid}.json"
    model = json.loads(path.read_text())
    model["panels"][0]["targets"][0]["expr"] = expr
    path.write_text(json.dumps(model))


def _retitle_panel(dashboard: dict) -> None:
    dashboard["panels"][0]["title"] = "edited in the UI"


def test_ui_edit_is_reported_and_nothing_is_overwritten(fake, tree, mlmon):
    assert mlmon("push").code == 0
    fake.ui_edit("mlmon-api", _retitle_panel, user="alice")
    _change_source(tree, "mlmon-api", "sum(rate(api_requests_total[1m]))")
    fake.reset_log()
    result = mlmon("push")
    assert result.code == 1
    assert "dashboard mlmon-api 'API overview'" in result.out
    assert "alice saved it in Grafana" in result.out and "--overwrite" in result.out
    assert fake.writes() == []
    assert fake.dashboards["mlmon-api"]["dashboard"]["panels"][0]["title"] == "edited in the UI"


def test_overwrite_forces_the_source_version(fake, tree, mlmon):
    assert mlmon("push").code == 0
    fake.ui_edit("mlmon-api", _retitle_panel)
    result = mlmon("push", "--overwrite")
    assert result.code == 0, result.text
    assert fake.dashboards["mlmon-api"]["dashboard"]["panels"][0]["title"] == "Panel 1"


def test_concurrent_ui_save_between_read_and_write_gets_412_reported(fake, tree, mlmon):
    assert mlmon("push").code == 0
    _change_source(tree, "mlmon-drift", "max(data_drift_pvalue)")
    fake.before_write["mlmon-drift"] = lambda: fake.ui_edit(
        "mlmon-drift", _retitle_panel, user="bob"
    )
    result = mlmon("push")
    assert result.code == 1
    assert (
        "dashboard 'Data drift' (uid mlmon-drift): Grafana refused the update (version-mismatch)"
        in result.out
    )
    assert "someone saved it in Grafana" in result.out
    assert fake.dashboards["mlmon-drift"]["dashboard"]["panels"][0]["title"] == "edited in the UI"


def test_name_taken_by_another_dashboard_is_explained(fake, tree, mlmon):
    assert mlmon("push").code == 0
    path = tree / "dashboards" / "mlmon-model.json"
    model = json.loads(path.read_text())
    model["title"] = "API overview"  # same folder as mlmon-api
    path.write_text(json.dumps(model))
    result = mlmon("push")
    assert result.code == 1
    assert (
        "(name-exists): another dashboard in the same folder already has this title" in result.out
    )


def test_plugin_dashboard_is_explained(fake, tree, mlmon):
    assert mlmon("push").code == 0
    fake.dashboards["mlmon-model"]["meta"]["plugin"] = True
    fake.dashboards["mlmon-model"]["versions"][0]["message"] = "mlmon push"
    _change_source(tree, "mlmon-model", "model_rmse")
    result = mlmon("push")
    assert result.code == 1
    assert "(plugin-dashboard): it was installed by a Grafana plugin" in result.out


def test_unmanaged_dashboard_with_same_uid_is_not_taken_over(fake, tree, mlmon):
    from tests.grafana.fixtures import dashboard

    fake.folders["team"] = {"id": 500, "uid": "team", "title": "Team", "version": 1}
    fake.dashboards["mlmon-api"] = {
        "dashboard": {**dashboard("mlmon-api", "Team's API board"), "id": 7, "version": 4},
        "meta": {"version": 4, "folderUid": "team", "url": "/d/mlmon-api/"},
        "versions": [{"version": 4, "message": ""}],
    }
    result = mlmon("push")
    assert result.code == 1
    assert "mlmon does not manage it (no 'mlmon' tag)" in result.out
    assert fake.dashboards["mlmon-api"]["dashboard"]["title"] == "Team's API board"


def _provision(fake, uid: str, allow_ui_updates: bool) -> None:
    entry = fake.dashboards[uid]
    entry["meta"].update(provisioned=True, allowUiUpdates=allow_ui_updates)
    entry["versions"][0]["message"] = ""  # file provisioning leaves no message


def test_file_provisioned_dashboard_refusal_is_explained(fake, tree, mlmon):
    assert mlmon("push").code == 0
    _provision(fake, "mlmon-model", allow_ui_updates=False)
    _change_source(tree, "mlmon-model", "model_rmse")
    result = mlmon("push")
    assert result.code == 1
    assert "it is provisioned from a file on the Grafana server" in result.out
    assert "allowUiUpdates: true" in result.out


def test_file_provisioned_dashboard_with_ui_updates_is_pushed(fake, tree, mlmon):
    assert mlmon("push").code == 0
    _provision(fake, "mlmon-model", allow_ui_updates=True)
    _change_source(tree, "mlmon-model", "model_rmse")
    result = mlmon("push")
    assert result.code == 0, result.text
    assert (
        fake.dashboards["mlmon-model"]["dashboard"]["panels"][0]["targets"][0]["expr"]
        == "model_rmse"
    )


def test_file_provisioned_rule_group_refusal_is_explained(fake, tree, mlmon):
    from tests.grafana.fixtures import rule_group, write_generated

    assert mlmon("push").code == 0
    for rule in fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"]:
        rule["provenance"] = "file"
    group = rule_group()
    group["rules"][0]["for"] = "15m"
    write_generated(tree.parent, [], [group])
    result = mlmon("push")
    assert result.code == 1
    assert (
        "rule group 'model-quality' in folder 'mlmon-alerts': Grafana refused the update"
        in result.out
    )
    assert "provisioned another way" in result.out


def test_hand_made_rule_group_with_the_same_name_is_not_replaced(fake, tree, mlmon):
    """A group mlmon did not create (no marker, none of its rule uids) is a conflict, not a PUT."""
    from tests.grafana.fixtures import rule_group

    fake.folders["mlmon-alerts"] = {"id": 9, "uid": "mlmon-alerts", "title": "Alerts", "version": 1}
    theirs = rule_group()
    fake.rule_groups[("mlmon-alerts", "model-quality")] = {
        "title": "model-quality",
        "folderUid": "mlmon-alerts",
        "interval": 60,
        "rules": [
            {**r, "uid": "team-rule-1", "title": "Team pager", "folderUID": "mlmon-alerts",
             "ruleGroup": "model-quality", "orgID": 1}
            for r in theirs["rules"]
        ],
    }  # fmt: skip
    result = mlmon("push")
    assert result.code == 1
    assert "rule-group mlmon-alerts/model-quality" in result.out
    assert "mlmon did not create it" in result.out and "--overwrite" in result.out
    assert fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"][0]["title"] == "Team pager"
    assert mlmon("push", "--overwrite").code == 0
    assert fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"][0]["title"] == (
        "Model accuracy low"
    )


def test_group_pushed_before_ownership_markers_is_updated_not_a_conflict(fake, tree, mlmon):
    """Upgrade path: same rule uids as the source, no markers yet -> an update that adds them."""
    from mlmon.grafana.ownership import RULE_ANNOTATION

    assert mlmon("push").code == 0
    for rule in fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"]:
        rule["annotations"].pop(RULE_ANNOTATION)
    result = mlmon("push")
    assert result.code == 0, result.text
    rule = fake.rule_groups[("mlmon-alerts", "model-quality")]["rules"][0]
    assert RULE_ANNOTATION in rule["annotations"]
