"""The prediction log: schema, duplicates, late labels and concurrent writers on a real SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest

from exporter.store import PredictionLogError, PredictionStore
from tests.support.processes import ROOT


def _record(i: int, model: str = "m") -> dict:
    return {
        "request_id": f"r{i}",
        "model_name": model,
        "model_version": "1",
        "features": {"x": float(i)},
        "prediction": float(i) * 2,
        "latency_seconds": 0.01,
    }


def test_schema_is_created_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "log.db"
    PredictionStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"predictions", "actuals", "models", "reference_columns"} <= tables


def test_duplicates_keep_the_first_value(tmp_path):
    with PredictionStore(tmp_path / "log.db") as store:
        assert store.log_prediction("r", "m", "1", {"x": 1}, 1.0)
        assert not store.log_prediction("r", "m", "2", {"x": 9}, 9.0)
        assert store.log_actual("r", 1.0)
        assert not store.log_actual("r", 2.0)
        changes = store.read_changes(0, 0)
        assert [(p.model_version, p.prediction, p.actual) for p in changes.predictions] == [
            ("1", 1.0, 1.0)
        ]


def test_non_finite_values_are_logged_as_null(tmp_path):
    with PredictionStore(tmp_path / "log.db") as store:
        store.log_prediction(
            "r", "m", "1", {"x": float("nan"), "y": float("inf"), "z": "a"}, float("nan")
        )
        row = store.read_changes(0, 0).predictions[0]
        assert row.features_json == '{"x":null,"y":null,"z":"a"}'
        assert row.prediction is None


def test_reference_round_trips_by_rows_or_columns(tmp_path):
    with PredictionStore(tmp_path / "log.db") as store:
        assert (
            store.set_reference(
                "m", [{"x": 1.0, "c": "a"}, {"x": 2.0}], targets=[10, 20], task="regression"
            )
            == 2
        )
        ref = store.read_reference("m")
        assert ref.features == {"x": [1.0, 2.0], "c": ["a", None]}
        assert ref.targets == [10, 20] and ref.task == "regression" and ref.rows == 2
        store.set_reference("m", {"x": [3.0, 4.0, 5.0]})
        ref = store.read_reference("m")
        assert ref.features == {"x": [3.0, 4.0, 5.0]} and ref.targets is None and ref.task is None
        assert store.read_reference("other") is None
        with pytest.raises(ValueError, match="task must be one of"):
            store.set_reference("m", {"x": [1]}, task="ranking")
        with pytest.raises(ValueError, match="2 targets for 3 rows"):
            store.set_reference("m", {"x": [1, 2, 3]}, targets=[1, 2])


def test_reader_without_create_refuses_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        PredictionStore(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_concurrent_writers_and_a_reader_lose_nothing(tmp_path):
    path = tmp_path / "log.db"
    store = PredictionStore(path)
    writers, per_writer, batch = 8, 250, 25
    errors: list[BaseException] = []
    done = threading.Event()
    seen: list[int] = []

    def write(w: int) -> None:
        try:
            for start in range(0, per_writer, batch):
                store.log_prediction(f"single-{w}-{start}", "m", "1", {"x": 1.0}, 1.0)
                records = [_record(w * 100_000 + i) for i in range(start, start + batch)]
                store.log_predictions(records)
                store.log_actual(f"r{w * 100_000 + start}", 1.0)
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        reader = PredictionStore(path, create=False)
        last_p = last_a = 0
        try:
            while True:
                finished = done.is_set()
                changes = reader.read_changes(last_p, last_a, limit=500)
                seen.extend(p.id for p in changes.predictions)
                last_p, last_a = changes.last_prediction_id, changes.last_actual_id
                if finished and not changes.predictions:
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            reader.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    reader_thread = threading.Thread(target=read)
    reader_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader_thread.join()
    store.close()
    assert errors == []
    count = sqlite3.connect(path).execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert count == writers * (per_writer + per_writer // batch)
    assert len(seen) == count and len(set(seen)) == count  # the reader saw each row exactly once


def test_errors_name_the_file_or_the_record(tmp_path):
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello, this is not SQLite" * 100)
    with pytest.raises(PredictionLogError, match="notes.txt"):
        PredictionStore(not_a_db)
    with PredictionStore(tmp_path / "log.db") as store:
        with pytest.raises(ValueError, match="'r1' lacks model_version"):
            store.log_predictions([{"request_id": "r1", "model_name": "m", "features": {}}])
        with pytest.raises(TypeError, match="features must be a mapping"):
            store.log_prediction("r2", "m", "1", ["not", "a", "dict"], 1.0)
        assert store.read_changes(0, 0).predictions == []  # nothing half-written


WRITER = """
import sys
from exporter.store import PredictionStore
store = PredictionStore(sys.argv[1])
for start in range(0, 200, 20):
    store.log_predictions([{"request_id": f"{sys.argv[2]}-{i}", "model_name": "m", "model_version": "1",
                            "features": {"x": i}, "prediction": 1.0} for i in range(start, start + 20)])
    store.log_actual(f"{sys.argv[2]}-{start}", 1.0)
"""


def test_writer_processes_and_a_reading_process_lose_nothing(tmp_path):
    path = tmp_path / "log.db"
    PredictionStore(path).close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"p{k}"], cwd=ROOT)
        for k in range(3)
    ]
    reader = PredictionStore(path, create=False)
    seen: set[int] = set()
    last_p = last_a = 0
    while True:
        finished = all(w.poll() is not None for w in writers)
        changes = reader.read_changes(last_p, last_a, limit=50)
        seen.update(p.id for p in changes.predictions)
        last_p, last_a = changes.last_prediction_id, changes.last_actual_id
        if finished and not changes.predictions:
            break
    reader.close()
    assert [w.wait() for w in writers] == [0, 0, 0]
    assert len(seen) == 600 and last_a == 30


def test_each_log_gets_one_random_id_kept_by_every_writer(tmp_path):
    path = tmp_path / "log.db"
    with PredictionStore(path) as first:
        log_id = first.log_id()
        with PredictionStore(path) as second:  # a second writer keeps the first one's id
            assert second.log_id() == log_id
    assert PredictionStore(path, create=False).log_id() == log_id
    with PredictionStore(tmp_path / "other.db") as other:
        assert other.log_id() not in (None, log_id)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE meta")  # a log written before the meta table existed
    conn.close()
    assert PredictionStore(path, create=False).log_id() is None
    assert PredictionStore(path).log_id() not in (None, log_id)  # a writer names it again
