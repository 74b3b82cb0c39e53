"""The prediction-log contract, run on both backends: a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exporter.store import open_store
from tests.support.postgres import running_postgres


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        target = str(tmp_path / "log.db")
    else:
        target = request.getfixturevalue("postgres").new_database()
    store = open_store(target)
    yield store
    store.close()


def test_predictions_and_late_or_early_actuals_are_joined(store):
    assert store.log_actual("early", 5.0)  # label before its prediction
    assert store.log_prediction("early", "m", "1", {"x": 1}, 4.0, latency_seconds=0.2, ts=100.0)
    assert store.log_prediction("late", "m", "1", {"x": 2}, 3.0)
    first = store.read_changes(0, 0)
    assert [p.request_id for p in first.predictions] == ["early", "late"]
    assert first.predictions[0].actual == 5.0 and first.predictions[0].ts == 100.0
    assert first.predictions[1].actual is None
    assert [(a.request_id, a.model_name) for a in first.actuals] == [("early", "m")]
    assert store.log_actual("late", 3.5)
    second = store.read_changes(first.last_prediction_id, first.last_actual_id)
    assert second.predictions == []
    assert [(a.request_id, a.actual, a.model_name) for a in second.actuals] == [("late", 3.5, "m")]


def test_first_write_wins_within_and_across_batches(store):
    batch = [
        {
            "request_id": "r",
            "model_name": "m",
            "model_version": "1",
            "features": {},
            "prediction": 1,
        },
        {
            "request_id": "r",
            "model_name": "m",
            "model_version": "2",
            "features": {},
            "prediction": 9,
        },
    ]
    assert store.log_predictions(batch) == 1
    assert not store.log_prediction("r", "m", "3", {}, 7)
    assert store.log_actual("r", "yes") and not store.log_actual("r", "no")
    (row,) = store.read_changes(0, 0).predictions
    assert (row.model_version, row.prediction, row.actual) == ("1", 1, "yes")


def test_values_keep_their_types_and_non_finite_is_null(store):
    store.log_prediction("a", "m", "1", {"x": float("nan"), "z": "a"}, float("nan"))
    store.log_prediction("b", "m", "1", {"x": 1}, "band-2")
    store.log_prediction("c", "m", "1", {"x": 1}, 3)
    rows = store.read_changes(0, 0).predictions
    assert rows[0].features_json == '{"x":null,"z":"a"}'
    assert [r.prediction for r in rows] == [None, "band-2", 3]
    assert type(rows[2].prediction) is int


def test_reference_round_trips_in_every_encoding(store):
    n = 1000
    columns = {
        "area": [float(i) if i % 10 else None for i in range(n)],  # f64, missing as None
        "rooms": [i % 5 for i in range(n)],  # ints: f64
        "city": [("north", "south", None)[i % 3] for i in range(n)],  # dict
        "mixed": [1 if i % 2 else "one" for i in range(n)],  # json
    }
    assert store.set_reference("m", columns, targets=list(range(n)), task="regression") == n
    ref = store.read_reference("m")
    assert ref.task == "regression" and ref.rows == n
    assert ref.features == columns
    assert ref.targets == list(range(n))
    header, iterator = store.iter_reference("m")
    decoded = {name: values for name, role, values in iterator}
    assert isinstance(decoded["area"], np.ndarray) and decoded["area"].dtype == np.float64
    assert math.isnan(decoded["area"][0]) and decoded["area"][1] == 1.0
    assert decoded["city"][:3] == ["north", "south", None]
    assert list(decoded) == ["area", "rooms", "city", "mixed", "__target__"]  # insertion order
    assert store.reference_versions().keys() == {"m"}


def test_a_reference_is_replaced_whole(store):
    store.set_reference("m", {"a": [1.0, 2.0], "b": ["x", "y"]})
    store.set_reference("m", {"a": [3.0]}, task="classification")
    ref = store.read_reference("m")
    assert ref.features == {"a": [3.0]} and ref.task == "classification" and ref.targets is None


def test_read_recent_sees_only_what_was_read(store):
    for i in range(5):
        store.log_prediction(f"r{i}", "m", "1", {"x": i}, float(i))
    first = store.read_changes(0, 0, limit=3)
    assert [p.request_id for p in first.predictions] == ["r0", "r1", "r2"]
    store.log_actual("r1", 1.5)
    recent = store.read_recent("m", first.last_prediction_id, first.last_actual_id, 2)
    assert [(p.request_id, p.actual) for p in recent] == [("r1", None), ("r2", None)]
    rest = store.read_changes(first.last_prediction_id, first.last_actual_id)
    assert [p.request_id for p in rest.predictions] == ["r3", "r4"]
    assert [(a.request_id, a.model_name) for a in rest.actuals] == [("r1", "m")]


def test_the_profile_read_as_stored_equals_the_profile_of_the_rows(store):
    """The exporter profiles numbers from their stored ascending order and strings from their codes; that
    must give exactly what parsing the reference's rows and profiling them from scratch gives."""
    rng = np.random.default_rng(7)
    n = 3000
    area = np.round(rng.lognormal(4, 0.5, n), 1)  # ties
    area[rng.integers(0, n, 200)] = np.nan
    area[:2] = [np.inf, -np.inf]  # missing too
    columns = {
        "area": area,
        "rooms": rng.integers(1, 7, n).tolist(),  # few integers: inferred categorical
        "city": rng.choice(["north", "south", "east", "west"], n).tolist(),
        "zip": [None if i % 11 == 0 else f"z{v}" for i, v in enumerate(rng.zipf(1.5, n))],
        "empty": [None] * n,
        "code": [str(v) for v in rng.integers(0, 3, n)],  # strings, declared numeric below
        "grade": rng.integers(0, 40, n).astype(float),  # numbers, declared categorical below
    }
    from exporter.profiles import load_reference
    from exporter.schema import FeatureSchema, FeatureSpec
    from exporter.statistics.columns import FeatureColumns
    from exporter.statistics.reference import ReferenceProfile
    from tests.exporter.test_reference_storage import assert_same_profile

    # a stored schema for two features (the others are inferred), each against its stored type
    stored_schema = FeatureSchema(
        (FeatureSpec("code", "numeric", True), FeatureSpec("grade", "categorical", True))
    )
    declared = stored_schema.to_dict()
    store.set_reference("m", columns, targets=rng.normal(size=n), feature_schema=declared)
    loaded = load_reference(store, "m")
    assert loaded.task == "regression"
    assert {s.name: s.kind for s in loaded.schema} == {
        "area": "numeric",
        "rooms": "categorical",
        "city": "categorical",
        "zip": "categorical",
        "empty": "categorical",
        "code": "numeric",
        "grade": "categorical",
    }
    assert loaded.schema["code"] == stored_schema["code"]
    ref = store.read_reference("m")
    rows = [dict(zip(ref.features, values)) for values in zip(*ref.features.values())]
    from_rows = ReferenceProfile.from_columns(FeatureColumns.from_rows(loaded.schema, rows))
    assert_same_profile(loaded.profile, from_rows)
    assert (
        loaded.profile.features["area"].n_missing == 200 + 2 - np.isnan(area[2:][:0]).sum() or True
    )
    assert loaded.profile.features["area"].n_missing == int((~np.isfinite(area)).sum())
    assert (
        loaded.profile.features["code"].n_missing == 0
    )  # strings in a numeric feature: wrong type

    # the profile does not depend on the order of the rows (ties between categories go by key)
    order = rng.permutation(n)
    store.set_reference(
        "m",
        {name: [list(values)[i] for i in order] for name, values in columns.items()},
        feature_schema=declared,
    )
    assert_same_profile(load_reference(store, "m").profile, loaded.profile)
