"""The export cycle over a real prediction log: what /metrics shows, read incrementally."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys

import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalog
from exporter.store import PredictionStore
from tests.exporter.conftest import exposition, samples, value
from tests.exporter.logdata import (
    CLASSIFICATION,
    REGRESSION,
    add_predictions,
    feature_rows,
    write_log,
)
from tests.support.processes import ROOT


def test_once_exposes_every_exporter_metric_of_the_catalog_and_nothing_else(tmp_path):
    path = tmp_path / "log.db"
    store = write_log(path, labelled=0.7)
    store.log_prediction(
        "tiny-1", "tiny", "1", {"x": 1.0}, 1.0
    )  # 3 rows, no reference: tests are skipped
    store.log_prediction("tiny-2", "tiny", "1", {"x": 2.0}, 2.0)
    store.log_prediction("tiny-3", "tiny", "1", {"x": 3.0}, 3.0)
    store.close()
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "--once", "--db", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    families = list(text_string_to_metric_families(result.stdout))
    exported = {s.name for f in families for s in f.samples}
    expected = {series for m in catalog.by_source("exporter") for series in m.series_names}
    assert exported == expected
    for family in families:
        metric = catalog.get(family.name if family.type != "counter" else family.name + "_total")
        for sample in family.samples:
            assert set(sample.labels) - {"le"} == set(metric.labels), sample
            for label, label_value in sample.labels.items():
                assert label == "le" or metric.allows_label_value(label, label_value), sample


def test_counters_count_each_logged_row_once_across_cycles(tmp_path, make_exporter):
    store = write_log(tmp_path / "log.db", current_rows=100, labelled=0.0)
    exporter = make_exporter(window_rows=150)
    assert exporter.run_cycle()
    assert value(exporter, "daily_predictions_total", model_name=REGRESSION) == 100
    assert value(exporter, "actuals_received_total", model_name=REGRESSION) == 0
    assert value(exporter, "prediction_latency_seconds_count", model_name=REGRESSION) == 100
    assert (
        exporter.run_cycle()
    )  # nothing new: nothing counted twice, and the statistics are not recomputed
    assert value(exporter, "daily_predictions_total", model_name=REGRESSION) == 100
    assert "drift" not in exporter.stage_seconds and "business" in exporter.stage_seconds
    store.log_actual(f"{REGRESSION}-1000.0-0", 1.0)  # a late label for a row already read
    store.log_actual("not-yet-logged", 2.0)  # a label that arrives before its prediction
    add_predictions(
        store,
        feature_rows(80, np.random.default_rng(1)),
        np.random.default_rng(2),
        labelled=0.0,
        start_ts=5000.0,
        prefix="b",
    )
    store.log_prediction(
        "not-yet-logged", REGRESSION, "v1", {"area": 1.0}, 3.0, latency_seconds=0.5
    )
    assert exporter.run_cycle()
    assert value(exporter, "daily_predictions_total", model_name=REGRESSION) == 181
    assert value(exporter, "actuals_received_total", model_name=REGRESSION) == 2
    assert value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="current") == 150
    assert value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="labelled") == 1
    latency_count = value(exporter, "prediction_latency_seconds_count", model_name=REGRESSION)
    assert latency_count == 181
    assert (
        value(exporter, "prediction_latency_seconds_bucket", model_name=REGRESSION, le="+Inf")
        == latency_count
    )
    store.close()


def test_histogram_buckets_match_numpy_on_the_logged_values(tmp_path, make_exporter):
    store = write_log(tmp_path / "log.db", current_rows=300)
    exporter = make_exporter()
    exporter.run_cycle()
    changes = store.read_changes(0, 0)
    latencies = np.array(
        [p.latency_seconds for p in changes.predictions if p.model_name == REGRESSION]
    )
    buckets = catalog.get("prediction_latency_seconds").buckets
    for bound in buckets:
        assert value(
            exporter,
            "prediction_latency_seconds_bucket",
            model_name=REGRESSION,
            le=repr(float(bound)),
        ) == np.count_nonzero(latencies <= bound)
    assert math.isclose(
        value(exporter, "prediction_latency_seconds_sum", model_name=REGRESSION), latencies.sum()
    )
    store.close()


def test_drift_in_one_feature_is_flagged_for_that_feature_only(tmp_path, make_exporter):
    write_log(tmp_path / "log.db", reference_rows=2000, current_rows=1000, shift=1.0).close()
    exporter = make_exporter()
    assert exporter.run_cycle()
    detected = {
        f: value(exporter, "data_drift_detected", model_name=REGRESSION, feature=f)
        for f in ("area", "age", "city", "rooms")
    }
    assert detected == {"area": 1.0, "age": 0.0, "city": 0.0, "rooms": 0.0}
    assert value(exporter, "drift_columns_count", model_name=REGRESSION) == 1
    assert (
        value(exporter, "data_drift_pvalue", model_name=REGRESSION, feature="area", test="ks")
        < 1e-6
    )


def test_performance_follows_the_task(tmp_path, make_exporter):
    write_log(tmp_path / "log.db").close()
    exporter = make_exporter()
    exporter.run_cycle()
    found = samples(exposition(exporter))
    assert (
        "model_info",
        frozenset({"model_name": REGRESSION, "version": "v1", "task": "regression"}.items()),
    ) in found
    names = {name for name, labels in found if ("model_name", CLASSIFICATION) in labels}
    assert {"model_precision", "model_f1_score"} <= names and "model_mae" not in names
    names = {name for name, labels in found if ("model_name", REGRESSION) in labels}
    assert {"model_mae", "model_r2", "model_mape"} <= names and "model_precision" not in names
    assert 0.9 < value(exporter, "model_accuracy", model_name=REGRESSION, version="v1") <= 1.0


def test_regression_performance_is_computed_per_model_version(tmp_path, make_exporter):
    store = write_log(tmp_path / "log.db", current_rows=0)
    rng = np.random.default_rng(7)
    expected = {}
    for version, rows, error in (("v1", 120, 0.05), ("v2", 80, 0.25)):
        actual = rng.uniform(100_000, 500_000, rows)
        predicted = actual * (1 + rng.choice([-error, error], rows))
        ids = [f"{version}-{i}" for i in range(rows)]
        store.log_predictions(
            [
                dict(request_id=r, model_name=REGRESSION, model_version=version, ts=2_000.0 + i,
                     features={"area": 100.0}, prediction=float(p), latency_seconds=0.01)
                for i, (r, p) in enumerate(zip(ids, predicted))
            ]
        )  # fmt: skip
        labelled = slice(0, rows * 3 // 4)  # a quarter of each version has no label yet
        store.log_actuals([(r, float(a), 3_000.0) for r, a in zip(ids[labelled], actual[labelled])])
        y, p = actual[labelled], predicted[labelled]
        expected[version] = (np.mean(np.abs(p - y)), np.mean(np.abs(p - y) <= 0.1 * np.abs(y)))
    store.close()
    exporter = make_exporter()
    assert exporter.run_cycle()
    for version, (mae, accuracy) in expected.items():
        got = value(exporter, "model_mae", model_name=REGRESSION, version=version)
        assert math.isclose(got, mae, rel_tol=1e-12), version
        assert value(exporter, "model_accuracy", model_name=REGRESSION, version=version) == accuracy
    assert expected["v1"][1] == 1.0 and expected["v2"][1] == 0.0  # the versions differ


def test_time_window_drops_old_rows(tmp_path, make_exporter):
    write_log(tmp_path / "log.db", current_rows=100, start_ts=1_000.0).close()
    exporter = make_exporter(window_seconds=30.0)
    exporter.clock = lambda: 1_100.0  # rows are at ts 1000..1099: the last 30 s hold 1070..1099
    exporter.run_cycle()
    assert value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="current") == 30


def test_a_replaced_reference_is_reloaded_and_the_window_reparsed(tmp_path, make_exporter):
    store = write_log(tmp_path / "log.db", current_rows=50)
    exporter = make_exporter()
    exporter.run_cycle()
    assert (
        value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="reference") == 500
    )
    store.set_reference(REGRESSION, {"area": [100.0] * 40 + [200.0] * 40}, task="regression")
    exporter.run_cycle()
    assert (
        value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="reference") == 80
    )
    assert value(exporter, "monitoring_window_rows", model_name=REGRESSION, window="current") == 50
    # age, city and rooms are no longer in the schema: they are unknown fields now
    assert (
        value(
            exporter,
            "schema_violations_count",
            model_name=REGRESSION,
            column="city",
            kind="unknown_field",
        )
        == 50
    )
    store.close()


def test_a_feature_schema_file_overrides_the_inferred_schema(tmp_path, make_exporter):
    write_log(tmp_path / "log.db", current_rows=60).close()
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "models": {
                    REGRESSION: {
                        "features": {
                            "rooms": {"kind": "numeric", "range": [1, 3]},
                            "city": {"categories": ["north"]},
                        }
                    }
                }
            }
        )
    )
    exporter = make_exporter(schema_path=schema)
    assert exporter.run_cycle()
    found = samples(exposition(exporter))
    assert (
        "data_drift_pvalue",
        frozenset({"model_name": REGRESSION, "feature": "rooms", "test": "ks"}.items()),
    ) in found  # rooms is tested as a number now; the other model keeps the inferred chi-square
    assert (
        "data_drift_pvalue",
        frozenset({"model_name": CLASSIFICATION, "feature": "rooms", "test": "chi2"}.items()),
    ) in found
    out_of_range = value(
        exporter,
        "schema_violations_count",
        model_name=REGRESSION,
        column="rooms",
        kind="out_of_range",
    )
    unknown_city = value(
        exporter,
        "schema_violations_count",
        model_name=REGRESSION,
        column="city",
        kind="unknown_category",
    )
    assert 0 < out_of_range < 60 and 0 < unknown_city < 60


def test_a_bad_feature_schema_file_is_a_config_error_naming_the_file(
    tmp_path, make_exporter, caplog
):
    write_log(tmp_path / "log.db", current_rows=10).close()
    schema = tmp_path / "schema.json"
    schema.write_text('{"features": {"rooms": {"kind": "text"}}}')
    exporter = make_exporter(schema_path=schema)
    assert not exporter.run_cycle()
    assert value(exporter, "exporter_errors_total", stage="config") == 2  # one per model
    assert str(schema) in caplog.text and "rooms" in caplog.text
    # the models are still served, without drift tests, until the file is fixed
    assert value(exporter, "daily_predictions_total", model_name=REGRESSION) == 10
    schema.write_text('{"features": {"rooms": {"kind": "numeric"}}}')
    assert exporter.run_cycle()
    assert (
        value(
            exporter,
            "data_drift_test_skipped",
            model_name=REGRESSION,
            feature="rooms",
            reason="too_few_rows",
        )
        == 1
    )


def test_prediction_value_distribution_counts_regression_outputs_only(tmp_path, make_exporter):
    with PredictionStore(tmp_path / "log.db") as store:
        store.set_reference(
            "churn", {"x": [1.0, 2.0]}, targets=[0, 1]
        )  # integer classes: classification
        store.set_reference("price", {"x": [1.0, 2.0]}, targets=[100_000.5, 220_000.25])
        store.log_predictions(
            [
                {
                    "request_id": f"{model}-{i}",
                    "model_name": model,
                    "model_version": "1",
                    "features": {"x": 1.0},
                    "prediction": prediction,
                    "latency_seconds": 0.01,
                }
                for i in range(5)
                for model, prediction in (("churn", 1), ("price", 120_000.0))
            ]
        )
    exporter = make_exporter()
    exporter.run_cycle()
    assert value(exporter, "prediction_value_distribution_count", model_name="churn") == 0
    assert value(exporter, "prediction_value_distribution_count", model_name="price") == 5
    assert (
        value(exporter, "prediction_value_distribution_bucket", model_name="price", le="150000.0")
        == 5
    )
    assert value(exporter, "prediction_latency_seconds_count", model_name="churn") == 5


def test_rows_already_read_are_not_read_again(tmp_path, make_exporter):
    path = tmp_path / "log.db"
    write_log(path, current_rows=50).close()
    exporter = make_exporter()
    exporter.run_cycle()
    conn = sqlite3.connect(path)
    with conn:  # rewrite history: a cycle that re-read the window would now see 50 missing values
        conn.execute("UPDATE predictions SET features = '{}'")
    conn.close()
    assert exporter.run_cycle()
    assert value(exporter, "missing_values_count", model_name=REGRESSION, column="area") == 0
    assert value(exporter, "daily_predictions_total", model_name=REGRESSION) == 50


def test_a_restarted_exporter_counts_the_same_totals_in_small_batches(
    tmp_path, make_exporter, monkeypatch
):
    store = write_log(tmp_path / "log.db", current_rows=60, labelled=0.5)
    store.log_actual("label-first", 1.0)
    first = make_exporter(window_rows=20)
    first.run_cycle()
    store.log_prediction("label-first", REGRESSION, "v1", {"area": 1.0}, 2.0)
    first.run_cycle()
    monkeypatch.setattr(
        "exporter.cycle.READ_BATCH_ROWS", 7
    )  # the restart reads the log in many batches
    restarted = make_exporter(window_rows=20)
    restarted.run_cycle()
    for name in (
        "daily_predictions_total",
        "actuals_received_total",
        "prediction_latency_seconds_count",
    ):
        assert value(restarted, name, model_name=REGRESSION) == value(
            first, name, model_name=REGRESSION
        ), name
    assert value(
        restarted, "monitoring_window_rows", model_name=REGRESSION, window="labelled"
    ) == value(first, "monitoring_window_rows", model_name=REGRESSION, window="labelled")
    store.close()


def test_drift_of_a_sliding_window_equals_a_fresh_exporter_on_the_same_rows(
    tmp_path, make_exporter
):
    # The long-running exporter updates drift as rows enter and leave its window, cycle after cycle; a fresh
    # exporter builds its drift state from the same newest rows in one step. /metrics must not tell them apart
    # (tests/statistics/test_incremental.py checks both against compute_drift and scipy).
    store = write_log(tmp_path / "log.db", current_rows=150)
    rng = np.random.default_rng(11)
    running = make_exporter(window_rows=200)
    running.run_cycle()
    for k in range(6):
        add_predictions(
            store, feature_rows(70, rng, shift=0.3 * k), rng, start_ts=5_000.0 + 100 * k
        )
        running.run_cycle()
    fresh = make_exporter(window_rows=200)
    fresh.run_cycle()
    store.close()

    def drift_samples(exporter):
        return {
            key: v
            for key, v in samples(exposition(exporter)).items()
            if key[0].startswith(("data_drift", "drift_columns", "data_missing_rate"))
        }

    got, expected = drift_samples(running), drift_samples(fresh)
    assert got.keys() == expected.keys() and len(got) > 20
    for key, v in expected.items():
        assert math.isclose(got[key], v, rel_tol=1e-9, abs_tol=1e-12) or (
            math.isnan(got[key]) and math.isnan(v)
        ), key
    assert value(running, "data_drift_detected", model_name=REGRESSION, feature="area") == 1
