"""The reference API as a client sees it: predictions, feedback, health, models, and bad input."""

from __future__ import annotations

import json
import pickle

import pytest

from tests.api.conftest import (
    VALID_HOUSE,
    logged_rows,
    make_client,
    metric_samples,
    requests_counted,
)


def test_predict_returns_a_price_and_logs_it_with_its_request_id(client, db_path):
    response = client.post("/predict", json=VALID_HOUSE)

    assert response.status_code == 200
    body = response.json()
    assert body["model_name"] == "house_price" and body["model_version"] == "1.0.0"
    assert 50_000 < body["prediction"] < 2_000_000
    client.app.state.service.monitoring.writer.flush()
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        request_id, features = conn.execute(
            "SELECT request_id, features FROM predictions"
        ).fetchone()
    assert request_id == body["request_id"]
    assert json.loads(features) == {
        **VALID_HOUSE,
        "bathrooms": 2.0,
        "living_area_sqft": 1850.0,
        "lot_size_sqft": 6500.0,
    }


def test_price_band_model_answers_a_band(client):
    response = client.post("/predict?model=price_band", json=VALID_HOUSE)

    assert response.status_code == 200
    assert response.json()["prediction"] in {"budget", "mid", "upper", "luxury"}


def test_missing_optional_features_are_accepted_and_logged_as_missing(client, db_path):
    house = {k: v for k, v in VALID_HOUSE.items() if k not in ("lot_size_sqft", "year_built")}

    assert client.post("/predict", json=house).status_code == 200
    client.app.state.service.monitoring.writer.flush()
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        features = json.loads(conn.execute("SELECT features FROM predictions").fetchone()[0])
    assert features["lot_size_sqft"] is None and features["year_built"] is None


def test_batch_prediction_logs_one_row_per_house(client, db_path):
    response = client.post("/predict/batch", json={"instances": [VALID_HOUSE] * 5})

    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len({p["request_id"] for p in predictions}) == 5
    client.app.state.service.monitoring.writer.flush()
    assert logged_rows(db_path) == 5


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({k: v for k, v in VALID_HOUSE.items() if k != "bedrooms"}, "bedrooms", "Field required"),
        ({**VALID_HOUSE, "bedrooms": "three"}, "bedrooms", "Input should be a number"),
        ({**VALID_HOUSE, "garage_spaces": True}, "garage_spaces", "Input should be a number"),
        ({**VALID_HOUSE, "neighbourhood": "atlantis"}, "neighbourhood", "riverside"),
        ({**VALID_HOUSE, "living_area_sqft": -5}, "living_area_sqft", "greater than or equal"),
        ({**VALID_HOUSE, "bathrooms": 2.25}, "bathrooms", "multiple of 0.5"),
        ({**VALID_HOUSE, "bedroom": 3}, "bedroom", "Extra inputs"),
    ],
)
def test_bad_fields_get_422_naming_the_field_and_are_counted(client, db_path, body, field, words):
    response = client.post("/predict", json=body)

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(
        e["loc"][-1] == field and words in e["msg"] + str(e.get("ctx", "")) for e in errors
    ), errors
    assert requests_counted(client, "/predict", 422) == 1
    client.app.state.service.monitoring.writer.flush()
    assert logged_rows(db_path) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_rejected_not_predicted(client, literal):
    raw = json.dumps(VALID_HOUSE).replace("1850", literal)

    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert "finite number" in response.text
    assert requests_counted(client, "/predict", 422) == 1


