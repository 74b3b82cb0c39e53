"""The writer's bounds on loss (issue 12 D6): the spill file, its replay, durable responses, and an
app whose lifespan runs more than once at a time."""

from __future__ import annotations

import asyncio
import threading

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from exporter.instrumentation import Instrumentation, PredictionLogWriter, SpillFile
from exporter.store import PredictionStore
from tests.support.processes import wait_until


class StalledStore:
    """A real store whose commits hang until ``gate`` is set, or fail ``failures`` times."""

    def __init__(self, path):
        self.store = PredictionStore(path)
        self.gate = threading.Event()
        self.failures = 0

    def log_predictions(self, records):
        self.gate.wait(30)
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        return self.store.log_predictions(records)

    def log_actuals(self, records):
        self.gate.wait(30)
        return self.store.log_actuals(records)


def record(i: int) -> dict:
    return {
        "request_id": f"r{i}",
        "model_name": "m",
        "model_version": "1",
        "features": {"x": i},
        "prediction": float(i),
        "ts": 1_700_000_000.0 + i,
    }


def logged(db) -> set[str]:
    changes = PredictionStore(db).read_changes(0, 0)
    return {p.request_id for p in changes.predictions} | {a.request_id for a in changes.actuals}


def test_rows_of_a_stalled_database_are_spilled_and_replayed_by_the_next_writer(tmp_path):
    db, spill = tmp_path / "log.db", tmp_path / "log.db-spill.jsonl"
    stalled = StalledStore(db)
    first = PredictionLogWriter(stalled, spill=SpillFile(spill), max_age=0.1, flush_interval=0.01)
    for i in range(50):
        assert first.submit(record(i))
    first.submit_actual("r3", 3.5, ts=1.0)
    wait_until(lambda: first.stats.spilled >= 51, 10, 0.02, what="51 rows spilled")
    assert logged(db) == set()  # nothing committed: the first writer hangs in its commit

    # As after a kill: a new process's writer replays the file before anything else.
    second = PredictionLogWriter(PredictionStore(db), spill=SpillFile(spill))
    wait_until(lambda: not spill.exists(), 10, 0.02, what="the spill file replayed")
    second.close()
    assert logged(db) == {f"r{i}" for i in range(50)}
    assert second.stats.replayed == 51

    stalled.gate.set()  # the first writer's commit finally goes through: duplicates are ignored
    first.close()
    assert len(PredictionStore(db).read_changes(0, 0).predictions) == 50


def test_a_failed_commit_goes_to_the_spill_file_and_is_replayed_when_the_database_recovers(
    tmp_path,
):
    db, spill = tmp_path / "log.db", tmp_path / "spill.jsonl"
    store = StalledStore(db)
    store.gate.set()
    store.failures = 4  # every attempt of the first batch fails
    writer = PredictionLogWriter(
        store, spill=SpillFile(spill), retries=3, flush_interval=0.01, probe_interval=0.01
    )
    writer.submit(record(0))
    wait_until(lambda: writer.stats.spilled == 1, 10, 0.02, what="the failed row spilled")
    writer.submit(record(1))  # commits: the database is back, the spilled row is replayed
    wait_until(lambda: writer.stats.replayed == 1, 10, 0.02, what="the spilled row replayed")
    writer.close()

    assert logged(db) == {"r0", "r1"} and writer.stats.failed == 0 and not spill.exists()


def test_an_incomplete_last_line_left_by_a_kill_is_dropped_and_the_rest_replayed(tmp_path):
    spill = SpillFile(tmp_path / "spill.jsonl")
    spill.append([record(1), record(2)], [])
    with open(spill.path, "ab") as file:
        file.write(b'{"p": {"request_id": "r3", "mod')  # killed mid-write

    reopened = SpillFile(spill.path)
    reopened.append([record(4)], [])
    predictions, actuals, _ = reopened.read()

    assert [p["request_id"] for p in predictions] == ["r1", "r2", "r4"] and actuals == []


def test_a_full_spill_file_drops_and_counts_instead_of_growing(tmp_path):
    spill = SpillFile(tmp_path / "spill.jsonl", max_bytes=300)

    assert spill.append([record(1)], []) is True
    assert spill.append([record(i) for i in range(2, 10)], []) is False
    assert [p["request_id"] for p in spill.read()[0]] == ["r1"]


def test_durable_waits_end_when_rows_are_spilled_and_fail_when_they_are_lost(tmp_path):
    stalled = StalledStore(tmp_path / "a.db")
    spilling = PredictionLogWriter(
        stalled, spill=SpillFile(tmp_path / "a.jsonl"), max_age=0.1, durable=True
    )
    failing_store = StalledStore(tmp_path / "b.db")
    failing_store.gate.set()
    failing_store.failures = 10**6
    losing = PredictionLogWriter(failing_store, retries=0, durable=True)
    try:
        spilling.submit(record(1))
        losing.submit(record(1))

        assert asyncio.run(asyncio.wait_for(spilling.wait_durable(spilling.accepted_seq), 10))
        assert not asyncio.run(asyncio.wait_for(losing.wait_durable(losing.accepted_seq), 10))
    finally:
        stalled.gate.set()
        spilling.close()
        losing.close()


def _app(monitoring_options: dict, store) -> tuple[Starlette, Instrumentation]:
    holder: dict[str, Instrumentation] = {}

    async def predict(request):
        holder["monitoring"].log_prediction("r1", "m", "1", {"x": 1}, 1.0)
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
    holder["monitoring"] = Instrumentation.install(app, store=store, **monitoring_options)
    return app, holder["monitoring"]


def test_durable_mode_answers_only_after_the_commit_and_503_when_the_row_is_lost(tmp_path):
    app, monitoring = _app({"durable": True}, PredictionStore(tmp_path / "ok.db"))
    with TestClient(app) as client:
        assert client.post("/predict").status_code == 200
        # Answered: so already committed, no flush needed.
        assert logged(tmp_path / "ok.db") == {"r1"}

    failing = StalledStore(tmp_path / "bad.db")
    failing.gate.set()
    failing.failures = 10**6
    app, monitoring = _app({"durable": True, "spill": False}, failing)
    monitoring.writer._retries = 0
    with TestClient(app) as client:
        response = client.post("/predict")
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert "could not be written" in response.json()["detail"]


def test_a_lifespan_ending_while_another_runs_keeps_the_writer_open(tmp_path):
    app, monitoring = _app({}, PredictionStore(tmp_path / "log.db"))
    with TestClient(app) as outer:
        with TestClient(app):
            pass  # e.g. a schema loader running the app's lifespan once more
        assert monitoring.log_prediction("r2", "m", "1", {"x": 2}, 2.0) is True
        assert outer.post("/predict").status_code == 200
    assert logged(tmp_path / "log.db") == {"r1", "r2"}
