"""Reference columns: binary encodings, the older logs that came before them (schema 1: JSON; schema 2:
numbers in row order), their migration, and the profile read straight from the stored form."""

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
        ([1.5, None, 3], "sorted-f64"),
        ([3, 2, float("nan"), 1], "sorted-f64"),
        (np.array([1.0, np.nan, -np.inf, 0.5, np.inf]), "sorted-f64"),
        (np.array([2, 1], dtype=np.int64), "sorted-f64"),
        (["a", None, "b", "a"], "dict"),
        ([True, False], "json"),  # bools are not numbers to the exporter
        ([2**60, 1], "json"),  # a float cannot hold it: kept exact
        ([1, "a"], "json"),
        ([], "sorted-f64"),
    ],
)
def test_each_column_gets_the_encoding_its_values_allow_and_decodes_back(values, encoding):
    column = reference_codec.encode(values)
    assert column.encoding == encoding
    decoded = reference_codec.as_list(
        reference_codec.decode(column.encoding, column.text, column.data, column.row_order)
    )
    expected = [
        None if isinstance(v, float) and not math.isfinite(v) else v
        for v in (values.tolist() if isinstance(values, np.ndarray) else values)
    ]
    assert decoded == expected


def test_numbers_are_stored_in_ascending_order_with_the_row_each_came_from():
    rng = np.random.default_rng(3)
    values = np.round(rng.normal(size=5000), 1)  # many ties
    values[rng.integers(0, values.size, 300)] = np.nan
    values[:3] = [np.inf, -np.inf, np.nan]
    column = reference_codec.encode(values)
    stored = np.frombuffer(column.data, dtype="<f8")
    expected = values.copy()
    expected[~np.isfinite(expected)] = np.nan  # ±inf is missing, as everywhere in the exporter
    # data: numpy's ascending order, NaN last
    np.testing.assert_array_equal(stored, np.sort(expected))
    # row_order: where each sorted value sits in the rows
    rows = np.frombuffer(column.row_order, dtype="<i4")
    np.testing.assert_array_equal(expected[rows], stored)
    assert sorted(rows.tolist()) == list(range(values.size))
    # read without row order: the stored bytes, no copy, read-only
    as_stored = reference_codec.decode(
        column.encoding, column.text, column.data, in_row_order=False
    )
    assert isinstance(as_stored, reference_codec.SortedNumbers) and len(as_stored) == values.size
    np.testing.assert_array_equal(as_stored.values, stored)
    assert not as_stored.values.flags.writeable
    # read in row order: back where they were
    np.testing.assert_array_equal(
        reference_codec.decode(column.encoding, column.text, column.data, column.row_order),
        expected,
    )
    with pytest.raises(ValueError, match="row_order"):
        reference_codec.decode(column.encoding, column.text, column.data)


def test_strings_read_as_stored_are_counted_from_their_codes():
    values = ["b", None, "a", "b", "c", None, "b"]
    column = reference_codec.encode(values)
    coded = reference_codec.decode(column.encoding, column.text, column.data, in_row_order=False)
    assert isinstance(coded, reference_codec.CodedStrings)
    assert coded.dictionary == ["b", "a", "c"]  # first-seen order
    assert coded.counts().tolist() == [3, 1, 1] and coded.n_missing == 2
    assert coded.tolist() == values == reference_codec.as_list(coded)


def test_unknown_encoding_names_what_to_do():
    with pytest.raises(ValueError, match="newer mlmon"):
        reference_codec.decode("zstd", "", b"")


def _old_log(path, schema, columns, targets):
    """A prediction log as an older mlmon wrote it: schema 1 (JSON arrays) or 2 (numbers as float64 in
    row order, strings as dictionary codes)."""
    conn = sqlite3.connect(path)
    binary = ", encoding TEXT, data BLOB" if schema == 2 else ""
    conn.executescript(
        f"""
        CREATE TABLE predictions (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE,
            ts REAL NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
            features TEXT NOT NULL, prediction, latency_seconds REAL);
        CREATE TABLE actuals (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE,
            actual, ts REAL NOT NULL);
        CREATE TABLE models (model_name TEXT PRIMARY KEY, task TEXT, reference_rows INTEGER NOT NULL,
            feature_schema TEXT, updated_at REAL NOT NULL);
        CREATE TABLE reference_columns (model_name TEXT NOT NULL, column_name TEXT NOT NULL,
            role TEXT NOT NULL, "values" TEXT NOT NULL{binary}, PRIMARY KEY (model_name, column_name));
        PRAGMA user_version = {schema};
        """
    )
    named = [(name, "feature", values) for name, values in columns.items()]
    named.append(("__target__", "target", targets))
    for name, role, values in named:
        if schema == 1:
            conn.execute(
                "INSERT INTO reference_columns VALUES ('m', ?, ?, ?)",
                (name, role, json.dumps(values)),
            )
        elif all(isinstance(v, str) for v in values):
            dictionary = list(dict.fromkeys(values))
            codes = np.array([dictionary.index(v) for v in values], dtype="<i4")
            conn.execute(
                "INSERT INTO reference_columns VALUES ('m', ?, ?, ?, 'dict', ?)",
                (name, role, json.dumps(dictionary), codes.tobytes()),
            )
        else:
            data = np.array([math.nan if v is None else v for v in values], dtype="<f8").tobytes()
            conn.execute(
                "INSERT INTO reference_columns VALUES ('m', ?, ?, '', 'f64', ?)",
                (name, role, data),
            )
    conn.execute("INSERT INTO models VALUES ('m', 'regression', ?, NULL, 1.0)", (len(targets),))
    conn.commit()
    conn.close()


