"""How reference columns are stored in the prediction log: binary where the values allow, JSON otherwise.

A 1,000,000-row reference stored as JSON arrays took ~9 s to load, about half
of it ``json.loads``; stored as row-ordered binary numbers, about 3 s, most of
it sorting each numeric column again at every exporter start. Columns are now
stored in one of these encodings, chosen per column when the reference is
written (both backends store the same bytes):

``sorted-f64``
    Only numbers (int or float, not bool) and missing values: the column's
    values as little-endian IEEE-754 ``float64`` **in ascending order** (numpy's
    order: NaN, i.e. missing, last) in ``data``, and in ``row_order`` the row
    each of them came from (little-endian ``int32``, or ``int64`` from 2**31
    rows). The exporter's profile needs exactly the sorted values, so it reads
    ``data`` alone and never sorts; :meth:`read_reference` puts the values
    back in row order with ``row_order``. Integers beyond 2**53 (which a float
    cannot hold) keep the JSON encoding, exactly as the exporter's own
    conversion refuses them.
``dict``
    Only strings and missing values: a JSON array of the distinct strings
    (the dictionary, in first-seen order) in the text column and little-endian
    ``int32`` codes in ``data``, -1 where missing. The exporter counts the
    codes (:class:`CodedStrings`) instead of building a million strings.
``json``
    Anything else (mixed types, bools, huge integers): the JSON array of the
    values, as every log written before binary encodings existed.
``f64``
    Read only (logs of schema 2, until a writer migrates them): the values in
    row order, little-endian ``float64``, NaN where missing.

Non-finite numbers are missing in every encoding (JSON has no NaN: they were
always written as null).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

SORTED_F64, DICT, JSON, F64 = "sorted-f64", "dict", "json", "f64"
ENCODINGS = (SORTED_F64, DICT, JSON, F64)

_FLOAT_EXACT_INTEGERS = 2**53
_DUMPS = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


class EncodedColumn(NamedTuple):
    """One column as stored: ``text`` is the JSON part, ``data`` and ``row_order`` the binary parts."""

    encoding: str
    text: str
    data: bytes | None
    row_order: bytes | None = None


@dataclass(frozen=True)
class SortedNumbers:
    """A numeric column's values in ascending order, NaN (missing) last; not in row order.

    What :func:`decode` gives for ``sorted-f64`` when the caller does not need row order (the
    exporter's profile, schema inference and task inference depend only on the values, not their order).
    ``values`` is read-only.
    """

    values: np.ndarray

    def __len__(self) -> int:
        return int(self.values.size)


@dataclass(frozen=True)
class CodedStrings:
    """A column of strings as stored: ``dictionary[codes[i]]`` is row ``i``'s value, code -1 missing.

    ``dictionary`` holds each distinct string once, in the order the rows first show them.
    """

    dictionary: list[str]
    codes: np.ndarray

    def __len__(self) -> int:
        return int(self.codes.size)

    def counts(self) -> np.ndarray:
        """How many rows hold each dictionary entry (``int64``, in dictionary order)."""
        return np.bincount(self.codes + 1, minlength=len(self.dictionary) + 1)[1:].astype(np.int64)

    @property
    def n_missing(self) -> int:
        return int(np.count_nonzero(self.codes < 0))

    def tolist(self) -> list[str | None]:
        """The values in row order, None where missing."""
        table = np.array([*self.dictionary, None], dtype=object)
        return table[self.codes].tolist()  # code -1 picks the trailing None


Column = list[Any] | np.ndarray | SortedNumbers | CodedStrings


def encode(values: Sequence[Any] | np.ndarray) -> EncodedColumn:
    """The stored form of one column, in the most compact encoding its values allow (module docstring)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        if (
            values.dtype.kind == "f"
            or not values.size
            or int(np.abs(values).max()) < _FLOAT_EXACT_INTEGERS
        ):
            return _sorted_f64(np.array(values, dtype="<f8"))
    values = values if isinstance(values, list) else list(values)
    kinds = set(map(type, values))
    if kinds <= {int, float, type(None)} and _floats_hold(values, kinds):
        with np.errstate(over="ignore"):
            return _sorted_f64(np.array(values, dtype="<f8"))  # None -> NaN
    if kinds <= {str, type(None)}:
        dictionary = list(dict.fromkeys(v for v in values if v is not None))
        index = {value: code for code, value in enumerate(dictionary)}
        codes = np.fromiter(
            (-1 if v is None else index[v] for v in values), dtype="<i4", count=len(values)
        )
        return EncodedColumn(DICT, _DUMPS(dictionary), codes.tobytes())
    return EncodedColumn(JSON, _DUMPS([json_value(v) for v in values]), None)


def _sorted_f64(values: np.ndarray) -> EncodedColumn:
    """``values`` (a fresh little-endian ``float64`` array, modified here) as ``sorted-f64``."""
    values[~np.isfinite(values)] = math.nan  # ±inf is missing, as everywhere in the exporter
    order = np.argsort(values)  # NaN last; equal values are interchangeable, so any sort will do
    index_type = "<i4" if values.size < 2**31 else "<i8"
    return EncodedColumn(
        SORTED_F64, "", values[order].tobytes(), order.astype(index_type, copy=False).tobytes()
    )


def decode(
    encoding: str | None,
    text: str,
    data: bytes | memoryview | None,
    row_order: bytes | memoryview | None = None,
    *,
    in_row_order: bool = True,
) -> Column:
    """The column's values from its stored parts.

    With ``in_row_order`` (what :meth:`read_reference` needs): a ``float64`` array (NaN where missing)
    for numbers, else a list (None where missing); ``sorted-f64`` then needs ``row_order``. Without it
    (what profiling needs): ``sorted-f64`` gives :class:`SortedNumbers` and ``dict`` gives
    :class:`CodedStrings`, neither of which costs a pass over the values; ``row_order`` is not used.
    """
    if encoding == SORTED_F64:
        ascending = np.frombuffer(data or b"", dtype="<f8")
        if not in_row_order:
            return SortedNumbers(ascending)
        if row_order is None:
            raise ValueError("a sorted-f64 column needs its row_order to be read in row order")
        rows = np.frombuffer(
            row_order, dtype="<i4" if len(row_order) == 4 * ascending.size else "<i8"
        )
        values = np.empty(ascending.size, dtype=np.float64)
        values[rows] = ascending
        return values
    if encoding == F64:
        return np.frombuffer(data or b"", dtype="<f8").astype(np.float64, copy=True)
    if encoding == DICT:
        coded = CodedStrings(json.loads(text), np.frombuffer(data or b"", dtype="<i4"))
        return coded.tolist() if in_row_order else coded
    if encoding in (None, "", JSON):
        return json.loads(text)
    raise ValueError(
        f"reference column stored with unknown encoding {encoding!r} (known: {', '.join(ENCODINGS)}); "
        "was the log written by a newer mlmon?"
    )


def needs_upgrade(encoding: str | None) -> bool:
    """Whether a stored column predates the current encodings (JSON from schema 1, or row-ordered ``f64``)."""
    return encoding in (None, "", F64)


def upgrade(encoding: str | None, text: str, data: bytes | memoryview | None) -> EncodedColumn:
    """A column of an older log (:func:`needs_upgrade`) in the encoding :func:`encode` would choose now."""
    values = decode(encoding, text, data)
    assert isinstance(values, (list, np.ndarray))  # in row order: a list or a float64 array
    return encode(values)


def as_list(values: Column) -> list[Any]:
    """Decoded values as plain Python values, None where missing (what ``read_reference`` returns)."""
    if isinstance(values, SortedNumbers):
        raise TypeError("values in ascending order have lost their rows: decode with in_row_order")
    if isinstance(values, CodedStrings):
        return values.tolist()
    if isinstance(values, np.ndarray):
        return [v if math.isfinite(v) else None for v in values.tolist()]
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
