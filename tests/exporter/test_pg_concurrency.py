"""Incremental reads of a PostgreSQL log stay exact while transactions commit out of id order.

PostgreSQL assigns ``id`` at insert time but transactions commit in any order,
so "read ids above the last one seen" would skip a row whose transaction
commits late. These tests hold transactions open on purpose and check that the
reader hands every committed row over exactly once.
"""

from __future__ import annotations

import multiprocessing
import random
import time

import pytest

from exporter import catalog
from exporter.config import ExporterConfig
from exporter.cycle import Exporter
from exporter.pg_store import PostgresPredictionStore
from tests.support.postgres import running_postgres

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as server:
        yield server


def _insert_sql(request_id: str, model: str = "m") -> tuple[str, tuple]:
    return (
        "INSERT INTO predictions (request_id, ts, model_name, model_version, features, prediction)"
        " VALUES (%s, %s, %s, '1', '{\"x\": 1}', '1'::jsonb)",
        (request_id, time.time(), model),
    )


def _drain(store, position=(0, 0)):
    """Read everything available now; returns (request ids in order, new position)."""
    seen, (after_p, after_a) = [], position
    while True:
        changes = store.read_changes(after_p, after_a, limit=7)
        seen += [p.request_id for p in changes.predictions]
        after_p, after_a = changes.last_prediction_id, changes.last_actual_id
        if len(changes.predictions) < 7:
            return seen, (after_p, after_a)


def test_a_late_commit_with_a_lower_id_is_not_skipped(postgres):
    import psycopg

    url = postgres.new_database()
    store = PostgresPredictionStore(url)
    slow = psycopg.connect(url)  # a writer whose transaction stays open
    slow.execute(*_insert_sql("slow-1"))
    slow.execute(*_insert_sql("slow-2"))  # ids 1 and 2, not committed yet
    store.log_predictions(
        [
            {"request_id": f"fast-{i}", "model_name": "m", "model_version": "1", "features": {}}
            for i in range(3)
        ]
    )  # ids 3..5, committed
    first, position = _drain(store)
    # The naive reader would return fast-0..2 now and never see ids 1-2; this one waits for the open
    # transaction (older than the fast one) to finish.
    assert first == []
    slow.commit()
    second, position = _drain(store, position)
    assert sorted(second) == ["fast-0", "fast-1", "fast-2", "slow-1", "slow-2"]
    ids = {
        rid: pid
        for rid, pid in psycopg.connect(url)
        .execute("SELECT request_id, id FROM predictions")
        .fetchall()
    }
    assert ids["slow-1"] < ids["fast-0"], "the scenario needs a lower id committed later"
    assert _drain(store, position)[0] == []
    slow.close()
    store.close()


def test_an_aborted_transaction_does_not_hold_the_reader(postgres):
    import psycopg

    url = postgres.new_database()
    store = PostgresPredictionStore(url)
    aborted = psycopg.connect(url)
    aborted.execute(*_insert_sql("gone"))
    store.log_prediction("kept", "m", "1", {}, 1)
    assert _drain(store)[0] == []
    aborted.rollback()
    assert _drain(store)[0] == ["kept"]
    aborted.close()
    store.close()


def _writer(url: str, worker: int, batches: int, seed: int) -> None:
    """A writer process: batches of rows, some in transactions held open for a while before committing."""
    import psycopg

    rng = random.Random(seed)
    store = PostgresPredictionStore(url, create=False)
    with psycopg.connect(url) as conn:
        for batch in range(batches):
            ids = [f"w{worker}-b{batch}-r{i}" for i in range(rng.randint(1, 20))]
            if rng.random() < 0.3:  # a delayed commit, overtaken by other writers meanwhile
                for rid in ids:
                    conn.execute(*_insert_sql(rid, model=f"model-{worker % 2}"))
                time.sleep(rng.uniform(0.05, 0.3))
                conn.commit()
            else:
                store.log_predictions(
                    [
                        {
                            "request_id": rid,
                            "model_name": f"model-{worker % 2}",
                            "model_version": "1",
                            "features": {"x": 1},
                            "prediction": 1.0,
                        }
                        for rid in ids
                    ]
                )
            if rng.random() < 0.5:
                store.log_actual(ids[0], 1.0)
    store.close()


def test_many_writers_with_delayed_commits_every_row_read_exactly_once(postgres):
    import psycopg

    url = postgres.new_database()
    PostgresPredictionStore(url).close()  # the schema, before the writers start
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(url, w, 25, w)) for w in range(4)]
    for process in writers:
        process.start()
    store = PostgresPredictionStore(url, create=False)
    seen: list[str] = []
    position = (0, 0)
    deadline = time.monotonic() + 120
    while any(p.is_alive() for p in writers) and time.monotonic() < deadline:
        batch, position = _drain(store, position)
        seen += batch
        time.sleep(0.02)
    for process in writers:
        process.join(timeout=30)
        assert process.exitcode == 0
    batch, position = _drain(store, position)
    seen += batch
    with psycopg.connect(url) as conn:
        in_table = [row[0] for row in conn.execute("SELECT request_id FROM predictions")]
    assert len(seen) == len(set(seen)), "a row was handed over twice"
    assert sorted(seen) == sorted(in_table), "a committed row was skipped"
    assert len(in_table) > 100
    store.close()


def _scrape_total(exporter: Exporter, name: str) -> float:
    return sum(value for (metric, _labels), value in _samples(exporter) if metric == name)


def _samples(exporter: Exporter):
    for metric in catalog.by_source(catalog.Source.EXPORTER):
        for labels, value in exporter.snapshot.get(metric):
            yield (metric.name, labels), value


def test_exporter_counts_every_row_across_restarts_while_writers_run(postgres):
    import psycopg

    url = postgres.new_database()
    PostgresPredictionStore(url).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(url, w, 15, 100 + w)) for w in range(3)]
    for process in writers:
        process.start()
    exporter = Exporter(ExporterConfig(db_url=url))
    deadline = time.monotonic() + 120
    restarts = 0
    while any(p.is_alive() for p in writers) and time.monotonic() < deadline:
        exporter.run_cycle()
        if restarts < 2 and _scrape_total(exporter, "daily_predictions_total") > 30 * (
            restarts + 1
        ):
            exporter.close()
            exporter = Exporter(ExporterConfig(db_url=url))  # a restart recounts from the log
            restarts += 1
        time.sleep(0.05)
    for process in writers:
        process.join(timeout=30)
    exporter.run_cycle()
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT count(*) FROM predictions").fetchone()[0]
        actuals = conn.execute(
            "SELECT count(*) FROM actuals a JOIN predictions p USING (request_id)"
        ).fetchone()[0]
    assert _scrape_total(exporter, "daily_predictions_total") == rows
    assert _scrape_total(exporter, "actuals_received_total") == actuals
    exporter.close()
