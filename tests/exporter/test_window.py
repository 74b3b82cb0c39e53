"""The in-memory window: newest rows only, by count and by age, labels attached while rows are in it."""

from __future__ import annotations

import numpy as np

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.store import PredictionRecord
from exporter.window import ModelWindow, parse_batch

SCHEMA = FeatureSchema(
    (FeatureSpec("x", "numeric"), FeatureSpec("c", "categorical", categories=("a", "b")))
)


def _records(first: int, count: int) -> list[PredictionRecord]:
    return [
        PredictionRecord(
            i,
            f"r{i}",
            float(i),
            "m",
            "v1",
            f'{{"x": {i}, "c": "{"ab"[i % 2]}"}}',
            float(i),
            None,
            None,
            None,
        )
        for i in range(first, first + count)
    ]


def _window(capacity: int, max_age: float | None = None) -> ModelWindow:
    return ModelWindow(SCHEMA, capacity, max_age)


def test_the_window_keeps_the_newest_rows_across_wrap_around():
    window = _window(5)
    window.append(parse_batch(SCHEMA, _records(0, 3)))
    window.append(parse_batch(SCHEMA, _records(3, 4)))  # 7 rows into 5 places
    assert window.n_rows == 5
    assert sorted(window.columns.values["x"].tolist()) == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert sorted(window.columns.values["c"].tolist()) == ["a", "a", "a", "b", "b"]
    assert not window.set_actual("r1", 1.0)  # dropped
    assert window.set_actual("r6", 60.0)
    labelled = window.has_actual
    assert window.actual_numbers[labelled].tolist() == [60.0]
    assert window.predicted_numbers[labelled].tolist() == [6.0]


def test_a_batch_larger_than_the_window_keeps_its_newest_rows():
    window = _window(4)
    window.append(parse_batch(SCHEMA, _records(0, 10)))
    assert sorted(window.ts.tolist()) == [6.0, 7.0, 8.0, 9.0]


def test_expiry_by_age_on_a_wrapped_window():
    window = _window(6, max_age=3.0)
    window.append(parse_batch(SCHEMA, _records(0, 5)))
    window.append(parse_batch(SCHEMA, _records(5, 4)))  # rows 3..8 held, wrapped around the end
    window.expire(now=9.5)  # keeps ts > 6.5
    assert sorted(window.columns.values["x"].tolist()) == [7.0, 8.0]
    assert window.columns.n_rows == 2 and len(window.columns.status["c"]) == 2
    assert window.label_lag_seconds(now=9.5) == 2.5
    window.expire(now=100.0)
    assert window.n_rows == 0 and window.label_lag_seconds(now=100.0) == 0.0


def test_statuses_follow_the_rows_they_belong_to():
    window = _window(3)
    bad = PredictionRecord(
        99, "bad", 99.0, "m", "v1", '{"x": "text", "c": "zzz", "extra": 1}', 1.0, None, None, None
    )
    window.append(parse_batch(SCHEMA, _records(0, 2) + [bad]))
    counts = window.columns.violation_counts()
    assert counts == {
        ("x", "wrong_type"): 1,
        ("c", "unknown_category"): 1,
        ("extra", "unknown_field"): 1,
    }
    window.append(parse_batch(SCHEMA, _records(10, 3)))  # the bad row leaves the window
    assert window.columns.violation_counts() == {}
    assert np.isfinite(window.columns.values["x"]).all()


def test_labels_attached_in_one_pass_reach_only_rows_in_the_window():
    window = _window(4)
    window.append(parse_batch(SCHEMA, _records(0, 6)))  # rows r2..r5 are held
    found = window.set_actuals([("r1", 10.0), ("r3", 30.0), ("r4", "high"), ("r9", 1.0)])
    assert found == 2
    labelled = {  # the prediction of row ri is i
        int(prediction): (actual, number)
        for prediction, actual, number, has in zip(
            window.predictions, window.actuals, window.actual_numbers, window.has_actual
        )
        if has
    }
    assert labelled.keys() == {3, 4}
    assert labelled[3] == (30.0, 30.0)
    assert labelled[4][0] == "high" and np.isnan(labelled[4][1])  # a class label is not a number