RNG = np.random.default_rng(11)
COLUMNS = {
    "area": [None if i % 17 == 0 else float(v) for i, v in enumerate(RNG.normal(100, 20, 400))],
    "city": [("n", "s", "e", "w")[i % 4] for i in range(400)],
}
TARGETS = [float(i) * 2 for i in range(400)]


def assert_same_profile(got, expected):
    """Two :class:`ReferenceProfile` s are equal, bit for bit."""
    assert got.schema == expected.schema and got.n_rows == expected.n_rows
    assert got.features.keys() == expected.features.keys()
    for name, a in got.features.items():
        b = expected.features[name]
        assert type(a) is type(b), name
        if a.kind == "numeric":
            np.testing.assert_array_equal(a.sorted_values, b.sorted_values)
            for field in (
                "n_rows",
                "n_missing",
                "mean",
                "std",
                "q1",
                "q3",
                "lower_fence",
                "upper_fence",
            ):
                x, y = getattr(a, field), getattr(b, field)
                assert x == y or (math.isnan(x) and math.isnan(y)), (name, field, x, y)
            np.testing.assert_array_equal(a.psi_edges, b.psi_edges)
            np.testing.assert_array_equal(a.psi_proportions, b.psi_proportions)
            np.testing.assert_array_equal(a.prefix.blocks, b.prefix.blocks)
            assert a.prefix.total == b.prefix.total
        else:
            assert (a.categories, a.n_rows, a.n_missing) == (b.categories, b.n_rows, b.n_missing), (
                name
            )
            np.testing.assert_array_equal(a.counts, b.counts)


@pytest.mark.parametrize("schema", [1, 2])
def test_an_older_log_is_readable_by_the_exporter_before_any_writer_migrates_it(tmp_path, schema):
    path = tmp_path / "old.db"
    _old_log(path, schema, COLUMNS, TARGETS)
    store = PredictionStore(path, create=False)  # the exporter's read-only open
    reference = load_reference(store, "m")
    assert reference.header.rows == 400 and reference.task == "regression"
    assert {spec.name for spec in reference.schema} == {"area", "city"}
    assert store.read_reference("m").features == COLUMNS
    store.close()


@pytest.mark.parametrize("schema", [1, 2])
def test_a_writer_migrates_an_older_log_in_place_and_the_profile_is_unchanged(tmp_path, schema):
    path = tmp_path / "old.db"
    _old_log(path, schema, COLUMNS, TARGETS)
    before = load_reference(PredictionStore(path, create=False), "m")
    with PredictionStore(path) as store:  # a writer opens it: schema 3
        assert store.read_reference("m").features == COLUMNS
        assert store.read_reference("m").targets == TARGETS
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    encodings = dict(conn.execute("SELECT column_name, encoding FROM reference_columns"))
    assert encodings == {"area": "sorted-f64", "city": "dict", "__target__": "sorted-f64"}
    conn.close()
    after = load_reference(PredictionStore(path, create=False), "m")
    assert_same_profile(after.profile, before.profile)


def test_a_postgresql_log_of_schema_two_is_read_then_migrated_by_a_writer():
    from exporter.store import open_store
    from tests.support.postgres import running_postgres

    with running_postgres() as server:
        url = server.new_database()
        with open_store(url) as store:
            store.set_reference("m", COLUMNS, targets=TARGETS, task="regression")
        import psycopg

        with psycopg.connect(url) as conn:  # back to what mlmon wrote before schema 3
            for name, values in [("area", COLUMNS["area"]), ("__target__", TARGETS)]:
                data = np.array([math.nan if v is None else v for v in values], dtype="<f8")
                conn.execute(
                    "UPDATE reference_columns SET encoding = 'f64', data = %s WHERE column_name = %s",
                    (data.tobytes(), name),
                )
            conn.execute("ALTER TABLE reference_columns DROP COLUMN row_order")
            conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")

        reader = open_store(url, create=False)  # the exporter: reads schema 2 as it is
        before = load_reference(reader, "m")
        assert reader.read_reference("m").features == COLUMNS
        reader.close()

        with open_store(url) as writer:  # a writer migrates it
            assert writer.read_reference("m").targets == TARGETS
        with psycopg.connect(url) as conn:
            encodings = dict(conn.execute("SELECT column_name, encoding FROM reference_columns"))
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert encodings == {"area": "sorted-f64", "city": "dict", "__target__": "sorted-f64"}
        assert version == ("3",)
        with open_store(url, create=False) as reader:
            assert_same_profile(load_reference(reader, "m").profile, before.profile)
            assert reader.read_reference("m").features == COLUMNS
