"""How reference columns are stored in the prediction log: binary where the values allow, JSON otherwise.

A 1,000,000-row reference stored as JSON arrays took ~9 s to load, about half
of it ``json.loads``. Columns are now stored in one of three encodings, chosen
per column when the reference is written (both backends use the same bytes):

``f64``
    Only numbers (int or float, not bool) and missing values: little-endian
    IEEE-754 ``float64``, one per row, NaN where missing. Loads with one
    ``numpy.frombuffer``. Integers beyond 2**53 (which a float cannot hold)
    keep the JSON encoding, exactly as the exporter's own conversion refuses them.
``dict``
    Only strings and missing values: a JSON array of the distinct strings
    (the dictionary, first-seen order) in the text column and little-endian
    ``int32`` codes in the binary column, -1 where missing.
``json``
    Anything else (mixed types, bools, huge integers): the JSON array of the
    values, as every log written before this encoding existed.

Non-finite numbers are missing in every encoding (JSON has no NaN: they were
always written as null).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

F64, DICT, JSON = "f64", "dict", "json"
ENCODINGS = (F64, DICT, JSON)

_FLOAT_EXACT_INTEGERS = 2**53
_DUMPS = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def encode(values: Sequence[Any] | np.ndarray) -> tuple[str, str, bytes | None]:
    """``(encoding, text, data)`` for one column; ``text`` is the JSON part, ``data`` the binary part."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        if (
            values.dtype.kind == "f"
            or not values.size
            or int(np.abs(values).max()) < _FLOAT_EXACT_INTEGERS
        ):
            return F64, "", np.ascontiguousarray(values, dtype="<f8").tobytes()
    values = values if isinstance(values, list) else list(values)
    kinds = set(map(type, values))
    if kinds <= {int, float, type(None)} and _floats_hold(values, kinds):
        with np.errstate(over="ignore"):
            array = np.array(values, dtype="<f8")  # None -> NaN
        return F64, "", array.tobytes()
    if kinds <= {str, type(None)}:
        dictionary = list(dict.fromkeys(v for v in values if v is not None))
        index = {value: code for code, value in enumerate(dictionary)}
        codes = np.fromiter(
            (-1 if v is None else index[v] for v in values), dtype="<i4", count=len(values)
        )
        return DICT, _DUMPS(dictionary), codes.tobytes()
    return JSON, _DUMPS([json_value(v) for v in values]), None


def decode(
    encoding: str | None, text: str, data: bytes | memoryview | None
) -> list[Any] | np.ndarray:
    """The column's values: a ``float64`` array (NaN where missing) for ``f64``, else a list (None where missing)."""
    if encoding == F64:
        return np.frombuffer(data or b"", dtype="<f8").astype(np.float64, copy=True)
    if encoding == DICT:
        dictionary = np.array([*json.loads(text), None], dtype=object)
        codes = np.frombuffer(data or b"", dtype="<i4")
        return dictionary[codes].tolist()  # code -1 picks the trailing None
    if encoding in (None, "", JSON):
        return json.loads(text)
    raise ValueError(
        f"reference column stored with unknown encoding {encoding!r} (known: {', '.join(ENCODINGS)}); "
        "was the log written by a newer mlmon?"
    )


def as_list(values: list[Any] | np.ndarray) -> list[Any]:
    """Decoded values as plain Python values, None where missing (what ``read_reference`` returns)."""
    if isinstance(values, np.ndarray):
        return [None if math.isnan(v) else v for v in values.tolist()]
    return values


def _floats_hold(values: list[Any], kinds: set[type]) -> bool:
    if int not in kinds:
        return True
    return all(-_FLOAT_EXACT_INTEGERS < v < _FLOAT_EXACT_INTEGERS for v in values if type(v) is int)


def json_value(value: Any) -> Any:
    """A value JSON can hold: non-finite numbers become null (missing), numpy scalars Python ones."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        return json_value(item())
    return value
