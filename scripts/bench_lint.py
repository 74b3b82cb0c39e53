#!/usr/bin/env python3
"""Benchmark `mlmon lint` (static) on a Node-Exporter-Full-sized dashboard, against baselines from the same run.

The dashboard is generated here (127 panels: an expanded row of gauges and
stats, collapsed rows of time series with two or three node_* queries each,
job/instance variables), the shape and size of Grafana's most imported
dashboard; the target from issue #15 is 0.3 s with every rule on.

Baselines, measured in the same run on the same file:
  - parse: reading and json-parsing the file (what any linter must do);
  - no-catalog: lint with the catalog rules off (the Prometheus-practice,
    layout and template rules only).
"Every rule on" is the default configuration (every rule that is on by default,
the catalog rules included); a last line adds the two off-by-default rules.
Also: the project's generated/ and a 4x larger dashboard (to catch quadratic rules).
Figures are medians, reported as ratios; nothing is asserted.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlmon.lint.config import Config  # noqa: E402
from mlmon.lint.documents import read  # noqa: E402
from mlmon.lint.engine import Report, lint_document, lint_paths  # noqa: E402
from mlmon.lint.registry import all_rules  # noqa: E402

TARGET_SECONDS = 0.3
EVERY_RULE = Config()  # every rule that is on by default, the catalog rules included
CATALOG_OFF = Config(
    {name: {"enabled": False} for name in all_rules() if name.startswith("catalog-")}
)
ALL_ON = Config({name: {"enabled": True} for name in all_rules()})  # + the off-by-default rules

NODE = 'instance="$node",job="$job"'
# (title, unit, queries) of the kind Node Exporter Full draws; cycled through the collapsed rows.
SERIES_PANELS = [
    (
        "CPU",
        "percentunit",
        [
            f'sum(irate(node_cpu_seconds_total{{{NODE}, mode="system"}}[$__rate_interval])) / scalar(count(count(node_cpu_seconds_total{{{NODE}}}) by (cpu)))',
            f'sum(irate(node_cpu_seconds_total{{{NODE}, mode="user"}}[$__rate_interval])) / scalar(count(count(node_cpu_seconds_total{{{NODE}}}) by (cpu)))',
            f'sum(irate(node_cpu_seconds_total{{{NODE}, mode="iowait"}}[$__rate_interval])) / scalar(count(count(node_cpu_seconds_total{{{NODE}}}) by (cpu)))',
        ],
    ),
    (
        "Memory",
        "bytes",
        [
            f"node_memory_MemTotal_bytes{{{NODE}}} - node_memory_MemFree_bytes{{{NODE}}} - node_memory_Buffers_bytes{{{NODE}}}",
            f"node_memory_Cached_bytes{{{NODE}}}",
        ],
    ),
    (
        "Network traffic",
        "bps",
        [
            f'irate(node_network_receive_bytes_total{{{NODE}, device!~"lo"}}[$__rate_interval]) * 8',
            f'irate(node_network_transmit_bytes_total{{{NODE}, device!~"lo"}}[$__rate_interval]) * 8',
        ],
    ),
    (
        "Disk IOps",
        "iops",
        [
            f'irate(node_disk_reads_completed_total{{{NODE}, device=~"$diskdevices"}}[$__rate_interval])',
            f'irate(node_disk_writes_completed_total{{{NODE}, device=~"$diskdevices"}}[$__rate_interval])',
        ],
    ),
    (
        "Filesystem space",
        "bytes",
        [
            f'node_filesystem_size_bytes{{{NODE}, device!~"rootfs"}} - node_filesystem_avail_bytes{{{NODE}, device!~"rootfs"}}',
        ],
    ),
    (
        "Load",
        "short",
        [
            f"node_load1{{{NODE}}}",
            f"node_load5{{{NODE}}}",
            f"node_load15{{{NODE}}}",
        ],
    ),
    (
        "Context switches",
        "ops",
        [
            f"irate(node_context_switches_total{{{NODE}}}[$__rate_interval])",
            f"irate(node_intr_total{{{NODE}}}[$__rate_interval])",
        ],
    ),
]
DS = {"type": "prometheus", "uid": "${datasource}"}


def _panel(panel_id: int, title: str, kind: str, unit: str, exprs: list[str], grid: tuple) -> dict:
    return {
        "id": panel_id,
        "type": kind,
        "title": title,
        "description": f"{title} of the selected node.",
        "datasource": DS,
        "gridPos": dict(zip("xywh", grid)),
        "fieldConfig": {"defaults": {"unit": unit, "mappings": []}, "overrides": []},
        "targets": [
            {"refId": chr(65 + i), "datasource": DS, "expr": expr, "legendFormat": "{{device}}"}
            for i, expr in enumerate(exprs)
        ],
    }


def node_exporter_full_like(rows: int = 14, per_row: int = 7) -> dict:
    """1 expanded row + 12 quick panels, ``rows`` collapsed rows of ``per_row`` panels, 2 text panels."""
    panels: list[dict] = [
        {"id": 1, "type": "text", "title": "", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 2}},
        {
            "id": 2,
            "type": "row",
            "title": "Quick CPU / Mem / Disk",
            "collapsed": False,
            "gridPos": {"x": 0, "y": 2, "w": 24, "h": 1},
            "panels": [],
        },
    ]
    next_id = 3
    for i in range(12):
        title, unit, exprs = SERIES_PANELS[i % len(SERIES_PANELS)]
        kind = "gauge" if i < 6 else "stat"
        panels.append(
            _panel(
                next_id,
                f"{title} now {i}",
                kind,
                unit,
                exprs[:1],
                ((i % 6) * 4, 3 + (i // 6) * 4, 4, 4),
            )
        )
        next_id += 1
    y = 11
    for r in range(rows):
        nested = []
        for j in range(per_row):
            title, unit, exprs = SERIES_PANELS[(r * per_row + j) % len(SERIES_PANELS)]
            nested.append(
                _panel(
                    next_id,
                    f"{title} {r}.{j}",
                    "timeseries",
                    unit,
                    exprs,
                    ((j % 2) * 12, y + 1 + (j // 2) * 8, 12, 8),
                )
            )
            next_id += 1
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": f"Row {r}",
                "collapsed": True,
                "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
                "panels": nested,
            }
        )
        next_id += 1
        y += 1
    panels.append(
        {
            "id": next_id,
            "type": "text",
            "title": "Footer",
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 2},
        }
    )
    variables = [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus"},
        {
            "name": "job",
            "type": "query",
            "datasource": DS,
            "refresh": 2,
            "query": {"query": "label_values(node_uname_info, job)", "refId": "A"},
        },
        {
            "name": "node",
            "type": "query",
            "datasource": DS,
            "refresh": 2,
            "query": {"query": 'label_values(node_uname_info{job="$job"}, instance)', "refId": "A"},
        },
        {"name": "diskdevices", "type": "custom", "query": "[a-z]+|nvme[0-9]+n[0-9]+"},
    ]
    return {
        "title": "Node Exporter Full (benchmark)",
        "uid": "bench-node-full",
        "editable": False,
        "schemaVersion": 39,
        "templating": {"list": variables},
        "panels": panels,
    }


def count_panels(items: list[dict]) -> int:
    return sum(1 + count_panels(p.get("panels") or []) for p in items)


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    function()  # warm-up: imports, regex compilation
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def lint_file(path: Path, config: Config) -> Report:
    report = Report()
    document = read(path, explicit=True)
    assert document is not None
    lint_document(document, config, report)
    return report


def bench_dashboard(name: str, data: dict, repeat: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard.json"
        path.write_text(json.dumps(data, indent=2))
        parse = median_seconds(lambda: json.loads(path.read_text()), repeat)
        no_catalog = median_seconds(lambda: lint_file(path, CATALOG_OFF), repeat)
        every_rule = median_seconds(lambda: lint_file(path, EVERY_RULE), repeat)
        all_on = median_seconds(lambda: lint_file(path, ALL_ON), repeat)
        findings = len(lint_file(path, EVERY_RULE).findings)
    queries = sum(len(p.get("targets", [])) for p in _walk(data["panels"]))
    print(
        f"{name}: {count_panels(data['panels'])} panels, {queries} queries, {findings} findings with every rule on"
    )
    print(f"  parse (baseline)        {parse * 1000:8.1f} ms")
    print(
        f"  lint, catalog rules off {no_catalog * 1000:8.1f} ms  ({no_catalog / parse:5.1f}x parse)"
    )
    print(
        f"  lint, every rule on     {every_rule * 1000:8.1f} ms  ({every_rule / parse:5.1f}x parse, "
        f"{every_rule / no_catalog:4.1f}x catalog-off)"
    )
    print(
        f"  + job/instance matchers {all_on * 1000:8.1f} ms  ({all_on / every_rule:4.2f}x every rule on)"
    )
    return every_rule


def _walk(items: list[dict]):
    for item in items:
        yield item
        yield from _walk(item.get("panels") or [])


def main() -> int:
    seconds = bench_dashboard(
        "Node-Exporter-Full-like dashboard", node_exporter_full_like(), repeat=7
    )
    verdict = "meets" if seconds <= TARGET_SECONDS else "MISSES"
    print(f"  target <= {TARGET_SECONDS:.2f} s with every rule on: {verdict} ({seconds:.3f} s)")
    larger = bench_dashboard(
        "4x larger (56 collapsed rows)", node_exporter_full_like(rows=56), repeat=3
    )
    print(
        f"  scaling: 4x the rows takes {larger / seconds:.1f}x the time (linear would be about 3.6x)"
    )
    generated = ROOT / "generated"
    if generated.is_dir():
        files = [p for p in sorted(generated.rglob("*")) if p.suffix in (".json", ".yml", ".yaml")]
        lint = median_seconds(lambda: lint_paths([generated]), 5)
        print(f"generated/: {len(files)} files, lint {lint * 1000:.1f} ms (default rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
