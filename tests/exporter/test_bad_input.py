"""Bad input never stops the exporter: /metrics answers, the error counter and log say what, last values stay.

One table: each case damages the prediction log (or its absence) in one way,
then the test scrapes /metrics over real HTTP and checks what a user would see.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from exporter.collectors import registry_for
from exporter.config import ExporterConfig
from exporter.cycle import Exporter
from exporter.server import MetricsServer
from exporter.store import PredictionStore
from tests.exporter.conftest import samples
from tests.exporter.logdata import REGRESSION, feature_rows, write_log
from tests.support.processes import http_get

Found = dict[tuple[str, frozenset], float]


def _get(found: Found, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def _insert_raw(path: Path, request_id: str, features_json: str, model: str = REGRESSION) -> None:
    """What a non-Python writer might put in the log."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO predictions (request_id, ts, model_name, model_version, features, prediction)"
            " VALUES (?, 2000, ?, 'v1', ?, 1.0)",
            (request_id, model, features_json),
        )
    conn.close()


def _good_row(**changes) -> dict:
    row = feature_rows(1, np.random.default_rng(7))[0]
    row.update(changes)
    return row


def _log_rows(path: Path, rows: list[dict], model: str = REGRESSION) -> None:
    with PredictionStore(path) as store:
        store.log_predictions(
            [
                {
                    "request_id": f"bad-{model}-{i}",
                    "model_name": model,
                    "model_version": "v1",
                    "features": row,
                    "prediction": 1.0,
                }
                for i, row in enumerate(rows)
            ]
        )


@dataclass
class Case:
    name: str
    damage: Callable[[Path], object]  # applied after one good cycle
    check: Callable[[Found], bool | tuple[bool, ...]]  # every value must be True
    error_stage: str | None = None  # the stage whose error counter must go up
    log_mentions: str | None = None
    good_first: bool = True  # False: the log is damaged before the exporter ever read it


def _lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("DELETE FROM actuals WHERE id = -1")  # takes the write lock; changes nothing
    return conn


