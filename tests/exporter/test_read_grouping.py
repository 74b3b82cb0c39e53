"""Grouping a read's predictions and labels by model: one model without a loop per row, several in the order
they first appear (the order model slots are given in), each model's rows in log order."""

from __future__ import annotations

from exporter.cycle import _by_model, _labels_by_model
from exporter.store import ActualRecord, PredictionRecord


def _prediction(i: int, model: str) -> PredictionRecord:
    return PredictionRecord(i, f"r{i}", float(i), model, "v", "{}", 1.0, None, None, None)


def _actual(i: int, model: str | None) -> ActualRecord:
    return ActualRecord(i, f"r{i}", float(i), float(i), model)


def test_predictions_of_one_model_and_of_several():
    one = [_prediction(i, "a") for i in range(4)]
    assert _by_model(one) == {"a": one}
    assert _by_model([]) == {}
    mixed = [_prediction(i, model) for i, model in enumerate("babca")]
    grouped = _by_model(mixed)
    assert list(grouped) == ["b", "a", "c"]
    assert {m: [r.id for r in rows] for m, rows in grouped.items()} == {
        "b": [0, 2],
        "a": [1, 4],
        "c": [3],
    }


def test_labels_of_one_model_and_of_several_with_unknown_predictions():
    assert _labels_by_model([_actual(1, "a"), _actual(2, "a")]) == {"a": [("r1", 1.0), ("r2", 2.0)]}
    assert _labels_by_model([_actual(1, None)]) == {None: [("r1", 1.0)]}
    grouped = _labels_by_model(
        [_actual(1, None), _actual(2, "b"), _actual(3, None), _actual(4, "a")]
    )
    assert list(grouped) == [None, "b", "a"]
    assert grouped[None] == [("r1", 1.0), ("r3", 3.0)]
    assert grouped["b"] == [("r2", 2.0)] and grouped["a"] == [("r4", 4.0)]
