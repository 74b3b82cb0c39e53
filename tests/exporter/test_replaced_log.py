"""A prediction log replaced under the exporter (issue 12, D1): it notices, re-reads, and its counters go on.

Real SQLite files, replaced with ``os.replace`` between real export cycles; the
expected totals are the rows written, counted by hand.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from exporter.config import ExporterConfig
from exporter.cycle import Exporter
from exporter.store import PredictionStore, open_store
from tests.exporter.conftest import value
from tests.exporter.logdata import REGRESSION, feature_rows
from tests.support.postgres import running_postgres


def _log(path: Path, rows: int, *, start: int = 0, prefix: str = "r", model: str = REGRESSION):
    rng = np.random.default_rng(start)
    with PredictionStore(path) as store:
        store.log_predictions(
            {
                "request_id": f"{prefix}{start + i}",
                "model_name": model,
                "model_version": "v1",
                "features": row,
                "prediction": 100.0,
                "latency_seconds": 0.01,
                "ts": 1_000.0 + start + i,
            }
            for i, row in enumerate(feature_rows(rows, rng))
        )
        store.log_actuals((f"{prefix}{start + i}", 100.0, None) for i in range(0, rows, 2))


def _replace(path: Path, rows: int, *, prefix: str) -> None:
    """Write a new log next to ``path`` and move it over ``path`` atomically, as a deployment would."""
    new = path.with_name("new.db")
    _log(new, rows, prefix=prefix)
    for suffix in (
        "-wal",
        "-shm",
    ):  # the new log is checkpointed and closed: only its main file moves
        assert not Path(f"{new}{suffix}").exists()
    os.replace(new, path)


def _totals(exporter) -> tuple[float, float]:
    return (
        value(exporter, "daily_predictions_total", model_name=REGRESSION),
        value(exporter, "actuals_received_total", model_name=REGRESSION),
    )


def test_a_log_replaced_by_a_smaller_one_is_reread_and_counters_continue(
    tmp_path, make_exporter, caplog
):
    path = tmp_path / "log.db"
    _log(path, 1000)
    exporter = make_exporter(window_rows=5000)
    assert exporter.run_cycle()
    assert _totals(exporter) == (1000, 500)

    _replace(path, 500, prefix="new")
    with caplog.at_level(logging.WARNING, logger="exporter"):
        assert exporter.run_cycle()
    assert _totals(exporter) == (1500, 750)
    # the window holds the new log's rows only
    assert value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="current") == 500
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "replaced" in r.message
    ]
    assert len(warnings) == 1 and str(path) in warnings[0].message

    _log(path, 400, start=500, prefix="new")
    assert exporter.run_cycle()
    assert _totals(exporter) == (1900, 950)
    assert value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="current") == 900


def test_a_log_replaced_by_a_larger_one_is_told_apart_by_its_log_id(tmp_path, make_exporter):
    # ids do not go backwards here: only the identity the store writes once tells the files apart
    path = tmp_path / "log.db"
    _log(path, 100)
    exporter = make_exporter()
    assert exporter.run_cycle()
    _replace(path, 300, prefix="new")
    assert exporter.run_cycle()
    assert _totals(exporter) == (400, 200)
    _log(path, 10, start=300, prefix="new")
    assert exporter.run_cycle()
    assert _totals(exporter) == (410, 205)


def test_the_same_log_reopened_is_not_read_twice(tmp_path, make_exporter):
    path = tmp_path / "log.db"
    _log(path, 100)
    exporter = make_exporter()
    assert exporter.run_cycle()
    copy = tmp_path / "copy.db"
    source = sqlite3.connect(path)
    target = sqlite3.connect(copy)
    source.backup(target)  # a byte-for-byte copy keeps the log id: same log, new inode
    source.close()
    target.close()
    os.replace(copy, path)
    _log(path, 20, start=100)
    assert exporter.run_cycle()
    assert _totals(exporter) == (120, 60)


def _drop_log_id(path: Path) -> None:
    """A log as a writer that predates the meta table (or ignores it) leaves it."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE IF EXISTS meta")
    conn.close()


@pytest.mark.parametrize("new_rows", [50, 300])
def test_a_log_without_an_id_is_told_apart_by_its_file_or_its_ids_going_back(
    tmp_path, make_exporter, new_rows
):
    path = tmp_path / "log.db"
    _log(path, 100)
    _drop_log_id(path)
    exporter = make_exporter()
    assert exporter.run_cycle()
    new = tmp_path / "new.db"
    _log(new, new_rows, prefix="new")
    _drop_log_id(new)
    os.replace(new, path)
    assert exporter.run_cycle()
    assert _totals(exporter) == (100 + new_rows, 50 + new_rows // 2)


def test_ids_going_back_in_the_same_file_are_a_new_log(tmp_path, make_exporter, caplog):
    # e.g. the tables emptied and recreated by hand: same file, same id, ids restart at 1
    path = tmp_path / "log.db"
    _log(path, 100)
    exporter = make_exporter()
    assert exporter.run_cycle()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM predictions")
        conn.execute("DELETE FROM actuals")
        conn.execute("DELETE FROM sqlite_sequence")
    conn.close()
    _log(path, 30, prefix="again")
    with caplog.at_level(logging.WARNING, logger="exporter"):
        assert exporter.run_cycle()
    assert _totals(exporter) == (130, 65)
    assert any("went back" in r.message for r in caplog.records)


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as server:
        yield server


def test_a_postgresql_log_recreated_under_the_same_url_is_reread(postgres, tmp_path, caplog):
    # PostgreSQL positions only grow (transaction ids are cluster-wide): only the log id tells the logs apart,
    # so that the windows restart from the new log's rows
    import psycopg

    url = postgres.new_database()

    def log(rows: int, prefix: str) -> None:
        with open_store(url) as store:
            store.log_predictions(
                {
                    "request_id": f"{prefix}{i}",
                    "model_name": REGRESSION,
                    "model_version": "v1",
                    "features": {"area": float(i)},
                    "prediction": 1.0,
                    "latency_seconds": 0.01,
                }
                for i in range(rows)
            )
            store.log_actuals((f"{prefix}{i}", 1.0, None) for i in range(0, rows, 2))

    log(100, "old-")
    exporter = Exporter(ExporterConfig(db_url=url))
    try:
        assert exporter.run_cycle()
        assert _totals(exporter) == (100, 50)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE predictions, actuals, models, reference_columns, meta")
        log(30, "new-")  # a writer creates the log again, with a new id
        with caplog.at_level(logging.WARNING, logger="exporter"):
            assert exporter.run_cycle()
        assert _totals(exporter) == (130, 65)
        assert any("log id" in r.message for r in caplog.records)
        current = value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="current")
        assert current == 30
        assert exporter.run_cycle()  # and the next cycle reads nothing twice
        assert _totals(exporter) == (130, 65)
    finally:
        exporter.close()
