"""In-process fixtures for the reference API: a real app, a real SQLite prediction log, HTTP through ASGI."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from ml_api.app import create_app
from ml_api.settings import Settings

VALID_HOUSE = {
    "living_area_sqft": 1850,
    "lot_size_sqft": 6500,
    "bedrooms": 3,
    "bathrooms": 2.0,
    "year_built": 1988,
    "condition": 3,
    "garage_spaces": 2,
    "neighbourhood": "riverside",
}


def make_client(db_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(db_path=str(db_path), **settings)))  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "metrics.db"


@pytest.fixture
def client(db_path: Path) -> Iterator[TestClient]:
    # The context manager runs the ASGI lifespan: leaving it flushes the prediction log.
    with make_client(db_path) as test_client:
        yield test_client


def metric_samples(client: TestClient) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_counted(client: TestClient, endpoint: str, status: int, method: str = "POST") -> float:
    key = (
        "api_requests_total",
        frozenset({"method": method, "endpoint": endpoint, "status": str(status)}.items()),
    )
    return metric_samples(client).get(key, 0.0)


def logged_rows(db_path: Path, table: str = "predictions") -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