def test_invalid_json_is_a_422_with_a_message(client):
    response = client.post(
        "/predict", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert "JSON" in response.text


def test_huge_body_gets_413_counted_under_the_route(db_path):
    with make_client(db_path, max_body_bytes=4_096) as client:
        response = client.post("/predict/batch", json={"instances": [VALID_HOUSE] * 100})
        assert response.status_code == 413
        assert "4096 bytes" in response.json()["detail"]
        assert requests_counted(client, "/predict/batch", 413) == 1


def test_huge_streamed_body_without_length_gets_413(db_path):
    with make_client(db_path, max_body_bytes=4_096) as client:
        chunks = (b"x" * 1_024 for _ in range(10))  # a generator: sent chunked, no Content-Length
        response = client.post(
            "/predict", content=chunks, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413


def test_feedback_is_accepted_for_an_issued_request_id_and_logged(client, db_path):
    request_id = client.post("/predict", json=VALID_HOUSE).json()["request_id"]

    response = client.post("/feedback", json={"request_id": request_id, "actual": 410_000})

    assert response.status_code == 202
    client.app.state.service.monitoring.writer.flush()
    assert logged_rows(db_path, "actuals") == 1


@pytest.mark.parametrize(
    "feedback, words",
    [
        ({"request_id": "not-issued-here", "actual": 1.0}, "should match pattern"),
        ({"request_id": "house_price-" + "0" * 32, "actual": "mid"}, "must be a price"),
        ({"request_id": "price_band-" + "0" * 32, "actual": "cheap"}, "must be one of budget"),
    ],
)
def test_feedback_that_cannot_match_a_prediction_is_a_422(client, feedback, words):
    response = client.post("/feedback", json=feedback)

    assert response.status_code == 422
    assert words in response.text


def test_health_reports_models_and_a_writable_log(client):
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["models"] == {"house_price": True, "price_band": True}
    assert body["prediction_log"]["writable"] is True


def test_model_memory_is_measured_from_the_model_object(client):
    service = client.app.state.service
    samples = metric_samples(client)

    for name, model in service.models.items():
        measured = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        key = (
            "model_memory_usage_bytes",
            frozenset({"model_name": name, "version": "1.0.0"}.items()),
        )
        assert samples[key] == measured
        assert client.get(f"/models/{name}").json()["memory_bytes"] == measured
    # Two different models, two different sizes: not a constant.
    assert len({v for (n, _), v in samples.items() if n == "model_memory_usage_bytes"}) == 2


def test_fault_headers_are_ignored_unless_faults_are_enabled(client, db_path):
    assert (
        client.post("/predict", json=VALID_HOUSE, headers={"X-Fault-Status": "503"}).status_code
        == 200
    )

    with make_client(db_path.with_name("faults.db"), faults=True) as faulty:
        response = faulty.post("/predict", json=VALID_HOUSE, headers={"X-Fault-Status": "503"})
        assert response.status_code == 503
        assert requests_counted(faulty, "/predict", 503) == 1


def test_without_instrumentation_nothing_is_logged_and_metrics_are_not_served(db_path):
    with make_client(db_path, instrumentation=False) as client:
        assert client.post("/predict", json=VALID_HOUSE).status_code == 200
        assert client.get("/metrics").status_code == 404
    assert not db_path.exists()


def test_openapi_documents_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert {
        "/predict",
        "/predict/batch",
        "/feedback",
        "/health",
        "/models",
        "/models/{model_name}",
    } <= set(paths)
    assert client.get("/docs").status_code == 200


def test_fault_hook_delays_and_rejects_bad_delays(db_path):
    with make_client(db_path, faults=True) as faulty:
        assert (
            faulty.post("/predict", json=VALID_HOUSE, headers={"X-Fault-Delay": "0.01"}).status_code
            == 200
        )
        for bad in ("nan", "-1", "60", "soon"):
            response = faulty.post("/predict", json=VALID_HOUSE, headers={"X-Fault-Delay": bad})
            assert response.status_code == 400 and "x-fault-delay" in response.text


def test_the_logged_latency_covers_the_request_not_just_the_model(db_path):
    import sqlite3

    with make_client(db_path, faults=True) as client:
        client.post("/predict", json=VALID_HOUSE, headers={"X-Fault-Delay": "0.2"})
        client.app.state.service.monitoring.writer.flush()
        with sqlite3.connect(db_path) as conn:
            (latency,) = conn.execute("SELECT latency_seconds FROM predictions").fetchone()
    # The injected wait happens before the model runs: only a request-level latency includes it.
    assert latency >= 0.2


def test_fastapi_path_parameters_are_counted_by_template(client):
    for name in ("house_price", "price_band", "no_such_model"):
        client.get(f"/models/{name}")

    assert requests_counted(client, "/models/{model_name}", 200, method="GET") == 2
    assert requests_counted(client, "/models/{model_name}", 422, method="GET") == 1


def test_request_ids_are_unique_time_ordered_and_name_their_model():
    from ml_api.app import model_of_request, new_request_id

    ids = [new_request_id("house_price") for _ in range(1_000)]
    assert len(set(ids)) == len(ids)
    stamps = [i.rpartition("-")[2][:16] for i in ids]
    assert stamps == sorted(stamps), "ids must grow so the log's unique index appends at its end"
    assert {model_of_request(i) for i in ids} == {"house_price"}
