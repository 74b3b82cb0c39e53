"""The batched prediction-log writer against a real SQLite store: batching, overload, shutdown, errors."""

from __future__ import annotations

import threading

from exporter.instrumentation import ApiMetrics, Instrumentation, PredictionLogWriter
from exporter.store import PredictionStore


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
    return {"request_id": f"r{i}", "model_name": "m", "model_version": "1", "features": {"x": i},
            "prediction": float(i)}


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
