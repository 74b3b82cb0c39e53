"""The batched prediction-log writer against a real SQLite store: batching, overload, shutdown, errors,
and the store's batched write path under it."""

from __future__ import annotations

import json
import math
import sqlite3
import threading

import numpy as np
import pytest

from exporter.instrumentation import ApiMetrics, Instrumentation, PredictionLogWriter
from exporter.store import ROWS_PER_STATEMENT, PredictionStore


class RecordingStore:
    """A real store that records each transaction's size and can be stalled like a locked database."""

    def __init__(self, path):
        self.store = PredictionStore(path)
        self.batches: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.failures_left = 0

    def log_predictions(self, records):
        self.gate.wait(30)
        if self.failures_left:
            self.failures_left -= 1
            raise OSError("disk I/O error")
        self.batches.append(len(records))
        return self.store.log_predictions(records)

    def log_actuals(self, records):
        return self.store.log_actuals(records)


def rows(db) -> int:
    return PredictionStore(db).max_prediction_id()


def record(i: int) -> dict:
    return {
        "request_id": f"r{i}",
        "model_name": "m",
        "model_version": "1",
        "features": {"x": i},
        "prediction": float(i),
    }


def test_many_predictions_are_committed_in_few_transactions(tmp_path):
    store = RecordingStore(tmp_path / "log.db")
    store.gate.clear()  # hold the first commit so the rest pile up as they would under load
    writer = PredictionLogWriter(store, batch_size=500, flush_interval=0.05)
    for i in range(2_000):
        assert writer.submit(record(i))
    store.gate.set()
    writer.close()

    assert rows(tmp_path / "log.db") == 2_000
    assert sum(store.batches) == 2_000
    assert len(store.batches) <= 6 and max(store.batches) <= 500


def test_a_full_buffer_drops_and_counts_instead_of_blocking(tmp_path):
    store = RecordingStore(tmp_path / "log.db")
    metrics = ApiMetrics()
    monitoring = Instrumentation(store, metrics=metrics, max_queue=10, flush_interval=0.01)
    store.gate.clear()  # the database stalls
    monitoring.log_prediction("first", "m", "1", {"x": 0}, 0.0)
    assert monitoring.writer.flush(timeout=0.2) is False  # stuck in the stalled commit
    accepted = [monitoring.log_prediction(f"r{i}", "m", "1", {"x": i}, float(i)) for i in range(25)]

    assert accepted.count(True) == 10 and accepted.count(False) == 15
    assert metrics.registry.get_sample_value("prediction_log_dropped_total") == 15
    store.gate.set()
    monitoring.close()
    assert rows(tmp_path / "log.db") == 11  # everything accepted was written


def test_close_writes_everything_still_buffered(tmp_path):
    store = PredictionStore(tmp_path / "log.db")
    writer = PredictionLogWriter(store, flush_interval=60)  # would not flush by itself for a minute
    for i in range(300):
        writer.submit(record(i))
    writer.submit_actual("r3", 3.0)
    writer.close()

    changes = PredictionStore(tmp_path / "log.db").read_changes(0, 0)
    assert len(changes.predictions) == 300 and len(changes.actuals) == 1
    assert writer.stats.written == 300 and writer.stats.actuals_written == 1


def test_rows_submitted_after_close_are_counted_as_dropped(tmp_path):
    writer = PredictionLogWriter(PredictionStore(tmp_path / "log.db"))
    writer.close()

    assert writer.submit(record(1)) is False
    assert writer.stats.dropped == 1


def test_a_transient_database_error_is_retried_without_losing_rows(tmp_path):
    store = RecordingStore(tmp_path / "log.db")
    store.failures_left = 2
    writer = PredictionLogWriter(store, flush_interval=0.01)
    for i in range(50):
        writer.submit(record(i))
    writer.close()

    assert rows(tmp_path / "log.db") == 50
    assert writer.stats.failed == 0 and "disk I/O error" in writer.stats.last_error


def test_a_persistent_database_error_is_reported_and_the_writer_keeps_going(tmp_path, caplog):
    store = RecordingStore(tmp_path / "log.db")
    store.failures_left = 4  # the first batch fails every attempt
    writer = PredictionLogWriter(store, flush_interval=0.01, retries=3)
    writer.submit(record(0))
    assert writer.flush(timeout=10)
    writer.submit(record(1))
    writer.close()

    assert writer.stats.failed == 1 and writer.stats.written == 1
    assert "giving up on 1 row(s)" in caplog.text


def test_a_batch_that_overflows_the_buffer_keeps_what_fits_and_counts_the_rest(tmp_path):
    store = RecordingStore(tmp_path / "log.db")
    metrics = ApiMetrics()
    monitoring = Instrumentation(store, metrics=metrics, max_queue=30, flush_interval=60)
    store.gate.clear()

    accepted = monitoring.log_predictions([record(i) for i in range(50)])

    assert accepted == 30
    assert metrics.registry.get_sample_value("prediction_log_dropped_total") == 20
    store.gate.set()
    monitoring.close()
    assert rows(tmp_path / "log.db") == 30


# --- the store's write path: multi-row INSERT statements instead of executemany ---------------------------

PREDICTION_COLUMNS = (
    "request_id, ts, model_name, model_version, features, prediction, latency_seconds, "
    "typeof(prediction), typeof(latency_seconds)"
)


