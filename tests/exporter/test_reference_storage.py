"""Reference columns: binary encodings, the schema-1 (JSON) logs that came before them, and their migration."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest

from exporter import reference_codec
from exporter.profiles import load_reference
from exporter.store import PredictionStore


@pytest.mark.parametrize(
    "values, encoding",
    [
        ([1.5, None, 3], "f64"),
        ([1, 2, float("nan")], "f64"),
        (np.array([1.0, np.nan]), "f64"),
        (np.array([1, 2], dtype=np.int64), "f64"),
        (["a", None, "b", "a"], "dict"),
        ([True, False], "json"),  # bools are not numbers to the exporter
        ([2**60, 1], "json"),  # a float cannot hold it: kept exact
        ([1, "a"], "json"),
        ([], "f64"),
    ],
)
def test_each_column_gets_the_encoding_its_values_allow_and_decodes_back(values, encoding):
    chosen, text, data = reference_codec.encode(values)
    assert chosen == encoding
    decoded = reference_codec.as_list(reference_codec.decode(chosen, text, data))
    expected = [
        None if isinstance(v, float) and not math.isfinite(v) else v
        for v in (values.tolist() if isinstance(values, np.ndarray) else values)
    ]
    assert decoded == expected


def test_unknown_encoding_names_what_to_do():
    with pytest.raises(ValueError, match="newer mlmon"):
        reference_codec.decode("zstd", "", b"")


def _schema_one_log(path, columns, targets):
    """A prediction log as mlmon wrote it before binary columns (schema 1, JSON arrays)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE predictions (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE,
            ts REAL NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
            features TEXT NOT NULL, prediction, latency_seconds REAL);
        CREATE TABLE actuals (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE,
            actual, ts REAL NOT NULL);
        CREATE TABLE models (model_name TEXT PRIMARY KEY, task TEXT, reference_rows INTEGER NOT NULL,
            feature_schema TEXT, updated_at REAL NOT NULL);
        CREATE TABLE reference_columns (model_name TEXT NOT NULL, column_name TEXT NOT NULL,
            role TEXT NOT NULL, "values" TEXT NOT NULL, PRIMARY KEY (model_name, column_name));
        PRAGMA user_version = 1;
        """
    )
    for name, values in columns.items():
        conn.execute(
            "INSERT INTO reference_columns VALUES ('m', ?, 'feature', ?)",
            (name, json.dumps(values)),
        )
    conn.execute(
        "INSERT INTO reference_columns VALUES ('m', '__target__', 'target', ?)",
        (json.dumps(targets),),
    )
    conn.execute("INSERT INTO models VALUES ('m', 'regression', ?, NULL, 1.0)", (len(targets),))
    conn.commit()
    conn.close()


COLUMNS = {"area": [float(i) for i in range(100)], "city": [["n", "s"][i % 2] for i in range(100)]}
TARGETS = [float(i) * 2 for i in range(100)]


def test_a_schema_one_log_is_readable_by_the_exporter_before_any_writer_migrates_it(tmp_path):
    path = tmp_path / "old.db"
    _schema_one_log(path, COLUMNS, TARGETS)
    store = PredictionStore(path, create=False)  # the exporter's read-only open
    reference = load_reference(store, "m")
    assert reference.header.rows == 100 and reference.task == "regression"
    assert {spec.name for spec in reference.schema} == {"area", "city"}
    assert store.read_reference("m").features == COLUMNS
    store.close()


def test_a_writer_migrates_a_schema_one_log_in_place_and_the_profile_is_unchanged(tmp_path):
    path = tmp_path / "old.db"
    _schema_one_log(path, COLUMNS, TARGETS)
    before = load_reference(PredictionStore(path, create=False), "m")
    with PredictionStore(path) as store:  # a writer opens it: schema 2
        assert store.read_reference("m").features == COLUMNS
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    encodings = dict(conn.execute("SELECT column_name, encoding FROM reference_columns"))
    assert encodings == {"area": "f64", "city": "dict", "__target__": "f64"}
    conn.close()
    after = load_reference(PredictionStore(path, create=False), "m")
    assert after.schema == before.schema
    area_before, area_after = before.profile.features["area"], after.profile.features["area"]
    assert np.array_equal(area_after.sorted_values, area_before.sorted_values)
    assert (area_after.n_missing, area_after.mean, area_after.std) == (
        area_before.n_missing,
        area_before.mean,
        area_before.std,
    )
    city_before, city_after = before.profile.features["city"], after.profile.features["city"]
    assert city_after.categories == city_before.categories
    assert np.array_equal(city_after.counts, city_before.counts)
