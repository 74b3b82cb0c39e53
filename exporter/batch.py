"""New rows of one model, as read from the prediction log, parsed once into columns.

The usual batch (flat JSON objects of the schema's features) is read straight
into columns by a compiled scanner (:mod:`exporter.json_columns`), with no dict
per row; any batch it does not fully understand takes the general path below.

The features of each row are a JSON object in the log; :func:`parse_features`
parses a whole batch in one call (the rows joined into one JSON array, parsed
by orjson: about 3x faster than the standard library on the benchmark's rows,
scripts/bench_exporter.py) and falls back to the standard library row by row
when the batch does not parse (a row that is not a JSON object, or that only
the standard library accepts: ``NaN`` literals, numbers beyond float range,
lone surrogates), so every row reads as it always did. One difference: orjson
reads an integer beyond 64 bits as the nearest float.
:func:`parse_batch` turns the records into a :class:`ParsedBatch`: the
per-row facts as arrays and the features as
:class:`exporter.statistics.columns.FeatureColumns`.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import orjson

from exporter.json_columns import parse_columns
from exporter.schema import FeatureSchema
from exporter.statistics.columns import FeatureColumns
from exporter.store import PredictionRecord


@dataclass(frozen=True)
class ParsedBatch:
    """New rows of one model, parsed; ``bad_json`` lists the request ids whose features were not a JSON object
    (the rows are kept, with every feature missing)."""

    request_ids: list[str]
    ts: np.ndarray
    versions: np.ndarray
    predictions: np.ndarray
    actuals: np.ndarray
    has_actual: np.ndarray
    columns: FeatureColumns
    bad_json: list[str]


def parse_batch(schema: FeatureSchema, records: Sequence[PredictionRecord]) -> ParsedBatch:
    """Parse the features JSON of ``records`` (one model) against ``schema``; never raises on bad rows."""
    # Column by column: one transposition in C instead of one attribute read per row and field.
    (_, request_ids, ts, _, versions, features, predictions, _, actual_ids, actuals) = (
        zip(*records) if records else ((),) * len(PredictionRecord._fields)
    )
    columns, bad_json = feature_columns(schema, features, request_ids)
    return ParsedBatch(
        request_ids=list(request_ids),
        ts=np.array(ts, dtype=np.float64),
        versions=objects_array(versions),
        predictions=objects_array(predictions),
        actuals=objects_array(actuals),
        has_actual=np.fromiter(
            map(operator.is_not, actual_ids, itertools.repeat(None)),
            dtype=bool,
            count=len(actual_ids),
        ),
        columns=columns,
        bad_json=bad_json,
    )


def feature_columns(
    schema: FeatureSchema, texts: Sequence[Any], request_ids: Sequence[str]
) -> tuple[FeatureColumns, list[str]]:
    """The features texts of a batch as columns, and the request ids of the rows whose features are not a
    JSON object (read as all missing)."""
    # The usual rows, without a dict per row: the scanner reads them as orjson does (and hands anything else
    # back), so it stands in only while orjson parses batches (the benchmark swaps in json.loads).
    if batch_loads is orjson.loads:
        columns = parse_columns(schema, texts)
        if columns is not None:
            return columns, []
    parsed = parse_features(texts)
    bad_json = [request_id for request_id, row in zip(request_ids, parsed) if row is None]
    rows: list[dict[str, Any]] = (
        [{} if row is None else row for row in parsed]
        if bad_json
        else cast(list[dict[str, Any]], parsed)
    )
    return FeatureColumns.from_rows(schema, rows), bad_json


# What parses a whole batch; scripts/bench_exporter.py swaps in json.loads to measure the difference.
batch_loads: Callable[[str], Any] = orjson.loads


def parse_features(texts: Sequence[Any]) -> list[dict[str, Any] | None]:
    """Each features JSON text as a dict, None where it is not a JSON object."""
    try:  # one parse for the whole batch is much faster than one per row
        rows = batch_loads("[" + ",".join(texts) + "]")
        if len(rows) == len(texts) and (not rows or set(map(type, rows)) == {dict}):
            return rows
    except (TypeError, ValueError):
        pass
    return [_parse_one(text) for text in texts]


def _parse_one(text: Any) -> dict[str, Any] | None:
    try:
        row = json.loads(text)
    except (TypeError, ValueError):
        return None
    return row if isinstance(row, dict) else None


def provisional_schema(records: Sequence[PredictionRecord]) -> FeatureSchema:
    """The lenient schema of a model without reference data, from the features of its first logged rows."""
    rows = parse_features([record.features_json for record in records])
    return FeatureSchema.provisional(row for row in rows if row is not None)


def objects_array(values: Sequence[Any]) -> np.ndarray:
    """``values`` as a 1-d object array, element for element (numpy would nest sequences)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
