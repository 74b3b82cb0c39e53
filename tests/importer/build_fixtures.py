"""Writes tests/importer/fixtures/*.json: our own dashboards in the shapes real public dashboards have.

Each fixture reproduces one shape met in public dashboards (kube-prometheus,
node-exporter-full, Percona PMM, Grafana's migration test inputs…) with
made-up titles and queries; none is a copy. Run ``python -m
tests.importer.build_fixtures`` to regenerate after changing a shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
SHAPES: dict[str, Callable[[], dict]] = {}


def shape(name: str) -> Callable[[Callable[[], dict]], Callable[[], dict]]:
    def register(make: Callable[[], dict]) -> Callable[[], dict]:
        SHAPES[name] = make
        return make

    return register


def target(expr: str, ref: str = "A", **extra: Any) -> dict:
    return {"expr": expr, "refId": ref, **extra}


def old_graph(title: str, *targets: dict, **extra: Any) -> dict:
    return {
        "type": "graph",
        "title": title,
        "span": 6,
        "datasource": "Prometheus",
        "lines": True,
        "linewidth": 1,
        "fill": 1,
        "legend": {"show": True, "avg": False, "current": True, "max": True, "values": True},
        "yaxes": [
            {"format": "short", "logBase": 1, "show": True},
            {"format": "short", "show": False},
        ],
        "xaxis": {"mode": "time", "show": True},
        "tooltip": {"shared": True, "sort": 0, "value_type": "individual"},
        "nullPointMode": "null",
        "targets": list(targets),
        **extra,
    }


def old_singlestat(title: str, expr: str, **extra: Any) -> dict:
    return {
        "type": "singlestat",
        "title": title,
        "span": 3,
        "datasource": "${DS_PROMETHEUS}",
        "format": "percent",
        "valueName": "current",
        "thresholds": "70,90",
        "colors": ["#299c46", "rgba(237, 129, 40, 0.89)", "#d44a3a"],
        "colorValue": True,
        "sparkline": {"show": True, "full": False},
        "gauge": {"show": False, "minValue": 0, "maxValue": 100},
        "valueMaps": [{"op": "=", "text": "N/A", "value": "null"}],
        "mappingType": 1,
        "nullPointMode": "connected",
        "targets": [target(expr, intervalFactor=2, step=40)],
        **extra,
    }


def legacy(title: str, rows: list[dict], schema: int = 14, **extra: Any) -> dict:
    return {
        "title": title,
        "uid": title.lower().replace(" ", "-")[:40],
        "schemaVersion": schema,
        "rows": rows,
        **extra,
    }


def modern(title: str, panels: list[dict], schema: int = 39, **extra: Any) -> dict:
    return {
        "title": title,
        "uid": title.lower().replace(" ", "-")[:40],
        "schemaVersion": schema,
        "panels": panels,
        **extra,
    }


def grid(x: int, y: int, w: int = 12, h: int = 8) -> dict:
    return {"x": x, "y": y, "w": w, "h": h}


DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
INPUTS = [
    {"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "pluginId": "prometheus"}
]


def ts(title: str, x: int, y: int, *targets: dict, **extra: Any) -> dict:
    return {
        "type": "timeseries",
        "title": title,
        "gridPos": grid(x, y),
        "datasource": DS,
        "targets": list(targets),
        **extra,
    }


# ------------------------------------------------------------- schemaVersion < 16 (legacy rows)


@shape("v14-rows-hidden-title")
def _() -> dict:
    return legacy(
        "Host overview legacy",
        [
            {
                "title": "Dashboard Row",
                "showTitle": False,
                "height": "250px",
                "panels": [
                    old_graph("Load", target('node_load1{instance="$host"}')),
                    old_graph(
                        "Context switches",
                        target('rate(node_context_switches_total{instance="$host"}[5m])'),
                    ),
                ],
            }
        ],
        templating={
            "list": [
                {
                    "name": "host",
                    "type": "query",
                    "datasource": "Prometheus",
                    "query": "label_values(node_uname_info, instance)",
                    "refresh": 1,
                    "$$hashKey": "object:12",
                }
            ]
        },
    )


@shape("v12-rows-titled")
def _() -> dict:
    return legacy(
        "Disk legacy",
        [
            {
                "title": "Space",
                "showTitle": True,
                "height": 300,
                "panels": [
                    old_graph(
                        "Used bytes",
                        target("node_filesystem_size_bytes - node_filesystem_avail_bytes"),
                        span=12,
                    )
                ],
            },
            {
                "title": "IO",
                "showTitle": True,
                "height": "200px",
                "panels": [
                    old_graph("Reads", target("rate(node_disk_reads_completed_total[5m])"), span=4),
                    old_graph(
                        "Writes", target("rate(node_disk_writes_completed_total[5m])"), span=4
                    ),
                    old_graph(
                        "IO time", target("rate(node_disk_io_time_seconds_total[5m])"), span=4
                    ),
                ],
            },
        ],
        schema=12,
    )


@shape("v14-rows-collapsed")
def _() -> dict:
    return legacy(
        "Network legacy",
        [
            {
                "title": "Traffic",
                "collapse": False,
                "panels": [
                    old_graph(
                        "Received",
                        target(
                            'rate(node_network_receive_bytes_total{device!="lo"}[5m])',
                            legendFormat="{{device}}",
                        ),
                    )
                ],
            },
            {
                "title": "Errors",
                "collapse": True,
                "panels": [
                    old_graph(
                        "Receive errors", target("rate(node_network_receive_errs_total[5m])")
                    ),
                    old_graph(
                        "Transmit errors", target("rate(node_network_transmit_errs_total[5m])")
                    ),
                ],
            },
        ],
    )


@shape("v13-rows-repeat")
def _() -> dict:
    return legacy(
        "Per instance legacy",
        [
            {
                "title": "$instance",
                "repeat": "instance",
                "panels": [
                    old_graph(
                        "CPU",
                        target(
                            'sum by (mode) (rate(node_cpu_seconds_total{instance=~"$instance"}[5m]))'
                        ),
                        span=12,
                    )
                ],
            },
            # The copy Grafana saved while showing the repeat: skipped on import, as Grafana does.
            {
                "title": "$instance",
                "repeatIteration": 1500000000000,
                "repeatRowId": 1,
                "panels": [old_graph("CPU", target("sum(node_load1)"), span=12)],
            },
        ],
        schema=13,
        templating={
            "list": [
                {
                    "name": "instance",
                    "type": "query",
                    "datasource": "Prometheus",
                    "query": "label_values(up, instance)",
                    "multi": True,
                    "includeAll": True,
                }
            ]
        },
    )


@shape("v10-rows-span-and-height")
def _() -> dict:
    return legacy(
        "Spans legacy",
        [
            {
                "title": "Mixed sizes",
                "showTitle": True,
                "panels": [
                    old_graph(
                        "Wide", target("sum(rate(http_requests_total[5m]))"), span=8, height="350px"
                    ),
                    old_singlestat("Up share", "avg(up)", span=4),
                    old_singlestat("Targets", "count(up)", span=0),
                ],
            }
        ],
        schema=10,
    )


@shape("v14-rows-table-old")
def _() -> dict:
    return legacy(
        "Targets table legacy",
        [
            {
                "title": "Targets",
                "showTitle": True,
                "panels": [
                    {
                        "type": "table",
                        "title": "Scrape targets",
                        "span": 12,
                        "datasource": "Prometheus",
                        "transform": "table",
                        "styles": [
                            {"pattern": "Time", "type": "hidden"},
                            {
                                "pattern": "Value",
                                "type": "number",
                                "unit": "s",
                                "decimals": 2,
                                "colorMode": "cell",
                                "thresholds": ["0.5", "1"],
                                "colors": ["green", "orange", "red"],
                            },
                            {"pattern": "/.*/", "type": "string"},
                        ],
                        "targets": [
                            target("scrape_duration_seconds", format="table", instant=True)
                        ],
                    }
                ],
            }
        ],
    )


@shape("v14-rows-heatmap")
def _() -> dict:
    return legacy(
        "Latency heatmap legacy",
        [
            {
                "title": "Latency",
                "showTitle": True,
                "panels": [
                    {
                        "type": "heatmap",
                        "title": "Request latency",
                        "span": 12,
                        "datasource": "Prometheus",
                        "dataFormat": "tsbuckets",
                        "color": {
                            "mode": "spectrum",
                            "colorScheme": "interpolateSpectral",
                            "exponent": 0.5,
                            "cardColor": "#b4ff00",
                        },
                        "cards": {"cardPadding": None, "cardRound": None},
                        "yAxis": {"format": "s", "decimals": 0, "logBase": 1, "show": True},
                        "yBucketBound": "upper",
                        "tooltip": {"show": True, "showHistogram": True},
                        "legend": {"show": False},
                        "hideZeroBuckets": True,
                        "highlightCards": True,
                        "targets": [
                            target(
                                "sum by (le) (increase(http_request_duration_seconds_bucket[$__interval]))",
                                format="heatmap",
                                legendFormat="{{le}}",
                            )
                        ],
                    }
                ],
            }
        ],
    )


@shape("v14-rows-string-datasources")
def _() -> dict:
    return legacy(
        "Named datasources legacy",
        [
            {
                "title": "Named",
                "showTitle": True,
                "panels": [
                    old_graph(
                        "Prometheus by name",
                        target("rate(process_cpu_seconds_total[5m])"),
                        datasource="prometheus-main",
                    ),
                    old_graph(
                        "Default datasource",
                        target("process_resident_memory_bytes"),
                        datasource=None,
                    ),
                ],
            }
        ],
        annotations={
            "list": [
                {
                    "name": "Deploys",
                    "datasource": "-- Grafana --",
                    "enable": True,
                    "iconColor": "red",
                    "showIn": 0,
                    "$$hashKey": "object:5",
                    "type": "tags",
                    "tags": ["deploy"],
                }
            ]
        },
    )


@shape("v14-rows-ds-inputs")
def _() -> dict:
    data = legacy(
        "Exported legacy",
        [
            {
                "title": "Exported",
                "showTitle": True,
                "panels": [
                    old_singlestat(
                        "Memory used",
                        "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
                    )
                ],
            }
        ],
    )
    data["__inputs"] = INPUTS
    data["__requires"] = [{"type": "grafana", "id": "grafana", "version": "4.6.0"}]
    return data


@shape("v14-rows-text")
def _() -> dict:
    return legacy(
        "Notes legacy",
        [
            {
                "title": "Read me",
                "showTitle": True,
                "panels": [
                    {
                        "type": "text",
                        "title": "About",
                        "span": 12,
                        "mode": "markdown",
                        "content": "# Runbook\nCheck the exporter first.",
                    },
                    old_graph("Exporter up", target('up{job="node"}')),
                ],
            }
        ],
    )


# ----------------------------------------------------------------- schemaVersion 16–38


@shape("v18-graph-full")
def _() -> dict:
    return modern(
        "Graph options",
        [
            {
                **old_graph(
                    "Requests by code",
                    target(
                        'sum by (code) (rate(http_requests_total{job="api"}[$__rate_interval]))',
                        legendFormat="{{code}}",
                    ),
                    target(
                        'sum(rate(http_requests_total{job="api"}[$__rate_interval]))',
                        "B",
                        legendFormat="total",
                    ),
                    seriesOverrides=[
                        {"alias": "total", "yaxis": 2, "color": "#FF0000", "fill": 0},
                        {"alias": "/5../", "linewidth": 3, "legend": False},
                    ],
                    thresholds=[
                        {
                            "value": 100,
                            "colorMode": "critical",
                            "op": "gt",
                            "fill": True,
                            "line": True,
                        }
                    ],
                    aliasColors={"200": "green"},
                ),
                "gridPos": grid(0, 0, 24),
                "datasource": DS,
                "span": None,
            }
        ],
        schema=18,
        __inputs=INPUTS,
    )


@shape("v22-graph-stacked")
def _() -> dict:
    return modern(
        "Stacked graph",
        [
            {
                **old_graph(
                    "Memory by kind",
                    target("node_memory_Buffers_bytes", legendFormat="buffers"),
                    target("node_memory_Cached_bytes", "B", legendFormat="cached"),
                    stack=True,
                    percentage=True,
                    steppedLine=True,
                    bars=False,
                    points=True,
                    pointradius=2,
                ),
                "gridPos": grid(0, 0),
                "datasource": "$datasource",
                "yaxes": [
                    {"format": "bytes", "min": 0, "max": None, "label": "bytes", "logBase": 2},
                    {"format": "short"},
                ],
            }
        ],
        schema=22,
        templating={"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
    )


@shape("v26-singlestat-maps")
def _() -> dict:
    panel = old_singlestat(
        "Service state",
        'max(kube_deployment_status_replicas_available{deployment="$deployment"})',
        rangeMaps=[{"from": "0", "to": "0", "text": "down"}],
        valueMaps=[{"op": "=", "value": "1", "text": "one"}],
        postfix=" pods",
    )
    panel.update(gridPos=grid(0, 0, 6, 4), datasource=DS)
    return modern(
        "Singlestat maps",
        [panel],
        schema=26,
        __inputs=INPUTS,
        templating={
            "list": [
                {
                    "name": "deployment",
                    "type": "query",
                    "datasource": DS,
                    "query": {
                        "query": "label_values(kube_deployment_status_replicas_available, deployment)",
                        "refId": "StandardVariableQuery",
                    },
                    "queryValue": "",
                    "index": -1,
                }
            ]
        },
    )


@shape("v27-singlestat-gauge")
def _() -> dict:
    panel = old_singlestat(
        "Disk used",
        '100 - 100 * node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}',
        gauge={
            "show": True,
            "minValue": 0,
            "maxValue": 100,
            "thresholdMarkers": True,
            "thresholdLabels": False,
        },
        valueName="avg",
    )
    panel.update(gridPos=grid(0, 0, 6, 6), datasource=DS)
    return modern("Singlestat gauge", [panel], schema=27, __inputs=INPUTS)


@shape("v24-table-old-aggregations")
def _() -> dict:
    return modern(
        "Old table aggregations",
        [
            {
                "type": "table-old",
                "title": "Instances",
                "gridPos": grid(0, 0, 24),
                "datasource": DS,
                "transform": "timeseries_aggregations",
                "columns": [
                    {"text": "Current", "value": "current"},
                    {"text": "Max", "value": "max"},
                ],
                "fontSize": "100%",
                "sort": {"col": 1, "desc": True},
                "styles": [
                    {
                        "pattern": "Metric",
                        "alias": "Instance",
                        "type": "string",
                        "link": True,
                        "linkUrl": "/d/host?var-instance=${__cell}",
                        "linkTooltip": "open",
                    }
                ],
                "targets": [
                    target(
                        'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))',
                        legendFormat="{{instance}}",
                    )
                ],
            }
        ],
        schema=24,
        __inputs=INPUTS,
    )


@shape("v20-heatmap-timeseries-buckets")
def _() -> dict:
    return modern(
        "Heatmap calculated",
        [
            {
                "type": "heatmap",
                "title": "Scrape duration distribution",
                "gridPos": grid(0, 0, 24),
                "datasource": DS,
                "dataFormat": "timeseries",
                "yBucketNumber": 10,
                "color": {
                    "mode": "opacity",
                    "cardColor": "#3274D9",
                    "colorScale": "sqrt",
                    "exponent": 0.5,
                    "min": 0,
                },
                "cards": {"cardPadding": 1, "cardRound": 2},
                "yAxis": {"format": "s", "show": True, "logBase": 2},
                "reverseYBuckets": True,
                "xBucketSize": "1m",
                "targets": [target("scrape_duration_seconds")],
            }
        ],
        schema=20,
        __inputs=INPUTS,
    )


@shape("v30-collapsed-rows")
def _() -> dict:
    return modern(
        "Collapsed rows",
        [
            {
                "type": "row",
                "title": "Overview",
                "collapsed": False,
                "gridPos": grid(0, 0, 24, 1),
                "panels": [],
                "id": 1,
            },
            ts("Ready pods", 0, 1, target('sum(kube_pod_status_ready{condition="true"})')),
            {
                "type": "row",
                "title": "Details",
                "collapsed": True,
                "gridPos": grid(0, 9, 24, 1),
                "id": 3,
                "panels": [
                    ts(
                        "Restarts",
                        0,
                        10,
                        target(
                            "sum by (namespace) (increase(kube_pod_container_status_restarts_total[1h]))",
                            legendFormat="{{namespace}}",
                        ),
                    ),
                    ts(
                        "Waiting",
                        12,
                        10,
                        target(
                            "sum by (reason) (kube_pod_container_status_waiting_reason)",
                            legendFormat="{{reason}}",
                        ),
                    ),
                ],
            },
        ],
        schema=30,
        __inputs=INPUTS,
    )


@shape("v33-repeated-panels")
def _() -> dict:
    return modern(
        "Repeated panels",
        [
            {
                **ts(
                    "Filesystem $mountpoint",
                    0,
                    0,
                    target('node_filesystem_avail_bytes{mountpoint="$mountpoint"}'),
                ),
                "repeat": "mountpoint",
                "repeatDirection": "h",
                "maxPerRow": 4,
            },
        ],
        schema=33,
        __inputs=INPUTS,
        templating={
            "list": [
                {
                    "name": "mountpoint",
                    "type": "query",
                    "datasource": DS,
                    "query": "label_values(node_filesystem_avail_bytes, mountpoint)",
                    "multi": True,
                    "includeAll": True,
                    "current": {"text": "All", "value": "$__all", "isNone": False},
                }
            ]
        },
    )


@shape("v36-library-panels")
def _() -> dict:
    model = ts(
        "Shared CPU",
        0,
        0,
        target('sum(rate(node_cpu_seconds_total{mode="user"}[$__rate_interval]))'),
    )
    return modern(
        "Library panels",
        [
            {
                "gridPos": grid(0, 0),
                "id": 1,
                "libraryPanel": {"uid": "lib-cpu", "name": "Shared CPU"},
            },
            {
                "gridPos": grid(12, 0),
                "id": 2,
                "libraryPanel": {"uid": "lib-missing", "name": "Not exported"},
            },
        ],
        schema=36,
        __inputs=INPUTS,
        __elements={"lib-cpu": {"name": "Shared CPU", "uid": "lib-cpu", "kind": 1, "model": model}},
    )


@shape("v37-loki-and-prometheus")
def _() -> dict:
    inputs = INPUTS + [
        {"name": "DS_LOKI", "label": "Loki", "type": "datasource", "pluginId": "loki"}
    ]
    return modern(
        "Logs beside metrics",
        [
            ts("Errors", 0, 0, target('sum(rate(log_messages_total{level="error"}[5m]))')),
            {
                "type": "logs",
                "title": "Error logs",
                "gridPos": grid(12, 0),
                "datasource": {"type": "loki", "uid": "${DS_LOKI}"},
                "targets": [
                    {
                        "expr": '{app="api"} |= "error"',
                        "refId": "A",
                        "datasource": {"type": "loki", "uid": "${DS_LOKI}"},
                    }
                ],
            },
        ],
        schema=37,
        __inputs=inputs,
    )


@shape("v35-mixed-datasource")
def _() -> dict:
    return modern(
        "Mixed datasource",
        [
            {
                "type": "timeseries",
                "title": "Two Prometheus",
                "gridPos": grid(0, 0),
                "datasource": {"type": "datasource", "uid": "-- Mixed --"},
                "targets": [
                    {
                        "expr": "sum(up)",
                        "refId": "A",
                        "datasource": {"type": "prometheus", "uid": "prom-a"},
                    },
                    {
                        "expr": "sum(up)",
                        "refId": "B",
                        "datasource": {"type": "prometheus", "uid": "prom-b"},
                    },
                ],
            }
        ],
        schema=35,
    )


@shape("v21-annotations-ui-keys")
def _() -> dict:
    return modern(
        "Annotations UI keys",
        [ts("Up", 0, 0, target("up"))],
        schema=21,
        __inputs=INPUTS,
        annotations={
            "list": [
                {
                    "builtIn": 1,
                    "datasource": "-- Grafana --",
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                    "$$hashKey": "object:1",
                },
                {
                    "datasource": "${DS_PROMETHEUS}",
                    "enable": True,
                    "expr": "changes(process_start_time_seconds[5m]) > 0",
                    "iconColor": "orange",
                    "name": "Restarts",
                    "showIn": 0,
                    "step": "1m",
                    "titleFormat": "restart",
                    "tagKeys": "job",
                },
            ]
        },
    )


@shape("v28-links-without-defaults")
def _() -> dict:
    return modern(
        "Links without defaults",
        [
            ts(
                "Up",
                0,
                0,
                target("up"),
                links=[{"title": "Runbook", "url": "https://example.invalid/runbook"}],
            )
        ],
        schema=28,
        __inputs=INPUTS,
        links=[
            {"title": "Home", "type": "link", "url": "/"},
            {"type": "dashboards", "tags": ["k8s"], "asDropdown": True},
        ],
    )


@shape("v29-variable-ui-keys")
def _() -> dict:
    return modern(
        "Variable UI keys",
        [ts("Jobs up", 0, 0, target('sum by (job) (up{job=~"$job"})', legendFormat="{{job}}"))],
        schema=29,
        __inputs=INPUTS,
        templating={
            "list": [
                {
                    "name": "job",
                    "type": "query",
                    "datasource": "${DS_PROMETHEUS}",
                    "query": "label_values(up, job)",
                    "index": -1,
                    "queryValue": "",
                    "tags": [],
                    "tagsQuery": "",
                    "useTags": False,
                    "tagValuesQuery": "",
                    "multi": True,
                    "includeAll": True,
                },
                {
                    "name": "interval",
                    "type": "interval",
                    "query": "1m,5m,10m",
                    "auto": True,
                    "auto_count": "30",
                    "auto_min": "10s",
                },
                {
                    "name": "env",
                    "type": "custom",
                    "query": "prod,staging",
                    "allFormat": "regex values",
                    "multiFormat": "regex values",
                },
            ]
        },
    )


@shape("v31-transformations-without-options")
def _() -> dict:
    return modern(
        "Transformations defaults",
        [
            {
                **ts("Jobs table", 0, 0, target("sum by (job) (up)", format="table", instant=True)),
                "type": "table",
                "transformations": [
                    {"id": "merge"},
                    {"id": "organize", "options": {"excludeByName": {"Time": True}}},
                ],
            }
        ],
        schema=31,
        __inputs=INPUTS,
    )


@shape("v32-overlapping-gridpos")
def _() -> dict:
    return modern(
        "Overlapping panels",
        [
            ts("First", 0, 0, target("up")),
            ts("Second", 6, 0, target("sum(up)")),
            ts("Third", 0, 4, target("count(up)")),
        ],
        schema=32,
        __inputs=INPUTS,
    )


@shape("v34-meaningful-defaults")
def _() -> dict:
    return modern(
        "Resolution settings",
        [
            {
                **ts(
                    "Coarse",
                    0,
                    0,
                    target(
                        "rate(process_cpu_seconds_total[5m])",
                        intervalFactor=2,
                        step=10,
                        interval="30s",
                    ),
                ),
                "maxDataPoints": 100,
                "interval": "1m",
            },
            {
                **ts("Hidden series", 12, 0, target("process_open_fds")),
                "fieldConfig": {
                    "defaults": {
                        "custom": {"hideFrom": {"legend": True, "tooltip": False, "viz": False}}
                    },
                    "overrides": [
                        {
                            "matcher": {"id": "byName", "options": "process_open_fds"},
                            "properties": [
                                {
                                    "id": "custom.hideFrom",
                                    "value": {"legend": False, "tooltip": True, "viz": False},
                                }
                            ],
                        }
                    ],
                },
            },
        ],
        schema=34,
        __inputs=INPUTS,
    )


@shape("v30-grafana7-mappings")
def _() -> dict:
    return modern(
        "Grafana 7 mappings",
        [
            {
                **ts("State", 0, 0, target("up")),
                "type": "stat",
                "fieldConfig": {
                    "defaults": {
                        "mappings": [
                            {"id": 0, "op": "=", "text": "DOWN", "type": 1, "value": "0"},
                            {"id": 1, "op": "=", "text": "UP", "type": 1, "value": "1"},
                            {"id": 2, "from": "2", "to": "100", "text": "many", "type": 2},
                        ]
                    },
                    "overrides": [],
                },
            }
        ],
        schema=30,
        __inputs=INPUTS,
    )


@shape("v33-datasource-variable-strings")
def _() -> dict:
    return modern(
        "Datasource variable strings",
        [
            {**ts("A", 0, 0, target("up")), "datasource": "$datasource"},
            {**ts("B", 12, 0, target("sum(up)")), "datasource": "${datasource}"},
            {**ts("C", 0, 8, target("count(up)")), "datasource": {"uid": "$datasource"}},
        ],
        schema=33,
        templating={
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"text": "default", "value": "default"},
                }
            ]
        },
    )


@shape("v34-datasource-without-type")
def _() -> dict:
    return modern(
        "Datasource without type",
        [{**ts("Uid only", 0, 0, target("up")), "datasource": {"uid": "P1809F7CD0C75ACF3"}}],
        schema=34,
    )


@shape("v35-sql-target")
def _() -> dict:
    return modern(
        "SQL beside PromQL",
        [
            ts("Up", 0, 0, target("up")),
            {
                "type": "table",
                "title": "Slow queries",
                "gridPos": grid(12, 0),
                "datasource": {"type": "postgres", "uid": "pg"},
                "targets": [
                    {
                        "refId": "A",
                        "rawSql": "SELECT query, mean_time FROM pg_stat_statements LIMIT 10",
                        "format": 1,
                        "datasource": {"type": "postgres", "uid": "pg"},
                    }
                ],
            },
        ],
        schema=35,
        __inputs=INPUTS,
    )


@shape("v36-duplicate-refids")
def _() -> dict:
    return modern(
        "Duplicate refIds",
        [ts("Two A", 0, 0, target("up"), target("sum(up)", "A"))],
        schema=36,
        __inputs=INPUTS,
    )


@shape("v25-piechart-plugin")
def _() -> dict:
    return modern(
        "Old piechart",
        [
            {
                "type": "grafana-piechart-panel",
                "title": "Jobs",
                "gridPos": grid(0, 0),
                "datasource": DS,
                "pieType": "donut",
                "legendType": "Right side",
                "valueName": "current",
                "format": "short",
                "targets": [target("count by (job) (up)", legendFormat="{{job}}")],
            }
        ],
        schema=25,
        __inputs=INPUTS,
    )


@shape("v19-stale-angular-keys")
def _() -> dict:
    return modern(
        "Stale keys",
        [
            {
                **ts("Migrated once", 0, 0, target("rate(process_cpu_seconds_total[5m])")),
                "aliasColors": {},
                "bars": False,
                "paceLength": 10,
                "renderer": "flot",
                "autoMigrateFrom": "graph",
                "isNew": True,
                "editable": True,
                "error": False,
            }
        ],
        schema=19,
        __inputs=INPUTS,
    )


@shape("v16-missing-uid-and-grid-keys")
def _() -> dict:
    data = modern(
        "No uid here",
        [{**ts("Partial grid", 0, 0, target("up")), "gridPos": {"h": 8, "w": 12}}],
        schema=16,
    )
    data.pop("uid")
    return data


# ----------------------------------------------------------------- schemaVersion ≥ 39


@shape("v39-timeseries-overrides-transformations-links")
def _() -> dict:
    return modern(
        "Modern timeseries",
        [
            {
                **ts(
                    "Latency p99",
                    0,
                    0,
                    target(
                        "histogram_quantile(0.99, sum by (le, handler) (rate(prometheus_http_request_duration_seconds_bucket[$__rate_interval])))",
                        legendFormat="{{handler}}",
                    ),
                ),
                "fieldConfig": {
                    "defaults": {
                        "unit": "s",
                        "custom": {
                            "drawStyle": "line",
                            "fillOpacity": 0,
                            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                        },
                    },
                    "overrides": [
                        {
                            "matcher": {"id": "byRegexp", "options": "/api/.*"},
                            "properties": [
                                {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}
                            ],
                        }
                    ],
                },
                "options": {
                    "legend": {
                        "displayMode": "table",
                        "placement": "right",
                        "showLegend": True,
                        "calcs": ["max"],
                    },
                    "tooltip": {"mode": "multi", "sort": "desc"},
                },
                "transformations": [
                    {
                        "id": "renameByRegex",
                        "options": {"regex": "/api/(.*)", "renamePattern": "$1"},
                    }
                ],
                "links": [
                    {
                        "title": "Runbook",
                        "url": "https://example.invalid/latency",
                        "targetBlank": True,
                    }
                ],
                "pluginVersion": "10.4.0",
            }
        ],
        __inputs=INPUTS,
    )


@shape("v39-stat-gauge-bargauge")
def _() -> dict:
    return modern(
        "Modern singles",
        [
            {
                **ts("Targets up", 0, 0, target("sum(up)")),
                "type": "stat",
                "options": {
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background",
                    "graphMode": "none",
                },
            },
            {
                **ts("Up ratio", 12, 0, target("avg(up)")),
                "type": "gauge",
                "fieldConfig": {
                    "defaults": {"unit": "percentunit", "min": 0, "max": 1},
                    "overrides": [],
                },
            },
            {
                **ts(
                    "Up by job",
                    0,
                    8,
                    target("avg by (job) (up)", legendFormat="{{job}}", instant=True),
                ),
                "type": "bargauge",
                "options": {"displayMode": "lcd", "orientation": "horizontal"},
            },
        ],
        schema=40,
        __inputs=INPUTS,
    )


@shape("v41-table-and-plugins")
def _() -> dict:
    return modern(
        "Tables and plugins",
        [
            {
                **ts(
                    "Versions",
                    0,
                    0,
                    target(
                        "count by (version) (prometheus_build_info)", format="table", instant=True
                    ),
                ),
                "type": "table",
                "fieldConfig": {
                    "defaults": {"custom": {"cellOptions": {"type": "auto"}}},
                    "overrides": [
                        {
                            "matcher": {"id": "byName", "options": "Value"},
                            "properties": [{"id": "displayName", "value": "Count"}],
                        }
                    ],
                },
            },
            {
                **ts("States", 12, 0, target("up")),
                "type": "state-timeline",
                "options": {"mergeValues": True},
            },
            {
                **ts("Polystat", 0, 8, target("up")),
                "type": "grafana-polystat-panel",
                "polystat": {"animationSpeed": 2500},
            },
        ],
        schema=41,
        __inputs=INPUTS,
    )


@shape("v42-heatmap-modern")
def _() -> dict:
    return modern(
        "Modern heatmap",
        [
            {
                **ts(
                    "Buckets",
                    0,
                    0,
                    target(
                        "sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[$__rate_interval]))",
                        format="heatmap",
                        legendFormat="{{le}}",
                    ),
                ),
                "type": "heatmap",
                "options": {
                    "calculate": False,
                    "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64},
                    "yAxis": {"unit": "s"},
                    "cellGap": 1,
                },
            }
        ],
        schema=42,
        __inputs=INPUTS,
    )


@shape("v39-api-envelope")
def _() -> dict:
    return {
        "dashboard": modern("From the API", [ts("Up", 0, 0, target("up"))], id=12, version=3),
        "meta": {"slug": "from-the-api", "folderTitle": "General"},
    }


@shape("v39-no-panels")
def _() -> dict:
    data = modern("Empty dashboard", [])
    data.pop("panels")
    return data


@shape("v39-root-runtime-keys")
def _() -> dict:
    return modern(
        "Runtime keys",
        [ts("Up", 0, 0, target("up"))],
        __inputs=INPUTS,
        preload=False,
        revision=7,
        gnetId=1860,
        iteration=1700000000000,
        weekStart="monday",
        fiscalYearStartMonth=0,
        liveNow=False,
    )


@shape("v39-node-exporter-sized")
def _() -> dict:
    """A Node Exporter Full–sized dashboard: collapsed rows, many panels, node_exporter families."""
    metrics = [
        "node_cpu_seconds_total",
        "node_memory_MemAvailable_bytes",
        "node_filesystem_avail_bytes",
        "node_network_receive_bytes_total",
        "node_disk_read_bytes_total",
        "node_load5",
        "node_procs_running",
        "node_vmstat_pgfault",
        "node_timex_offset_seconds",
        "node_entropy_available_bits",
    ]
    panels: list[dict] = []
    y = 0
    for row_index in range(8):
        children = []
        for i in range(6):
            metric = metrics[(row_index + i) % len(metrics)]
            expr = (
                f'rate({metric}{{instance="$node",job="$job"}}[$__rate_interval])'
                if metric.endswith("_total")
                else f'{metric}{{instance="$node",job="$job"}}'
            )
            children.append(
                ts(
                    f"{metric} {row_index}.{i}",
                    (i % 2) * 12,
                    y + 1 + (i // 2) * 8,
                    target(expr, legendFormat="{{instance}}"),
                )
            )
        panels.append(
            {
                "type": "row",
                "title": f"Row {row_index}",
                "collapsed": row_index > 0,
                "gridPos": grid(0, y, 24, 1),
                "panels": children if row_index > 0 else [],
            }
        )
        if row_index == 0:
            panels.extend(children)
            y += 25
        else:
            y += 1
    return modern(
        "Node sized",
        panels,
        schema=41,
        __inputs=INPUTS,
        templating={
            "list": [
                {
                    "name": "job",
                    "type": "query",
                    "datasource": DS,
                    "query": "label_values(node_uname_info, job)",
                },
                {
                    "name": "node",
                    "type": "query",
                    "datasource": DS,
                    "query": 'label_values(node_uname_info{job="$job"}, instance)',
                },
            ]
        },
    )


@shape("v39-kube-state-histograms")
def _() -> dict:
    return modern(
        "Kube state histograms",
        [
            ts(
                "API p99",
                0,
                0,
                target(
                    'histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{verb!="WATCH"}[$__rate_interval])))',
                    legendFormat="{{verb}}",
                ),
            ),
            ts(
                "Pods by phase",
                12,
                0,
                target("sum by (phase) (kube_pod_status_phase)", legendFormat="{{phase}}"),
            ),
            ts(
                "Pod info join",
                0,
                8,
                target(
                    "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[5m])) * on (namespace, pod) group_left (node) kube_pod_info"
                ),
            ),
        ],
        __inputs=INPUTS,
    )


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for old in FIXTURES.glob("*.json"):
        old.unlink()
    for name, make in SHAPES.items():
        (FIXTURES / f"{name}.json").write_text(
            json.dumps(make(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(f"wrote {len(SHAPES)} fixtures to {FIXTURES}")


if __name__ == "__main__":
    main()
