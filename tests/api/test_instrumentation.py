"""The reusable middleware on a plain Starlette app: route templates, status codes, /metrics, shutdown."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from exporter import catalog
from exporter.instrumentation import UNMATCHED, Instrumentation
from exporter.store import PredictionStore
from tests.support.processes import ROOT


async def item(request):
    return JSONResponse({"id": request.path_params["item_id"]})


async def boom(request):
    raise RuntimeError("model exploded")


def make_app(store: PredictionStore | None = None) -> tuple[Starlette, Instrumentation]:
    app = Starlette(
        routes=[
            Route("/items/{item_id}", item),
            Route("/boom", boom),
            Mount("/v1", routes=[Route("/ping", lambda request: PlainTextResponse("pong"))]),
        ]
    )
    return app, Instrumentation.install(app, store=store)


def families(client: TestClient) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}


def counted(client: TestClient) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["endpoint"], s.labels["status"]): s.value
        for s in families(client)["api_requests"].samples
        if s.name == "api_requests_total"
    }


def test_endpoint_label_is_the_route_template_not_the_raw_path():
    app, _ = make_app()
    with TestClient(app) as client:
        for item_id in ("1", "2", "12345"):
            assert client.get(f"/items/{item_id}").status_code == 200

        assert counted(client) == {("GET", "/items/{item_id}", "200"): 3}


def test_unmatched_paths_share_one_series_so_scans_cannot_create_series():
    app, _ = make_app()
    with TestClient(app) as client:
        for path in ("/admin", "/wp-login.php", "/items", "/a/b/c"):
            assert client.get(path).status_code == 404

        assert counted(client) == {("GET", UNMATCHED, "404"): 4}


def test_a_route_inside_a_mount_keeps_its_prefix():
    app, _ = make_app()
    with TestClient(app) as client:
        client.get("/v1/ping")

        assert counted(client) == {("GET", "/v1/ping", "200"): 1}


def test_an_exception_in_the_app_is_counted_as_500_and_still_raised():
    app, _ = make_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500

        assert counted(client) == {("GET", "/boom", "500"): 1}
        assert families(client)["api_active_requests"].samples[0].value == 0


def test_odd_methods_share_one_label_value():
    app, _ = make_app()
    with TestClient(app) as client:
        client.request("PROPFIND", "/items/1")
        client.request("BREW", "/items/1")

        assert counted(client) == {("OTHER", "/items/{item_id}", "405"): 2}


def test_duration_histogram_uses_the_catalog_buckets():
    app, _ = make_app()
    with TestClient(app) as client:
        client.get("/items/1")
        histogram = families(client)["api_request_duration_seconds"]

    bounds = sorted(
        {float(s.labels["le"]) for s in histogram.samples if s.name.endswith("_bucket")}
    )
    assert bounds == [*catalog.get("api_request_duration_seconds").buckets, float("inf")]


def test_exposition_holds_exactly_the_catalog_metrics_served_by_the_api(tmp_path):
    app, monitoring = make_app(PredictionStore(tmp_path / "log.db"))
    with TestClient(app) as client:
        client.get("/items/1")
        with monitoring.inference_timer("house_price"):
            pass
        monitoring.track_model("house_price", "1.0.0", {"weights": [1, 2, 3]})
        found = families(client)

    expected = {m.name for m in catalog.by_source("api")}
    # prometheus_client names a counter's family without its _total suffix.
    assert {
        name + "_total" if found[name].type == "counter" else name for name in found
    } == expected
    for name, family in found.items():
        spec = catalog.get(name + "_total" if family.type == "counter" else name)
        assert family.type == spec.type.value
        assert family.documentation == spec.help
        for sample in family.samples:
            assert not sample.name.endswith("_created"), sample.name
            assert set(sample.labels) - {"le"} == set(spec.labels), sample
            for label, value in sample.labels.items():
                if label != "le":
                    assert spec.allows_label_value(label, value), (name, label, value)


@pytest.mark.parametrize(
    "module", sorted(Path(ROOT, "exporter", "instrumentation").glob("*.py")), ids=lambda p: p.name
)
def test_the_package_imports_no_web_framework(module):
    # It ships in the exporter container, which has no FastAPI/Starlette.
    tree = ast.parse(module.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - {"__future__", "prometheus_client", "exporter"} <= set(
        __import__("sys").stdlib_module_names
    )


def test_lifespan_shutdown_writes_every_logged_prediction(tmp_path):
    store = PredictionStore(tmp_path / "log.db")
    app, monitoring = make_app(store)
    with TestClient(app):
        for i in range(250):
            assert monitoring.log_prediction(f"r{i}", "m", "1", {"x": i}, float(i))
        monitoring.log_actual("r7", 7.5)
    # No flush or close by the caller: leaving the app's lifespan drained the buffer.
    reader = PredictionStore(tmp_path / "log.db")
    changes = reader.read_changes(0, 0)
    assert len(changes.predictions) == 250
    assert [(a.request_id, a.actual) for a in changes.actuals] == [("r7", 7.5)]


@pytest.mark.parametrize("path", ["/metrics"])
def test_head_on_metrics_has_no_body(path):
    app, _ = make_app()
    with TestClient(app) as client:
        response = client.head(path)
    assert response.status_code == 200 and response.content == b""


def test_an_app_started_twice_keeps_logging(tmp_path):
    # Test suites enter a module-level app's lifespan once per test client.
    app, monitoring = make_app(PredictionStore(tmp_path / "log.db"))
    for round_no in range(2):
        with TestClient(app):
            assert monitoring.log_prediction(f"r{round_no}", "m", "1", {"x": 1}, 1.0)

    assert PredictionStore(tmp_path / "log.db").max_prediction_id() == 2


def test_inference_timer_observes_each_block_per_model_even_when_the_model_raises():
    app, monitoring = make_app()
    for _ in range(3):
        with monitoring.inference_timer("house_price"):
            pass
    with pytest.raises(ValueError, match="bad input"):
        with monitoring.inference_timer("price_band"):
            raise ValueError("bad input")

    registry = monitoring.metrics.registry
    count = "model_inference_time_seconds_count"
    assert registry.get_sample_value(count, {"model_name": "house_price"}) == 3
    assert registry.get_sample_value(count, {"model_name": "price_band"}) == 1
    assert (
        registry.get_sample_value("model_inference_time_seconds_sum", {"model_name": "house_price"})
        >= 0
    )
