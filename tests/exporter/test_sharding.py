"""Several exporters split the models of one log: --shard INDEX/COUNT and --models."""

from __future__ import annotations

import subprocess
import sys

import pytest

from exporter.config import ConfigError, load
from exporter.cycle import shard_of
from exporter.store import PredictionStore
from tests.exporter.conftest import exposition, samples
from tests.support.processes import ROOT

MODELS = [f"model-{i}" for i in range(12)]


def _log(path):
    with PredictionStore(path) as store:
        for model in MODELS:
            store.set_reference(model, {"x": [float(i) for i in range(50)]}, task="regression")
            store.log_predictions(
                {
                    "request_id": f"{model}-{i}",
                    "model_name": model,
                    "model_version": "1",
                    "features": {"x": float(i)},
                    "prediction": float(i),
                }
                for i in range(40)
            )


def _models_in(text: str) -> set[str]:
    return {dict(labels).get("model_name") for (_name, labels) in samples(text)} - {None}


def test_shards_split_the_models_with_no_series_exported_twice(tmp_path, make_exporter):
    _log(tmp_path / "log.db")
    served = []
    for index in range(3):
        exporter = make_exporter(shard=(index, 3))
        assert exporter.run_cycle()
        served.append(_models_in(exposition(exporter)))
    assert set().union(*served) == set(MODELS)
    assert sum(len(s) for s in served) == len(MODELS), "a model was exported by two shards"
    assert all(served), "a shard of 3 got none of 12 models: the hash does not spread"
    for index, models in enumerate(served):
        assert all(shard_of(m, 3) == index for m in models)


def test_models_option_exports_only_the_named_models(tmp_path, make_exporter):
    _log(tmp_path / "log.db")
    exporter = make_exporter(models=("model-1", "model-7"))
    assert exporter.run_cycle()
    text = exposition(exporter)
    assert _models_in(text) == {"model-1", "model-7"}
    assert samples(text)[("daily_predictions_total", frozenset({("model_name", "model-1")}))] == 40


def test_shard_of_is_stable_across_processes():
    script = (
        "from exporter.cycle import shard_of; print([shard_of(f'model-{i}', 4) for i in range(12)])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed},
            timeout=60,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and outputs != {""}


@pytest.mark.parametrize(
    "env, message",
    [
        ({"EXPORTER_SHARD": "2/2"}, "0 <= INDEX < COUNT"),
        ({"EXPORTER_SHARD": "half"}, "INDEX/COUNT"),
        ({"METRICS_DB_URL": "mysql://x"}, "PostgreSQL URL"),
    ],
)
def test_bad_shard_and_url_settings_are_refused_with_the_variable(env, message):
    with pytest.raises(ConfigError, match=message) as error:
        load(env)
    assert next(iter(env)) in str(error.value)


def test_a_url_wins_over_the_path_and_its_password_is_never_shown():
    config, note = load(
        {"METRICS_DB_PATH": "x.db", "METRICS_DB_URL": "postgresql://mlmon:s3cret@db:5432/log"}
    )
    assert config.db_url and "s3cret" not in note and "s3cret" not in config.db_location
    assert "db:5432/log" in note


def test_a_shard_leaves_the_other_shards_rows_in_the_database(tmp_path, make_exporter, monkeypatch):
    """Once a shard has seen a model another shard serves, it asks the store to skip that model's rows,
    and still counts every row of its own exactly once."""
    _log(tmp_path / "log.db")
    returned: list[str] = []
    asked: list[frozenset[str]] = []
    original = PredictionStore.read_changes

    def spy(self, *args, **kwargs):
        asked.append(frozenset(kwargs.get("skip_models", ())))
        changes = original(self, *args, **kwargs)
        returned.extend(p.model_name for p in changes.predictions)
        return changes

    monkeypatch.setattr(PredictionStore, "read_changes", spy)
    exporter = make_exporter(shard=(0, 3))
    mine = {m for m in MODELS if shard_of(m, 3) == 0}
    assert exporter.run_cycle()
    assert asked[0] == frozenset()  # nothing known yet: the first read sees every model
    returned.clear()
    with PredictionStore(tmp_path / "log.db") as store:  # more rows for every model
        store.log_predictions(
            {
                "request_id": f"{model}-later-{i}",
                "model_name": model,
                "model_version": "1",
                "features": {"x": float(i)},
                "prediction": float(i),
            }
            for model in MODELS
            for i in range(5)
        )
    assert exporter.run_cycle()
    assert asked[-1] == frozenset(MODELS) - mine
    assert set(returned) == mine, "the other shards' rows were read"
    text = exposition(exporter)
    for model in mine:
        assert samples(text)[("daily_predictions_total", frozenset({("model_name", model)}))] == 45