def stored(db, table="predictions", columns=PREDICTION_COLUMNS) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT {columns} FROM {table} ORDER BY id").fetchall()


def test_a_batch_spanning_several_statements_is_written_in_order_and_the_first_duplicate_wins(
    tmp_path,
):
    store = PredictionStore(tmp_path / "log.db")
    n = ROWS_PER_STATEMENT * 2 + 44  # two full statements and a partial one
    batch = [record(i) for i in range(n)]
    batch.insert(
        ROWS_PER_STATEMENT + 3, {**record(5), "prediction": -1.0}
    )  # duplicate in another statement

    assert store.log_predictions(batch) == n
    assert (
        store.log_predictions([{**record(7), "prediction": -7.0}, record(n)]) == 1
    )  # across batches

    rows = stored(tmp_path / "log.db", columns="request_id, prediction")
    assert rows == [(f"r{i}", float(i)) for i in range(n + 1)]


def test_the_batched_insert_stores_exactly_what_a_row_by_row_insert_would(tmp_path):
    tricky = [
        {
            "request_id": "int",
            "model_name": "m",
            "model_version": "1",
            "features": {"x": 1, "y": "a"},
            "prediction": 3,
            "latency_seconds": 1,
            "ts": 100,
        },
        {
            "request_id": "text",
            "model_name": "m",
            "model_version": "2",
            "features": {"band": 'hög €\n"q"', "n": None, "tags": ["a", 1, {"k": False}]},
            "prediction": "high",
            "latency_seconds": None,
            "ts": 101.5,
        },
        {
            "request_id": "nan",
            "model_name": "m",
            "model_version": "1",
            "features": {"x": float("nan"), "y": float("-inf"), "z": 0.1 + 0.2},
            "prediction": float("nan"),
            "latency_seconds": float("inf"),
            "ts": 102.25,
        },
        {
            "request_id": "numpy",
            "model_name": "m",
            "model_version": "1",
            "features": {"x": np.float64(2.5), "k": np.int64(3), "flag": True},
            "prediction": np.float32(1.5),
            "latency_seconds": np.float64(0.004),
            "ts": np.float64(103.0),
        },
        {
            "request_id": "missing",
            "model_name": "m",
            "model_version": "1",
            "features": {},
            "ts": 104.0,
        },
        {
            "request_id": 42,
            "model_name": "m",
            "model_version": 3,
            "features": {"x": 1e300},
            "prediction": True,
            "latency_seconds": 0.5,
            "ts": 105,
        },
    ]
    batch = [
        *tricky,
        *({**row, "request_id": f"{row['request_id']}-{i}"} for i in range(40) for row in tricky),
    ]
    batched = PredictionStore(tmp_path / "batched.db")
    assert batched.log_predictions(batch) == len(batch)

    # The reference: one plain INSERT per row, values converted by hand as the README documents them.
    row_by_row = tmp_path / "row_by_row.db"
    PredictionStore(row_by_row).close()

    def finite(value):
        value = value.item() if hasattr(value, "item") else value
        return None if isinstance(value, float) and not math.isfinite(value) else value

    with sqlite3.connect(row_by_row) as conn:
        for row in batch:
            features = json.dumps(
                {k: finite(v) for k, v in row["features"].items()}, separators=(",", ":")
            )
            prediction = finite(row.get("prediction"))
            latency = finite(row.get("latency_seconds"))
            conn.execute(
                "INSERT OR IGNORE INTO predictions (request_id, ts, model_name, model_version, features,"
                " prediction, latency_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(row["request_id"]),
                    float(row["ts"]),
                    str(row["model_name"]),
                    str(row["model_version"]),
                    features,
                    int(prediction) if isinstance(prediction, bool) else prediction,
                    None if latency is None else float(latency),
                ),
            )

    assert stored(tmp_path / "batched.db") == stored(row_by_row)
    assert stored(tmp_path / "batched.db")[2][4:] == (
        '{"x":null,"y":null,"z":0.30000000000000004}',
        None,
        None,
        "null",
        "null",
    )


def test_a_record_without_a_required_key_is_rejected_and_nothing_of_its_batch_is_written(tmp_path):
    store = PredictionStore(tmp_path / "log.db")
    broken = record(1)
    del broken["model_version"]

    with pytest.raises(ValueError, match="'r1' lacks model_version"):
        store.log_predictions([record(0), broken])
    assert rows(tmp_path / "log.db") == 0


@pytest.mark.parametrize(
    "features, error",
    [
        ({"x": object()}, "Object of type object is not JSON serializable"),
        ([("x", 1)], "features must be a mapping"),
    ],
)
def test_features_that_cannot_be_logged_as_json_are_rejected_with_the_reason(
    tmp_path, features, error
):
    store = PredictionStore(tmp_path / "log.db")

    with pytest.raises(TypeError, match=error):
        store.log_predictions([record(0), {**record(1), "features": features}])
    assert rows(tmp_path / "log.db") == 0


def test_actuals_spanning_several_statements_keep_the_first_value_per_request(tmp_path):
    store = PredictionStore(tmp_path / "log.db")
    n = ROWS_PER_STATEMENT + 72
    actuals = [(f"r{i}", float(i), 1.0) for i in range(n)] + [("r3", -3.0, 2.0)]

    assert store.log_actuals(actuals) == n
    assert stored(tmp_path / "log.db", "actuals", "request_id, actual, ts") == [
        (f"r{i}", float(i), 1.0) for i in range(n)
    ]
