"""Odd but possible JSON (hand edits, old exports, other tools) never crashes the linter."""

import pytest

from tests.lint.support import clean_dashboard, clean_grafana_rules, lint_data, panel


def _mutations():
    def set_path(*keys_and_value):
        *keys, value = keys_and_value

        def mutate(d):
            target = d
            for key in keys[:-1]:
                target = (
                    target[key]
                    if not isinstance(key, str) or not key.startswith("@")
                    else panel(d, key[1:])
                )
            target[keys[-1]] = value

        return mutate

    return {
        "panels not a list": set_path("panels", {"a": 1}),
        "panel is a string": set_path("panels", ["text", None, 3]),
        "gridPos strings": set_path(
            "@Accuracy", "gridPos", {"x": "a", "y": None, "w": [], "h": {}}
        ),
        "gridPos list": set_path("@Accuracy", "gridPos", [0, 0, 12, 8]),
        "targets dict": set_path("@Accuracy", "targets", {"refId": "A"}),
        "target expr number": set_path("@Accuracy", "targets", [{"refId": "A", "expr": 42}]),
        "templating list of strings": set_path("templating", {"list": ["x", 1]}),
        "templating null": set_path("templating", None),
        "variable query number": set_path("templating", "list", 1, "query", 7),
        "datasource list": set_path("@Accuracy", "datasource", ["prometheus"]),
        "fieldConfig string": set_path("@Accuracy", "fieldConfig", "unit=s"),
        "title number": set_path("@Accuracy", "title", 12),
        "row panels null": set_path("@Data drift", "panels", None),
        "empty expr": set_path("@Accuracy", "targets", [{"refId": "A", "expr": ""}]),
        "unicode title": set_path("@Accuracy", "title", "Précision — 95ᵉ centile"),
    }


MUTATIONS = _mutations()


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_malformed_dashboard_is_linted_without_crashing(tmp_path, name):
    dashboard = clean_dashboard()
    MUTATIONS[name](dashboard)
    report = lint_data(tmp_path, dashboard)
    assert report.dashboards == 1


@pytest.mark.parametrize(
    "rules",
    [
        {"title": "g", "rules": ["not a rule", {"title": "x", "data": "nope"}]},
        {
            "groups": [
                None,
                {"name": "g", "rules": None},
                {"name": "h", "rules": [{"alert": "A", "expr": None}]},
            ]
        },
        [{"alert": "A", "expr": "up == 0", "labels": "critical"}],
    ],
)
def test_malformed_alert_rules_are_linted_without_crashing(tmp_path, rules):
    report = lint_data(tmp_path, rules, "rules.json")
    assert report.files == 1


def test_grafana_rule_with_missing_model_is_reported_not_crashing(tmp_path):
    rules = clean_grafana_rules()
    rules["rules"][0]["data"][0].pop("model")
    report = lint_data(tmp_path, rules, "rules.json")
    assert report.alert_rules == 1
