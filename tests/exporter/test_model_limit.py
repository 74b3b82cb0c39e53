"""Bounded ``model_name`` cardinality (issue 12, D3): a cap on exported models, and models that left the log dropped.

Real SQLite logs with many model names; what is checked is what a scrape shows.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from exporter.config import ExporterConfig
from exporter.cycle import Exporter
from exporter.store import PredictionStore
from tests.exporter.conftest import exposition, samples, value
from tests.exporter.logdata import REGRESSION, feature_rows


def _log_models(path, models, *, rows: int = 1, prefix: str = "") -> None:
    with PredictionStore(path) as store:
        store.log_predictions(
            {
                "request_id": f"{prefix}{model}-{i}",
                "model_name": model,
                "model_version": "v1",
                "features": {"x": float(i), "city": "north"},
                "prediction": 1.0,
                "latency_seconds": 0.01,
            }
            for model in models
            for i in range(rows)
        )


def _exported_models(exporter: Exporter) -> set[str]:
    return {
        dict(labels)["model_name"]
        for (_, labels) in samples(exposition(exporter))
        if "model_name" in dict(labels)
    }


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_models_beyond_the_limit_are_counted_not_exported_and_logged_once(
    tmp_path, make_exporter, caplog
):
    path = tmp_path / "log.db"
    names = [f"model_{i:03d}" for i in range(120)]
    _log_models(path, names, rows=2)
    exporter = make_exporter(max_models=50)
    with caplog.at_level(logging.WARNING, logger="exporter"):
        assert exporter.run_cycle()
        _log_models(path, names, rows=3, prefix="second-")  # every model logs again
        assert exporter.run_cycle()
    assert _exported_models(exporter) == set(names[:50])  # the first 50 seen keep their slots
    assert len(exporter.models) == 50 and len(exporter.counters) == 50
    assert value(exporter, "exporter_models") == 50
    assert value(exporter, "exporter_untracked_predictions_total") == 70 * (2 + 3)
    assert value(exporter, "daily_predictions_total", model_name="model_000") == 5
    limit_warnings = [r for r in caplog.records if "EXPORTER_MAX_MODELS" in r.message]
    assert len(limit_warnings) == 1 and "model_050" in limit_warnings[0].message


def test_a_model_with_reference_data_takes_its_slot_before_models_that_only_log(
    tmp_path, make_exporter
):
    path = tmp_path / "log.db"
    _log_models(path, ["a", "b", "c"])
    with PredictionStore(path) as store:
        store.set_reference(REGRESSION, feature_rows(50, np.random.default_rng(0)))
    exporter = make_exporter(max_models=2)
    assert exporter.run_cycle()
    assert _exported_models(exporter) == {REGRESSION, "a"}
    assert value(exporter, "exporter_untracked_predictions_total") == 2


def test_a_model_that_stopped_logging_is_dropped_with_its_series_and_frees_its_slot(tmp_path):
    path = tmp_path / "log.db"
    _log_models(path, ["old", "busy"])
    with PredictionStore(path) as store:
        store.set_reference(REGRESSION, feature_rows(50, np.random.default_rng(0)))
    clock = _Clock()
    exporter = Exporter(
        ExporterConfig(db_path=path, max_models=3, model_idle_seconds=3600), clock=clock
    )
    try:
        assert exporter.run_cycle()
        _log_models(path, ["late"])  # no slot left: only counted
        assert exporter.run_cycle()
        assert _exported_models(exporter) == {"old", "busy", REGRESSION}
        clock.now += 3000
        _log_models(path, ["busy"], prefix="again-")
        assert exporter.run_cycle()
        clock.now += 1000  # "old" logged nothing for 4000 s, "busy" for 1000 s
        assert exporter.run_cycle()
        # the model with reference data stays however quiet it is: it has not left the log
        assert _exported_models(exporter) == {"busy", REGRESSION}
        assert set(exporter.models) == {"busy", REGRESSION} and "old" not in exporter.counters
        assert value(exporter, "exporter_models") == 2
        _log_models(
            path, ["late"], prefix="again-"
        )  # the freed slot goes to the next model that logs
        assert exporter.run_cycle()
        assert _exported_models(exporter) == {"busy", REGRESSION, "late"}
        assert value(exporter, "daily_predictions_total", model_name="late") == 1
        assert value(exporter, "exporter_untracked_predictions_total") == 1
    finally:
        exporter.close()


def test_models_not_in_a_replaced_log_are_dropped_and_the_others_keep_counting(
    tmp_path, make_exporter
):
    path = tmp_path / "log.db"
    _log_models(path, [f"m{i}" for i in range(10)], rows=4)
    exporter = make_exporter()
    assert exporter.run_cycle()
    new = tmp_path / "new.db"
    _log_models(new, ["m0", "m1", "fresh"], rows=2, prefix="new-")
    os.replace(new, path)
    assert exporter.run_cycle()
    assert _exported_models(exporter) == {"m0", "m1", "fresh"}
    assert set(exporter.counters) == {"m0", "m1", "fresh"}
    assert (
        value(exporter, "daily_predictions_total", model_name="m0") == 6
    )  # 4 + 2: never goes down
    assert value(exporter, "daily_predictions_total", model_name="fresh") == 2


def test_a_deleted_log_releases_every_model(tmp_path, make_exporter):
    path = tmp_path / "log.db"
    _log_models(path, [f"m{i}" for i in range(20)])
    exporter = make_exporter()
    assert exporter.run_cycle()
    for file in tmp_path.glob("log.db*"):
        file.unlink()
    exporter.run_cycle()  # the open connection fails: the file is gone
    exporter.run_cycle()
    assert _exported_models(exporter) == set()
    assert exporter.models == {} and exporter.counters == {}
    assert value(exporter, "exporter_models") == 0
