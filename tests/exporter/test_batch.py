"""Parsing a batch of logged features: one fast parse for the batch, every row read as the standard library reads it."""

from __future__ import annotations

import json

import pytest

from exporter.batch import parse_features, provisional_schema
from exporter.store import PredictionRecord


def _stdlib(text: str):
    try:
        row = json.loads(text)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


BATCHES = {
    "plain rows": ['{"x": 1.5, "c": "a"}', '{"x": 2, "c": "b", "extra": null}', "{}"],
    "unicode and escapes": ['{"city": "Zürich", "q": "a\\"b"}', '{"emoji": "\\ud83d\\ude00"}'],
    "NaN and Infinity tokens (other writers)": [
        '{"x": NaN}',
        '{"x": Infinity}',
        '{"x": -Infinity}',
    ],
    "a number beyond float range": ['{"x": 1e400}', '{"x": 1}'],
    "a lone surrogate": ['{"s": "\\ud800"}', '{"x": 1}'],
    "rows that are not objects": ["[1, 2]", '"text"', "not json", '{"x": 1}', "null"],
}


@pytest.mark.parametrize("texts", BATCHES.values(), ids=BATCHES.keys())
def test_every_row_reads_as_the_standard_library_reads_it(texts):
    parsed = parse_features(texts)
    expected = [_stdlib(text) for text in texts]
    assert len(parsed) == len(expected)
    for got, want in zip(parsed, expected):
        # NaN != NaN: compare the JSON the standard library writes for both
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_provisional_schema_skips_rows_that_are_not_objects():
    records = [
        PredictionRecord(i, f"r{i}", 0.0, "m", "v", text, 1.0, None, None, None)
        for i, text in enumerate(['{"x": 1.5}', "not json", '{"x": 2.5, "c": "a"}'])
    ]
    schema = provisional_schema(records)
    assert schema.names == ("x", "c")
    assert all(not spec.required for spec in schema)
    assert schema["x"].kind == "numeric" and schema["c"].kind == "categorical"
