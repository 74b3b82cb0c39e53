"""`mlmon push`/`diff` of contact points, the policy tree, mute timings and templates against the fake Grafana."""

from __future__ import annotations

import pytest

from mlmon.alerts.compiler import NOTIFICATIONS_FILE, compile_alerts, load_sources
from tests.support.processes import ROOT

SECRET = "https://hooks.example.invalid/T000/very-secret-token"


@pytest.fixture
def routed_tree(tree, monkeypatch):
    """The standard tree plus the project's generated notifications, its variables set."""
    compiled = compile_alerts(ROOT / "alerts_src")
    path = tree / NOTIFICATIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(compiled[NOTIFICATIONS_FILE])
    for name in load_sources(ROOT / "alerts_src").routing.env_names():
        monkeypatch.setenv(name, f"{SECRET}/{name}")
    return tree


def test_first_push_creates_templates_timings_contact_points_and_the_tree(fake, routed_tree, mlmon):
    result = mlmon("push")
    assert result.code == 0, result.text
    state = fake.notifications
    assert set(state.templates) == {"mlmon"}
    assert set(state.mute_timings) == {"weekends"}
    by_uid = state.contact_points
    assert {p["name"] for p in by_uid.values()} == {
        "ml-team",
        "platform-team",
        "oncall-pager",
        "mlops-email",
    }
    assert len(by_uid) == 6  # one per integration
    # Secrets were resolved from the environment of the push, not stored in generated/.
    assert by_uid["mlmon-ml-team-webhook-0"]["settings"]["url"] == f"{SECRET}/MLMON_ML_WEBHOOK_URL"
    assert state.policy["receiver"] == "mlops-email"
    assert [r["receiver"] for r in state.policy["routes"]] == [
        "oncall-pager",
        "ml-team",
        "platform-team",
    ]
    # Order: the tree is written after what it names (the fake refuses unknown receivers).
    writes = [
        path
        for _, path in fake.writes()
        if any(k in path for k in ("contact-points", "policies", "mute-timings", "templates"))
    ]
    assert len(writes) == 1 + 1 + 6 + 1 and writes[-1] == "/api/v1/provisioning/policies"
    assert SECRET not in result.text
    assert "contact-point" in result.out and "notification-policy" in result.out


def test_second_push_writes_nothing(fake, routed_tree, mlmon):
    assert mlmon("push").code == 0
    fake.reset_log()
    result = mlmon("push")
    assert result.code == 0, result.text
    assert fake.writes() == []
    assert "nothing to write" in result.out


def test_an_edit_in_grafana_shows_in_diff_and_push_puts_it_back_with_one_write(
    fake, routed_tree, mlmon
):
    assert mlmon("push").code == 0
    fake.notifications.policy["routes"][1]["group_by"] = ["alertname"]
    fake.notifications.contact_points["mlmon-ml-team-slack-1"]["settings"]["recipient"] = "#random"
    diff = mlmon("diff")
    assert diff.code == 0
    assert "~ update    notification-policy tree" in diff.out
    assert "'#random' -> '#ml-alerts'" in diff.out
    assert SECRET not in diff.text  # secret settings are neither compared nor shown
    fake.reset_log()
    assert mlmon("push").code == 0
    assert sorted(p for _, p in fake.writes()) == [
        "/api/v1/provisioning/contact-points/mlmon-ml-team-slack-1",
        "/api/v1/provisioning/policies",
    ]
    assert fake.notifications.policy["routes"][1]["group_by"] == [
        "alertname",
        "model_name",
        "feature",
    ]


def test_a_missing_secret_stops_the_push_before_any_write(fake, routed_tree, mlmon, monkeypatch):
    monkeypatch.delenv("MLMON_PAGERDUTY_ROUTING_KEY")
    result = mlmon("push")
    assert result.code == 1
    assert "MLMON_PAGERDUTY_ROUTING_KEY" in result.err
    assert fake.writes() == []
    # diff needs no secrets
    assert mlmon("diff").code == 0


def test_without_routing_nothing_notification_related_is_read(fake, tree, mlmon):
    assert mlmon("push").code == 0
    assert not [path for _, path in fake.requests if "contact-points" in path]
