#!/usr/bin/env python3
"""Benchmark the catalog-* lint rules on a Node Exporter Full–sized dashboard not owned by the project.

The dashboard (built here, our own): 127 panels in collapsed rows, 334
queries over 229 node_exporter-like metrics, the shape that used to flood
`mlmon lint` with one catalog finding per query. Baseline, measured in the
same run: reading and parsing the JSON. Reported: all rules, the catalog
rules alone, and all rules with the catalog rules off, each as a ratio to
the baseline; then the same with the families declared in a catalog.yml.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlmon.lint import lint_paths  # noqa: E402
from mlmon.lint.registry import all_rules  # noqa: E402

PANELS, QUERIES, METRICS = 127, 334, 229
DS = {"type": "prometheus", "uid": "${datasource}"}


def node_sized_dashboard() -> dict:
    metrics = [
        f"node_family{i // 8}_metric{i % 8}{'_total' if i % 3 == 0 else ''}" for i in range(METRICS)
    ]
    panels: list[dict] = []
    query = 0
    for index in range(PANELS):
        count = 3 if index < QUERIES - 2 * PANELS else 2
        targets = []
        for ref in range(count):
            metric = metrics[query % METRICS]
            expr = (
                f'sum by (instance) (rate({metric}{{instance="$node",job="$job"}}[$__rate_interval]))'
                if metric.endswith("_total")
                else f'{metric}{{instance="$node",job="$job"}}'
            )
            targets.append(
                {
                    "refId": chr(65 + ref),
                    "expr": expr,
                    "datasource": DS,
                    "legendFormat": "{{instance}}",
                }
            )
            query += 1
        panels.append(
            {
                "type": "timeseries",
                "id": index + 1,
                "title": f"Panel {index}",
                "description": "A node metric.",
                "gridPos": {"x": (index % 2) * 12, "y": (index // 2) * 8, "w": 12, "h": 8},
                "datasource": DS,
                "targets": targets,
            }
        )
    rows = [
        {
            "type": "row",
            "id": 1000 + r,
            "title": f"Row {r}",
            "collapsed": True,
            "gridPos": {"x": 0, "y": r, "w": 24, "h": 1},
            "panels": panels[r * 16 : (r + 1) * 16],
        }
        for r in range((PANELS + 15) // 16)
    ]
    variables = [{"name": "datasource", "type": "datasource", "query": "prometheus"}] + [
        {
            "name": name,
            "type": "query",
            "datasource": DS,
            "query": f"label_values(node_uname_info, {label})",
            "refresh": 2,
        }
        for name, label in (("job", "job"), ("node", "instance"))
    ]
    return {
        "title": "Node sized",
        "uid": "node-sized",
        "schemaVersion": 39,
        "panels": rows,
        "templating": {"list": variables},
        "editable": False,
    }, metrics


def timed(function, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def config(disabled: list[str]) -> str:
    return "rules:\n" + "".join(f"  {name}: {{enabled: false}}\n" for name in disabled)


def main() -> int:
    dashboard, metrics = node_sized_dashboard()
    catalog_rules = [name for name in all_rules() if name.startswith("catalog-")]
    others = [name for name in all_rules() if name not in catalog_rules]
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        path = Path(tmp) / "node.json"
        path.write_text(json.dumps(dashboard))
        baseline = timed(lambda: json.loads(path.read_text()))
        print(
            f"{PANELS} panels, {QUERIES} queries, {METRICS} metrics; parse {baseline * 1000:.1f} ms (baseline)"
        )
        for declared in (False, True):
            if declared:
                Path("catalog.yml").write_text(
                    "families:\n  node_uname_info: {type: gauge, labels: []}\n"
                    + "".join(
                        f"  {m}: {{type: {'counter' if m.endswith('_total') else 'gauge'}, labels: []}}\n"
                        for m in metrics
                    )
                )
            for name, disabled in (
                ("all rules", []),
                ("catalog rules only", others),
                ("catalog rules off", catalog_rules),
            ):
                setting = Path(tmp) / ".mlmon-lint.yml"
                setting.write_text(config(disabled)) if disabled else setting.unlink(
                    missing_ok=True
                )
                report = lint_paths([path])
                seconds = timed(lambda: lint_paths([path]))
                catalog = sum(1 for f in report.findings if f.rule.startswith("catalog-"))
                label = "declared in catalog.yml" if declared else "undeclared"
                print(
                    f"{label:24s} {name:19s} {seconds * 1000:7.1f} ms  {seconds / baseline:6.1f}x baseline  "
                    f"catalog findings: {catalog}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
