"""Small, schema-valid stand-ins for generated/ (dashboards and a rule group)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panel(
    panel_id: int, expr: str, title: str | None = None, unit: str = "short"
) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title or f"Panel {panel_id}",
        "gridPos": {"h": 8, "w": 12, "x": 12 * (panel_id % 2), "y": 8 * (panel_id // 2)},
        "datasource": DATASOURCE,
        "targets": [{"refId": "A", "expr": expr, "datasource": DATASOURCE}],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }


def dashboard(
    uid: str, title: str, tags: list[str] | None = None, panels: int = 3
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": tags or [],
        "schemaVersion": 39,
        "editable": True,
        "timezone": "browser",
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Datasource",
                }
            ]
        },
        "annotations": {"list": []},
        "panels": [
            panel(i, f'sum(rate(api_requests_total{{endpoint="/predict", n="{i}"}}[5m]))')
            for i in range(1, panels + 1)
        ],
    }


def rule_group(folder_uid: str = "mlmon-alerts", title: str = "model-quality") -> dict[str, Any]:
    query = {
        "refId": "A",
        "datasourceUid": "prometheus",
        "relativeTimeRange": {"from": 600, "to": 0},
        "model": {
            "refId": "A",
            "expr": 'model_accuracy{model_name="house-price"}',
            "instant": True,
        },
    }
    threshold = {
        "refId": "C",
        "datasourceUid": "__expr__",
        "relativeTimeRange": {"from": 0, "to": 0},
        "model": {
            "refId": "C",
            "type": "threshold",
            "expression": "A",
            "conditions": [{"evaluator": {"type": "lt", "params": [0.8]}}],
        },
    }
    return {
        "title": title,
        "folderUid": folder_uid,
        "interval": "1m",
        "rules": [
            {
                "uid": "mlmon-accuracy-low",
                "title": "Model accuracy low",
                "condition": "C",
                "data": [query, threshold],
                "noDataState": "NoData",
                "execErrState": "Error",
                "for": "5m",
                "labels": {"severity": "warning"},
                "annotations": {"summary": "Accuracy below 80%"},
            }
        ],
    }


def write_generated(
    root: Path, dashboards: list[dict[str, Any]], groups: list[dict[str, Any]]
) -> Path:
    """Lay out ``root/generated`` the way `mlmon build` does."""
    generated = root / "generated"
    (generated / "dashboards").mkdir(parents=True, exist_ok=True)
    (generated / "alerts" / "grafana").mkdir(parents=True, exist_ok=True)
    for dash in dashboards:
        (generated / "dashboards" / f"{dash['uid']}.json").write_text(
            json.dumps(dash, indent=2, sort_keys=True)
        )
    for group in groups:
        name = f"{group['folderUid']}-{group['title']}.json"
        (generated / "alerts" / "grafana" / name).write_text(
            json.dumps(group, indent=2, sort_keys=True)
        )
    return generated


def standard_tree(root: Path) -> Path:
    return write_generated(
        root,
        [
            dashboard("mlmon-api", "API overview", ["api"]),
            dashboard("mlmon-drift", "Data drift", ["drift"]),
            dashboard("mlmon-model", "Model performance", ["model"]),
        ],
        [rule_group()],
    )
