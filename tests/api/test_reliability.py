"""Faults found by fault injection (issue 12), reproduced in process: health off the event loop (D4),
lone surrogates (D5), client aborts (D7), orphan ground truth and the feedback schema (D12)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import sys
import threading
import time

import jsonschema
import pytest

from exporter.store import PredictionStore
from tests.api.conftest import VALID_HOUSE, make_client, metric_samples, requests_counted

ISSUED_LOOKING_ID = "house_price-" + "0" * 32  # the shape /predict issues, never issued


# --- D4: /health never waits for the database on the event loop ------------------

_sqlite_calls: list[str] | None = None


def _audit(event: str, args: object) -> None:
    if _sqlite_calls is not None and event.startswith("sqlite3."):
        _sqlite_calls.append(threading.current_thread().name)


@pytest.fixture
def sqlite_calls():
    """Thread names of every sqlite3 call (connect, ...) made while the test runs (audit events)."""
    global _sqlite_calls
    if not getattr(sys, "_mlmon_sqlite_audit", False):
        sys.addaudithook(_audit)  # cannot be removed: gated by _sqlite_calls
        sys._mlmon_sqlite_audit = True  # type: ignore[attr-defined]
    _sqlite_calls = []
    yield _sqlite_calls
    _sqlite_calls = None


def test_health_opens_no_database_connection_outside_the_writer_thread(client, sqlite_calls):
    for _ in range(5):
        assert client.get("/health").status_code == 200

    assert [name for name in sqlite_calls if name != "prediction-log-writer"] == []


def test_health_reports_a_locked_log_from_the_writer_state_while_predictions_go_on(client, db_path):
    blocker = sqlite3.connect(db_path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        predicted = [client.post("/predict", json=VALID_HOUSE).status_code for _ in range(20)]
        # The writer thread probes the log about once a second; poll a bounded number of times.
        for _ in range(100):
            health = client.get("/health")
            if health.status_code == 503:
                break
            time.sleep(0.05)
    finally:
        blocker.rollback()
        blocker.close()

    assert predicted == [200] * 20
    assert health.status_code == 503
    state = health.json()["prediction_log"]
    assert state["writable"] is False and state["alive"] is True
    assert {"queue_depth", "last_commit", "last_error", "spill_bytes"} <= set(state)


# --- D5: lone surrogates ----------------------------------------------------------

BAND_ID = "price_band-" + "0" * 32


@pytest.mark.parametrize(
    "path, body",
    [
        ("/feedback", {"request_id": "\ud800", "actual": 1}),
        ("/feedback", {"request_id": BAND_ID, "actual": "\ud800"}),
        ("/feedback", {"request_id": ISSUED_LOOKING_ID, "actual": 1, "\udfff": 2}),
        ("/predict", {**VALID_HOUSE, "neighbourhood": "\ud800"}),
        ("/predict", {**VALID_HOUSE, "\ud800x": 1}),
        ("/predict/batch", {"instances": [{**VALID_HOUSE, "neighbourhood": "a\udc00b"}]}),
    ],
    ids=["request_id", "actual", "extra-key", "neighbourhood", "feature-key", "batch"],
)
def test_a_lone_surrogate_anywhere_gets_a_readable_422(client, path, body):
    raw = json.dumps(body)  # ensure_ascii: the surrogate travels as the JSON escape \ud800
    assert "\\ud" in raw

    response = client.post(path, content=raw, headers={"content-type": "application/json"})

    assert response.status_code == 422
    detail = json.loads(response.content.decode("utf-8"))["detail"]  # valid UTF-8 JSON
    assert detail and all("loc" in error for error in detail)
    assert "\ufffd" in response.content.decode("utf-8")  # the surrogate, shown as a replacement


# --- D7: clients that disconnect mid-body ---------------------------------------------


def _disconnect_mid_body(app, path: str) -> None:
    """Drive the app as a server would when the client sends half a body and goes away."""
    body = json.dumps(VALID_HOUSE).encode()
    messages = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # nothing more will come
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:  # the client is gone; a server drops what is sent
        pass

    asyncio.run(app(scope, receive, send))


def test_a_client_that_disconnects_mid_body_is_a_499_logged_at_info(client, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(3):
        _disconnect_mid_body(client.app, "/predict")

    assert requests_counted(client, "/predict", 499) == 3
    assert requests_counted(client, "/predict", 500) == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("client disconnected" in r.getMessage() for r in caplog.records)


def test_client_aborts_are_valid_status_values_but_not_server_errors_in_alerts_or_dashboards():
    from exporter import catalog
    from tests.support.processes import ROOT

    assert catalog.get("api_requests_total").allows_label_value("status", "499")
    selectors = [
        match
        for path in [*(ROOT / "generated").rglob("*.json")]
        for match in re.findall(r'status=~\\?"([^"\\]+)', path.read_text())
    ]
    assert selectors, "no status selector found: the error-rate queries moved"
    for selector in selectors:  # every error-rate query selects 5xx, which 499 is not
        assert re.fullmatch(selector, "503") and not re.fullmatch(selector, "499"), selector


# --- D12: orphan ground truth, and the feedback schema ---------------------------------


def test_orphan_ground_truth_is_bounded_in_count_and_counted(db_path):
    with make_client(db_path) as client:
        monitoring = client.app.state.service.monitoring
        real = client.post("/predict", json=VALID_HOUSE).json()["request_id"]
        assert (
            client.post("/feedback", json={"request_id": real, "actual": 300_000}).status_code
            == 202
        )
        for i in range(30):
            bogus = f"house_price-{i:032x}"
            assert (
                client.post("/feedback", json={"request_id": bogus, "actual": 1.0}).status_code
                == 202
            )
        monitoring.writer.flush()
        removed = monitoring.writer._store.prune_orphan_actuals(None, 10)
        monitoring.metrics.orphans_removed.inc(removed)

        assert removed == 20
        with sqlite3.connect(db_path) as conn:
            kept = {r for (r,) in conn.execute("SELECT request_id FROM actuals")}
        assert real in kept and len(kept) == 11  # the matched one and the 10 newest orphans
        assert (
            metric_samples(client)[("prediction_log_orphan_actuals_removed_total", frozenset())]
            == 20
        )


def test_the_writer_applies_the_orphan_retention_by_age_and_count(tmp_path):
    from exporter.instrumentation import Instrumentation

    store = PredictionStore(tmp_path / "log.db")
    monitoring = Instrumentation(
        store,
        orphan_max_age=3600,
        orphan_max_rows=5,
        orphan_check_interval=0.05,
        flush_interval=0.01,
    )
    now = time.time()
    monitoring.log_prediction("kept", "m", "1", {"x": 1}, 1.0)
    monitoring.log_actual("kept", 2.0, ts=now - 7200)  # old but matched: never an orphan
    monitoring.log_actual("stale", 2.0, ts=now - 7200)  # an orphan past the age bound
    for i in range(8):
        monitoring.log_actual(f"young{i}", 2.0, ts=now)
    try:
        for _ in range(200):  # bounded wait for the writer's periodic check
            if monitoring.writer.stats.orphans_removed >= 4:
                break
            time.sleep(0.02)
    finally:
        monitoring.close()

    with sqlite3.connect(tmp_path / "log.db") as conn:
        kept = {r for (r,) in conn.execute("SELECT request_id FROM actuals")}
    assert kept == {"kept", *(f"young{i}" for i in range(3, 8))}
    assert monitoring.writer.stats.orphans_removed == 4
    assert (
        monitoring.metrics.registry.get_sample_value("prediction_log_orphan_actuals_removed_total")
        == 4
    )


def test_the_reference_api_configures_the_orphan_retention(db_path):
    with make_client(db_path, orphan_max_age=60, orphan_max_rows=7) as client:
        writer = client.app.state.service.monitoring.writer
        assert (writer._orphan_max_age, writer._orphan_max_rows) == (60, 7)


@pytest.mark.parametrize(
    "feedback, accepted",
    [
        ({"request_id": BAND_ID, "actual": ""}, False),
        ({"request_id": BAND_ID, "actual": "3"}, False),
        ({"request_id": BAND_ID, "actual": True}, False),
        ({"request_id": BAND_ID, "actual": "mid"}, True),
        ({"request_id": ISSUED_LOOKING_ID, "actual": 250_000.5}, True),
        ({"request_id": ISSUED_LOOKING_ID, "actual": "mid"}, False),  # a band for a price model
        ({"request_id": BAND_ID, "actual": 5}, False),  # a number for the band model
    ],
)
def test_the_feedback_schema_and_the_api_agree_on_actual(client, feedback, accepted):
    openapi = client.get("/openapi.json").json()
    schema = {"$ref": "#/components/schemas/Feedback", "components": openapi["components"]}
    schema_valid = jsonschema.Draft202012Validator(schema).is_valid(feedback)

    response = client.post("/feedback", json=feedback)

    assert schema_valid is accepted
    assert response.status_code == (202 if accepted else 422), response.text
