"""Raw grafanalib objects still work: normalised to the modern model; the automatic grid layout."""

from __future__ import annotations

import json

import pytest
from grafanalib.core import (
    BarGauge,
    Dashboard,
    GaugePanel,
    GridPos,
    RowPanel,
    Stat,
    Table,
    Target,
    Templating,
    Text,
    Threshold,
    TimeSeries,
)

from mlmon.compiler.dashboards import BuildFailed, compile_dashboard, compile_dashboards
from mlmon.compiler.normalise import normalise
from mlmon.dsl import panels as p
from mlmon.dsl import query as q
from mlmon.dsl import variables as var
from mlmon.dsl.layout import cell, place, row
from mlmon.errors import SourceError
from tests.dashboards.support import SOURCES, grafana_schema_errors

DS = var.DATASOURCE


def raw_dashboard(*panels, **kwargs) -> Dashboard:
    return Dashboard(
        title="Raw",
        uid="raw",
        description="Raw grafanalib objects.",
        panels=list(panels),
        templating=Templating(list=[var.datasource()]),
        **kwargs,
    )


def at(x: int, w: int = 8) -> GridPos:
    return GridPos(h=8, w=w, x=x, y=0)


def test_raw_grafanalib_panels_compile_to_the_modern_model():
    target = Target(expr="sum(rate(api_requests_total[5m]))", refId="A", datasource=DS)
    dashboard = raw_dashboard(
        TimeSeries(
            title="Rate",
            description="Requests.",
            targets=[target],
            dataSource=DS,
            gridPos=at(0, 6),
            unit="reqps",
        ),
        GaugePanel(
            title="Gauge",
            description="A gauge.",
            targets=[target],
            dataSource=DS,
            gridPos=at(6, 6),
            format="percentunit",
            min=0,
            max=1,
            thresholds=[Threshold("red", 0, 0.0), Threshold("green", 1, 0.9)],
        ),
        BarGauge(
            title="Bars",
            description="Bars.",
            targets=[target],
            dataSource=DS,
            gridPos=at(12, 6),
            format="short",
            calc="max",
        ),
        Table(
            title="Table",
            description="A table.",
            targets=[target],
            dataSource=DS,
            gridPos=at(18, 6),
            displayMode="color-background",
            mappings=p.value_map({0: ("OK", "green")}),
        ),
        Text(
            title="Notes",
            description="Notes.",
            content="# Read me",
            gridPos=GridPos(h=3, w=24, x=0, y=8),
        ),
        sharedCrosshair=True,
    )
    model = compile_dashboard(dashboard, "raw.py")
    assert grafana_schema_errors(model) == []
    assert model["schemaVersion"] >= 39 and model["graphTooltip"] == 1
    assert not {"rows", "style", "sharedCrosshair", "hideControls", "id"} & set(model)
    assert "time_options" not in model["timepicker"]
    gauge, bars, table, text = model["panels"][1:]
    assert gauge["options"]["reduceOptions"]["calcs"] == ["mean"]  # grafanalib's default reducer
    assert gauge["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "red", "value": None},
        {"color": "green", "value": 0.9},
    ]
    assert "calcs" not in gauge["fieldConfig"]["defaults"]
    assert "fieldOptions" not in bars["options"] and bars["options"]["reduceOptions"]["calcs"] == [
        "max"
    ]
    assert table["fieldConfig"]["defaults"]["custom"]["cellOptions"] == {"type": "color-background"}
    assert table["fieldConfig"]["defaults"]["mappings"][0]["options"]["0"]["text"] == "OK"
    assert text["options"]["content"] == "# Read me" and "datasource" not in text
    for panel in model["panels"][:4]:
        assert set(panel["targets"][0]) >= {"refId", "expr", "datasource"}
        assert not {"query", "target", "intervalFactor", "step"} & set(panel["targets"][0])
        assert not {"span", "error", "editable", "height"} & set(panel)


def test_normalising_is_idempotent():
    for data in compile_dashboards(SOURCES).values():
        model = json.loads(data)
        assert normalise(model) == model


