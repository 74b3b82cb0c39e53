"""The project's dashboards: they compile, validate (ours and Grafana's schema) and cover the catalog."""

from __future__ import annotations

import json

import jsonschema
import promql_parser
import pytest

from exporter.catalog import METRICS, SERIES
from mlmon.compiler.dashboards import compile_dashboards
from mlmon.compiler.loader import source_modules
from mlmon.compiler.outputs import plan
from mlmon.compiler.validate import validate
from mlmon.schema import dashboard_schema
from tests.dashboards.support import (
    SOURCES,
    all_panels,
    concrete_promql,
    grafana_schema_errors,
    metric_names,
)
from tests.support.processes import ROOT

EXPECTED = {
    "mlmon-model-monitoring": "MLOps Model Monitoring Dashboard",
    "mlmon-data-drift": "Data Drift Monitoring Dashboard",
    "mlmon-api-performance": "API Performance",
    "mlmon-data-quality": "Data Quality",
}


@pytest.fixture(scope="module")
def compiled() -> dict[str, bytes]:
    return compile_dashboards(SOURCES)


@pytest.fixture(scope="module")
def dashboards(compiled) -> dict[str, dict]:
    return {json.loads(data)["uid"]: json.loads(data) for data in compiled.values()}


def test_mlmons_schema_is_a_valid_strict_json_schema():
    schema = dashboard_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert all(
        d.get("additionalProperties") is False
        for d in schema["$defs"].values()
        if d.get("type") == "object"
    )


def test_every_source_module_compiles_to_its_stable_uid(compiled, dashboards):
    assert len(compiled) == len(source_modules(SOURCES))
    assert {uid: d["title"] for uid, d in dashboards.items()} == EXPECTED
    assert sorted(compiled) == sorted(f"dashboards/{uid}.json" for uid in EXPECTED)


@pytest.mark.parametrize("uid", sorted(EXPECTED))
def test_passes_mlmon_validation_and_grafanas_schema(dashboards, uid):
    dashboard = dashboards[uid]
    assert validate(dashboard) == []
    # The same verdict from the reference Python validator as from the fast path validate() takes.
    assert list(jsonschema.Draft202012Validator(dashboard_schema()).iter_errors(dashboard)) == []
    assert grafana_schema_errors(dashboard) == []
    assert dashboard["schemaVersion"] >= 39 and "rows" not in dashboard


@pytest.mark.parametrize("uid", sorted(EXPECTED))
def test_modern_model_with_templated_datasource(dashboards, uid):
    dashboard = dashboards[uid]
    first = dashboard["templating"]["list"][0]
    assert (first["name"], first["type"], first["query"], first["current"]["value"]) == (
        "datasource",
        "datasource",
        "prometheus",
        "prometheus",
    )
    for panel in all_panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["description"].strip(), panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"] and target["refId"]
    assert "null" not in json.dumps({k: v for k, v in dashboard.items() if k != "panels"})


@pytest.mark.parametrize("uid", sorted(EXPECTED))
def test_every_query_is_valid_promql_over_catalog_series(dashboards, uid):
    for panel in all_panels(dashboards[uid]):
        for target in panel.get("targets", []):
            promql_parser.parse(concrete_promql(target["expr"]))
            assert metric_names(target["expr"]) <= set(SERIES), (panel["title"], target["expr"])


def test_every_catalog_metric_appears_on_a_dashboard(dashboards):
    used = {
        SERIES[name].name
        for d in dashboards.values()
        for panel in all_panels(d)
        for target in panel.get("targets", [])
        for name in metric_names(target["expr"])
    }
    assert sorted(m.name for m in METRICS if m.name not in used) == []


def test_seed_panels_are_present(dashboards):
    model = {p["title"] for p in all_panels(dashboards["mlmon-model-monitoring"])}
    drift = {p["title"] for p in all_panels(dashboards["mlmon-data-drift"])}
    assert {
        "Features with drift",
        "API request rate",
        "Prediction rate",
        "Data quality (worst model)",
        "Data completeness by column",
        "API latency percentiles",
        "Prediction latency percentiles",
        "Feature drift p-values",
    } <= model
    assert {
        "Drift test p-values",
        "Current drift status per feature",
        "Features with drift",
        "Drift distribution",
        "Features with drift over time",
    } <= drift
    types = {p["title"]: p["type"] for p in all_panels(dashboards["mlmon-data-drift"])}
    assert (
        types["Drift distribution"] == "piechart"
        and types["Current drift status per feature"] == "table"
    )


def test_model_panels_are_task_aware(dashboards):
    exprs = {
        p["title"]: " ".join(t["expr"] for t in p.get("targets", []))
        for p in all_panels(dashboards["mlmon-model-monitoring"])
    }
    for title in ("MAE and RMSE", "R²", "MAPE", "Accuracy within tolerance"):
        assert 'model_info{task="regression"}' in exprs[title]
    for metric in ("model_precision", "model_recall", "model_f1_score", "model_accuracy"):
        assert metric in exprs["Accuracy, precision, recall and F1"]
    assert 'task="classification"' in exprs["Accuracy, precision, recall and F1"]
    names = {v["name"] for v in dashboards["mlmon-model-monitoring"]["templating"]["list"]}
    assert {"model", "version"} <= names


def test_units_and_thresholds_come_from_the_catalog(dashboards):
    panels = {p["title"]: p for d in dashboards.values() for p in all_panels(d)}
    assert panels["Data quality (worst model)"]["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert panels["API latency percentiles"]["fieldConfig"]["defaults"]["unit"] == "s"
    assert panels["Data quality score"]["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert panels["Model memory usage"]["fieldConfig"]["defaults"]["unit"] == "bytes"
    assert panels["Last successful export"]["fieldConfig"]["defaults"]["unit"] == "dateTimeFromNow"
    assert panels["API request rate"]["fieldConfig"]["defaults"]["unit"] == "reqps"
    pvalues = panels["Drift test p-values"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert pvalues == [{"color": "red", "value": None}, {"color": "green", "value": 0.05}]
    assert (
        "rate(api_requests_total[$__rate_interval])"
        in panels["API request rate"]["targets"][0]["expr"]
    )


def test_dashboards_link_to_each_other(dashboards):
    for dashboard in dashboards.values():
        assert "mlmon" in dashboard["tags"]
        assert any(
            link["type"] == "dashboards" and link["tags"] == ["mlmon"]
            for link in dashboard["links"]
        )


def test_generated_dashboards_in_the_repo_are_up_to_date(compiled):
    todo = plan(ROOT / "generated", compiled, ["dashboards"])
    assert (todo.stale, todo.missing, todo.extra) == ([], [], []), (
        "run `make dashboards` and commit generated/"
    )
