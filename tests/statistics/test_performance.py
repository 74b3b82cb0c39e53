"""Model performance against scikit-learn (tests only: the exporter itself never imports sklearn)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics

from exporter.statistics import compute_performance, infer_task

RNG = np.random.default_rng(42)


def test_regression_metrics_equal_sklearn():
    actual = RNG.uniform(100_000, 900_000, size=500)
    predicted = actual * RNG.normal(1.0, 0.12, size=500)

    report = compute_performance(actual.tolist(), predicted.tolist(), "regression")

    assert report.task == "regression" and report.n_labelled == 500
    m = report.metrics
    assert m["model_mae"] == pytest.approx(
        metrics.mean_absolute_error(actual, predicted), rel=1e-12
    )
    assert m["model_rmse"] == pytest.approx(
        math.sqrt(metrics.mean_squared_error(actual, predicted)), rel=1e-12
    )
    assert m["model_r2"] == pytest.approx(metrics.r2_score(actual, predicted), rel=1e-12)
    assert m["model_mape"] == pytest.approx(
        metrics.mean_absolute_percentage_error(actual, predicted), rel=1e-12
    )
    within = np.abs(predicted - actual) <= 0.10 * np.abs(actual)
    assert m["model_accuracy"] == pytest.approx(within.mean())
    assert set(m) == {"model_mae", "model_rmse", "model_r2", "model_mape", "model_accuracy"}


def test_regression_accuracy_uses_the_relative_tolerance():
    actual = [100.0, 100.0, 100.0, 100.0, 0.0, 0.0]
    predicted = [105.0, 110.0, 121.0, 79.0, 0.0, 1.0]
    assert compute_performance(actual, predicted, "regression").metrics[
        "model_accuracy"
    ] == pytest.approx(3 / 6)
    assert compute_performance(actual, predicted, "regression", tolerance=0.25).metrics[
        "model_accuracy"
    ] == pytest.approx(5 / 6)


def test_mape_skips_zero_actuals():
    report = compute_performance([0.0, 100.0, 200.0], [5.0, 110.0, 180.0], "regression")
    assert report.metrics["model_mape"] == pytest.approx((0.10 + 0.10) / 2)
    assert math.isnan(
        compute_performance([0.0, 0.0], [1.0, 2.0], "regression").metrics["model_mape"]
    )


def test_unusable_pairs_are_left_out_and_undefined_metrics_are_nan():
    report = compute_performance(
        [1.0, None, "x", math.nan, 2.0], [1.5, 2.0, 3.0, 1.0, math.inf], "regression"
    )
    assert report.n_labelled == 1
    assert report.metrics["model_mae"] == 0.5
    assert math.isnan(report.metrics["model_r2"])  # one row
    constant = compute_performance([3.0, 3.0, 3.0], [3.0, 2.0, 4.0], "regression")
    assert math.isnan(constant.metrics["model_r2"])  # constant actual
    empty = compute_performance([], [], "regression")
    assert empty.n_labelled == 0 and all(math.isnan(v) for v in empty.metrics.values())


@pytest.mark.parametrize(
    "case", ["balanced", "a class never predicted", "a class never present", "strings"]
)
def test_classification_metrics_equal_sklearn_macro_with_zero_division_0(case):
    actual = RNG.integers(0, 4, size=300)
    predicted = np.where(RNG.uniform(size=300) < 0.7, actual, RNG.integers(0, 4, size=300))
    if case == "a class never predicted":
        predicted = np.where(predicted == 3, 0, predicted)
    if case == "a class never present":
        actual = np.where(actual == 2, 1, actual)
        predicted[:5] = 2
    if case == "strings":
        actual = np.array(["cat", "dog", "eel", "fox"])[actual]
        predicted = np.array(["cat", "dog", "eel", "fox"])[predicted]

    report = compute_performance(actual.tolist(), predicted.tolist(), "classification")

    m = report.metrics
    assert m["model_accuracy"] == pytest.approx(metrics.accuracy_score(actual, predicted))
    for name, sk in (
        ("model_precision", metrics.precision_score),
        ("model_recall", metrics.recall_score),
        ("model_f1_score", metrics.f1_score),
    ):
        assert m[name] == pytest.approx(
            sk(actual, predicted, average="macro", zero_division=0), rel=1e-12
        ), name


def test_class_labels_compare_as_category_keys():
    report = compute_performance([1, 0, "1", True], [1.0, "0", 1, "true"], "classification")
    assert report.metrics["model_accuracy"] == 1.0


@pytest.mark.parametrize(
    "targets, declared, task",
    [
        ([250_000.5, 310_000.0, 199_999.9], None, "regression"),
        (list(range(1000)), None, "regression"),  # integers with many values
        ([0, 1, 1, 0], None, "classification"),
        ([0.0, 1.0, 2.0], None, "classification"),  # integral floats with few values
        (["cat", "dog"], None, "classification"),
        ([True, False], None, "classification"),
        ([0, 1, 1, 0], "regression", "regression"),  # declared wins
        ([None, math.nan], None, None),
        ([], None, None),
    ],
)
def test_task_inference(targets, declared, task):
    assert infer_task(targets, declared) == task


def test_unknown_declared_task_is_rejected():
    with pytest.raises(ValueError, match="classification"):
        infer_task([1.0], "ranking")


def test_the_statistics_need_only_numpy_and_scipy():
    import subprocess
    import sys

    code = (
        "import sys, exporter.schema, exporter.statistics; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'mlmon', 'pandas', 'yaml'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_regression_metrics_of_masked_rows_equal_those_of_the_rows_copied_out():
    from exporter.statistics.performance import regression_metrics

    actual = RNG.uniform(-50, 900, size=20_000)
    predicted = actual * RNG.normal(1.0, 0.2, size=actual.size)
    actual[::97] = np.nan  # unlabelled or missing: left out either way
    predicted[::89] = np.inf
    actual[::53] = 0.0  # no percentage error
    rows = RNG.random(actual.size) < 0.6
    masked = regression_metrics(actual, predicted, 0.1, rows=rows)
    copied = regression_metrics(actual[rows], predicted[rows], 0.1)
    keep = rows & np.isfinite(actual) & np.isfinite(predicted)
    assert masked.n_labelled == copied.n_labelled == int(keep.sum())
    for name, value in copied.metrics.items():
        assert masked.metrics[name] == pytest.approx(value, rel=1e-12), name
    y, p = actual[keep], predicted[keep]
    assert masked.metrics["model_r2"] == pytest.approx(metrics.r2_score(y, p), rel=1e-12)
    assert masked.metrics["model_rmse"] == pytest.approx(
        math.sqrt(metrics.mean_squared_error(y, p)), rel=1e-12
    )
    nonzero = y != 0
    assert masked.metrics["model_mape"] == pytest.approx(
        np.mean(np.abs(p - y)[nonzero] / np.abs(y[nonzero])), rel=1e-12
    )
    assert masked.metrics["model_accuracy"] == np.mean(np.abs(p - y) <= 0.1 * np.abs(y))