def test_datasource_given_by_name_is_refused_with_a_hint():
    dashboard = raw_dashboard(
        TimeSeries(
            title="Rate",
            description="x",
            dataSource="Prometheus",
            gridPos=at(0),
            targets=[Target(expr="api_active_requests", refId="A")],
        )
    )
    with pytest.raises(BuildFailed) as info:
        compile_dashboard(dashboard, "raw.py")
    assert "datasource 'Prometheus' is a data-source name" in str(info.value)
    assert "'Rate'" in str(info.value) and "panels[0].datasource" in str(info.value)


def test_targets_without_ref_ids_get_them_and_inherit_the_panel_datasource():
    panel = Stat(
        title="Active",
        description="x",
        dataSource=DS,
        gridPos=at(0),
        targets=[Target(expr="api_active_requests"), Target(expr="api_active_requests", refId="")],
    )
    model = compile_dashboard(raw_dashboard(panel), "raw.py")
    targets = model["panels"][0]["targets"]
    assert all(t["datasource"] == DS for t in targets)
    assert [t["refId"] for t in targets] == ["A", "B"]


def test_duplicate_explicit_panel_ids_are_reported():
    first = Stat(
        title="One",
        description="x",
        dataSource=DS,
        gridPos=at(0),
        id=7,
        targets=[Target(expr="api_active_requests", refId="A", datasource=DS)],
    )
    second = Stat(
        title="Two",
        description="x",
        dataSource=DS,
        gridPos=at(8),
        id=7,
        targets=[Target(expr="api_active_requests", refId="A", datasource=DS)],
    )
    with pytest.raises(BuildFailed, match="panel id 7 is also used by 'One'"):
        compile_dashboard(raw_dashboard(first, second), "raw.py")


def stat(title: str) -> Stat:
    return p.stat(title, "x", q.sum(q.series("api_active_requests")))


def positions(panels) -> list[tuple[str, int, int, int, int]]:
    return [(x.title, x.gridPos.x, x.gridPos.y, x.gridPos.w, x.gridPos.h) for x in panels]


def test_layout_shares_the_width_and_stacks_rows():
    panels = place(
        [
            row(None, stat("a"), stat("b"), stat("c"), stat("d"), stat("e")),
            row("Second", stat("f"), cell(stat("g"), width=16), height=6),
        ]
    )
    assert positions(panels) == [
        ("a", 0, 0, 5, 8),
        ("b", 5, 0, 5, 8),
        ("c", 10, 0, 5, 8),
        ("d", 15, 0, 5, 8),
        ("e", 20, 0, 4, 8),
        ("Second", 0, 8, 24, 1),
        ("f", 0, 9, 8, 6),
        ("g", 8, 9, 16, 6),
    ]


def test_layout_wraps_and_keeps_explicit_positions():
    pinned = stat("pinned")
    pinned.gridPos = GridPos(h=4, w=24, x=0, y=30)
    panels = place(
        [row(None, cell(stat("a"), width=16), cell(stat("b"), width=16, height=4), pinned)]
    )
    assert positions(panels) == [("a", 0, 0, 16, 8), ("b", 0, 8, 16, 4), ("pinned", 0, 30, 24, 4)]


def test_collapsed_row_holds_its_panels():
    panels = place([row("Details", stat("a"), stat("b"), collapsed=True), row(None, stat("c"))])
    assert isinstance(panels[0], RowPanel) and [x.title for x in panels[0].panels] == ["a", "b"]
    assert positions(panels[1:]) == [("c", 0, 1, 24, 8)]


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: cell(stat("a"), width=30), "outside 1..24"),
        (lambda: row(None, stat("a"), collapsed=True), "collapsed row needs a title"),
        (
            lambda: p.timeseries("Mixed", "x", q.series("model_mae"), q.series("model_accuracy")),
            "different units",
        ),
        (lambda: p.stat("Nothing", "x"), "no query"),
    ],
)
def test_dsl_misuse_is_a_source_error(build, message):
    with pytest.raises(SourceError, match=message):
        build()