def _corrupt(path: Path) -> None:
    size = path.stat().st_size
    path.write_bytes(b"not a database! " * (size // 16))


def _create_empty_log(path: Path) -> None:
    PredictionStore(path).close()


def _no_rows_yet(path: Path) -> None:
    with PredictionStore(path) as store:
        store.set_reference(
            REGRESSION, feature_rows(100, np.random.default_rng(0)), task="regression"
        )


def _three_rows(path: Path) -> None:
    _no_rows_yet(path)
    _log_rows(path, [_good_row() for _ in range(3)])


def _previous_values_kept(found: Found) -> tuple[bool, ...]:
    return (
        _get(found, "model_mae", model_name=REGRESSION, version="v1") is not None,
        _get(found, "data_drift_pvalue", model_name=REGRESSION, feature="area", test="ks")
        is not None,
    )


CASES = [
    Case(
        "missing file",
        lambda p: None,
        good_first=False,
        error_stage="open_db",
        log_mentions="does not exist yet",
        check=lambda f: _get(f, "exporter_last_success_timestamp_seconds") == 0,
    ),
    Case(
        "empty tables",
        _create_empty_log,
        good_first=False,
        check=lambda f: _get(f, "exporter_last_success_timestamp_seconds") > 0,
    ),
    Case(
        "window with 0 rows",
        _no_rows_yet,
        good_first=False,
        check=lambda f: (
            _get(
                f,
                "data_drift_test_skipped",
                model_name=REGRESSION,
                feature="area",
                reason="no_current_values",
            )
            == 1,
            _get(f, "data_drift_detected", model_name=REGRESSION, feature="area") == 0,
        ),
    ),
    Case(
        "window with 3 rows",
        _three_rows,
        good_first=False,
        check=lambda f: (
            _get(
                f,
                "data_drift_test_skipped",
                model_name=REGRESSION,
                feature="area",
                reason="too_few_rows",
            )
            == 1,
            _get(f, "data_drift_detected", model_name=REGRESSION, feature="city") == 0,
            _get(f, "monitoring_window_rows", model_name=REGRESSION, window="current") == 3,
        ),
    ),
    Case(
        "NaN, ±inf and strings in a numeric feature",
        lambda p: (
            _insert_raw(
                p, "nan", json.dumps(_good_row(area=float("nan")))
            ),  # Python's json writes NaN
            _insert_raw(p, "inf", json.dumps(_good_row(area=float("inf")))),
            _insert_raw(p, "-inf", json.dumps(_good_row(area=float("-inf")))),
            _insert_raw(p, "string", json.dumps(_good_row(area="123 m2"))),
        ),
        check=lambda f: (
            _get(f, "missing_values_count", model_name=REGRESSION, column="area") == 3,
            _get(
                f,
                "schema_violations_count",
                model_name=REGRESSION,
                column="area",
                kind="wrong_type",
            )
            == 1,
            _get(
                f,
                "schema_violations_count",
                model_name=REGRESSION,
                column="area",
                kind="missing_required",
            )
            == 3,
        ),
    ),
    Case(
        "features that are not JSON",
        lambda p: _insert_raw(p, "broken-json", '{"area": 12'),
        error_stage="read",
        log_mentions="broken-json",
        check=lambda f: _get(f, "missing_values_count", model_name=REGRESSION, column="city") == 1,
    ),
    Case(
        "a feature absent from the reference",
        lambda p: _log_rows(p, [_good_row(garage=True)]),
        check=lambda f: (
            _get(
                f,
                "schema_violations_count",
                model_name=REGRESSION,
                column="garage",
                kind="unknown_field",
            )
            == 1
        ),
    ),
    Case(
        "a model with no reference",
        lambda p: _log_rows(p, [_good_row() for _ in range(40)], model="new_model"),
        check=lambda f: (
            _get(
                f,
                "data_drift_test_skipped",
                model_name="new_model",
                feature="area",
                reason="no_reference",
            )
            == 1
        ),
    ),
    Case(
        "DB locked by another process",
        _lock,
        error_stage="read",
        log_mentions="locked",
        check=_previous_values_kept,
    ),
    Case(
        "DB corrupted",
        _corrupt,
        error_stage="read",
        log_mentions="cannot be read",
        check=_previous_values_kept,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_keeps_the_exporter_serving(case: Case, tmp_path, caplog):
    path = tmp_path / "log.db"
    exporter = Exporter(ExporterConfig(db_path=path))
    server = MetricsServer(registry_for(lambda: exporter.snapshot), "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{server.address[1]}/metrics"
    held = None
    try:
        if case.good_first:
            write_log(path, current_rows=100).close()
            assert exporter.run_cycle()
        success_before = exporter.last_success
        errors_before = dict(exporter.errors)
        held = case.damage(path)
        with caplog.at_level(logging.INFO, logger="exporter"):
            ok = exporter.run_cycle()
        status, body = http_get(url)
        assert status == 200
        found = samples(body.decode())
        outcome = case.check(found)
        assert all(outcome if isinstance(outcome, tuple) else (outcome,)), outcome
        for stage, count in errors_before.items():
            expected = count + 1 if stage == case.error_stage else count
            assert _get(found, "exporter_errors_total", stage=stage) == expected, stage
        assert ok is (case.error_stage is None)
        if case.error_stage:  # the last success keeps its time; the log says what went wrong
            assert _get(found, "exporter_last_success_timestamp_seconds") == success_before
            assert case.log_mentions in caplog.text
    finally:
        if isinstance(held, sqlite3.Connection):
            held.close()
        server.stop()
        exporter.close()


def test_the_exporter_recovers_when_the_log_appears_and_is_repaired(tmp_path, caplog):
    path = tmp_path / "log.db"
    exporter = Exporter(ExporterConfig(db_path=path))
    assert not exporter.run_cycle()
    write_log(path, current_rows=50).close()
    good = path.read_bytes()
    assert exporter.run_cycle()
    _corrupt(path)
    assert not exporter.run_cycle()
    path.write_bytes(good)
    with caplog.at_level(logging.INFO, logger="exporter"):
        assert exporter.run_cycle()
    assert "recovered" in caplog.text
    assert exporter.errors["open_db"] == 1 and exporter.errors["read"] == 1
    exporter.close()
